import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { MakeshopAppsClient } from '../platforms/makeshop/apps-client';
import type { SyncDeps } from '../sync/ports';
import { DEFAULT_ONBOARDING_OPTIONS, type OnboardingDeps, type OnboardingOptions } from './onboarding-deps';
import type { Mailer } from '../alerts/mailer';

/** Everything the HTTP layer needs, injected so tests build the app against their own servers. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Db;
  temporal: Client;
  /** The sync engine's collaborators (platform clients, tenant settings), for the dry run. */
  sync: Omit<SyncDeps, 'heartbeat'>;
  webhookTenants: WebhookTenantLookup;
  /** Accounts and set-up steps: secret box, Smaregi stores, MakeShop connection test (routes answer 500 without it). */
  onboarding?: OnboardingDeps;
  /** makeshop apps: checks install tokens with MakeShop; built from config when absent. */
  makeshopApps?: Pick<MakeshopAppsClient, 'shopIdOfToken'>;
  /** Sends the address confirmation mails; default: nodemailer over SMTP_URL. */
  mailer?: Mailer;
}

/** What the webhook routes need beyond AppDeps: how to find the tenant a platform call is for. */
export interface WebhookTenantLookup {
  byContractId(contractId: string): Promise<{ tenantId: string; active: boolean } | null>;
  byNotificationToken(token: string): Promise<{ tenantId: string; makeshopShopId: string | null } | null>;
  applySubscription(contractId: string, action: string): Promise<boolean>;
}

export type ResolvedOnboardingDeps = Omit<OnboardingDeps, 'options'> & { options: OnboardingOptions };

export function onboardingDepsOf(deps: AppDeps): ResolvedOnboardingDeps {
  if (!deps.onboarding) throw new Error('AppDeps.onboarding is not configured (secretBox, smaregi, makeshop)');
  return { ...deps.onboarding, options: { ...DEFAULT_ONBOARDING_OPTIONS, ...deps.onboarding.options } };
}

export function onboardingOptionsOf(deps: AppDeps): OnboardingOptions {
  return { ...DEFAULT_ONBOARDING_OPTIONS, ...deps.onboarding?.options };
}
