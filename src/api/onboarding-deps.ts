import type { MakeshopGateway } from '../platforms/makeshop/gateway';
import type { SmaregiClient } from '../platforms/smaregi/client';
import type { SecretBox } from '../storage/crypto';
import { APPLICATION_REPORT_AFTER_MS } from '../domain/onboarding';
import type { LoginThrottleOptions } from './login-throttle';

/** Tunables of accounts and onboarding; defaults suit production, tests shorten them. */
export interface OnboardingOptions extends LoginThrottleOptions {
  sessionTtlMs: number;
  /** Sign-ups per client address in a fixed window of signUpWindowMs (throttles account creation and email probing). */
  maxSignUpsPerAddress: number;
  signUpWindowMs: number;
  /** A MakeShop application waiting this long is reported to operators. */
  applicationReportAfterMs: number;
  /** An answer from Temporal slower than this becomes a 503 (e.g. no worker is running). */
  workflowCallTimeoutMs: number;
}

export const DEFAULT_ONBOARDING_OPTIONS: OnboardingOptions = {
  sessionTtlMs: 7 * 24 * 60 * 60 * 1000,
  loginWindowMs: 15 * 60 * 1000,
  maxLoginAttemptsPerAccountAddress: 5,
  maxLoginAttemptsPerAddress: 20,
  slowLoginsAfterPerAccount: 5,
  loginDelayStepMs: 1000,
  maxLoginDelayMs: 10_000,
  maxSignUpsPerAddress: 10,
  signUpWindowMs: 60 * 60 * 1000,
  applicationReportAfterMs: APPLICATION_REPORT_AFTER_MS,
  workflowCallTimeoutMs: 15_000,
};

/** What the account and onboarding routes need beyond the shared AppDeps. */
export interface OnboardingDeps {
  secretBox: SecretBox;
  smaregi: Pick<SmaregiClient, 'listStores'>;
  makeshop: Pick<MakeshopGateway, 'testConnection'>;
  options?: Partial<OnboardingOptions>;
}
