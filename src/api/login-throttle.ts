import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'koa';
import type { Db } from 'mongodb';
import { attemptWindow, countAttempt, freeAttemptSlots, purgeExpiredAttempts, takeAttemptSlot, uncountAttempt } from '../storage/login-attempts';
import { normalizeEmail } from '../storage/tenants';
import { HttpError } from './errors';

export interface LoginThrottleOptions {
  /** Attempts are counted in fixed windows of this length… */
  loginWindowMs: number;
  /** …per (account, client address): past this, that pair is refused until the window ends (a success frees it)… */
  maxLoginAttemptsPerAccountAddress: number;
  /** …per client address across accounts, successes included (higher: offices share one address)… */
  maxLoginAttemptsPerAddress: number;
  /** …and per account only slowed down, never locked: someone else's failures must not lock the owner out. */
  slowLoginsAfterPerAccount: number;
  /** Each attempt past that threshold waits this much longer, up to maxLoginDelayMs. */
  loginDelayStepMs: number;
  maxLoginDelayMs: number;
}

export interface AdmittedLogin {
  /** How long the attempt waited before its password was checked. */
  delayMs: number;
  /** The password was right: the attempt does not count as a failure. */
  succeeded(): Promise<void>;
}

/**
 * Counts a login attempt before the password is checked (each counter is one atomic write), refuses
 * it with 429 when the (account, address) pair or the address is over its limit, and delays it when
 * the account is under attack from elsewhere.
 */
export async function admitLogin(db: Db, options: LoginThrottleOptions, email: string, address: string, now: Date): Promise<AdmittedLogin> {
  const account = normalizeEmail(email);
  const window = (key: string) => attemptWindow(key, options.loginWindowMs, now);
  const pairWindow = window(`pair:${account}|${address}`);
  const addressWindow = window(`address:${address}`);
  const accountWindow = window(`account:${account}`);
  const pairAllowed = await takeAttemptSlot(db, pairWindow, options.maxLoginAttemptsPerAccountAddress);
  const addressAllowed = pairAllowed && (await takeAttemptSlot(db, addressWindow, options.maxLoginAttemptsPerAddress));
  if (!pairAllowed || !addressAllowed) throw new TooManyAttemptsError(pairWindow.windowEndsAt.getTime() - now.getTime());
  const excess = (await countAttempt(db, accountWindow)) - options.slowLoginsAfterPerAccount;
  const delayMs = excess > 0 ? Math.min(options.maxLoginDelayMs, excess * options.loginDelayStepMs) : 0;
  if (delayMs > 0) await sleep(delayMs);
  return {
    delayMs,
    async succeeded() {
      // Not the address's slot: an attacker could otherwise refill the address budget with their own account.
      await Promise.all([freeAttemptSlots(db, pairWindow, options.maxLoginAttemptsPerAccountAddress), uncountAttempt(db, accountWindow)]);
      await purgeExpiredAttempts(db, now);
    },
  };
}

class TooManyAttemptsError extends HttpError {
  constructor(readonly retryAfterMs: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    super(429, 'too_many_login_attempts', `ログインの失敗が続いたため、一時的にログインを制限しています。約${minutes}分後に再度お試しください。`);
  }
}

/** Sets Retry-After for a refused attempt; other errors pass through. */
export function withRetryAfter(ctx: Context, err: unknown): never {
  if (err instanceof TooManyAttemptsError) ctx.set('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
  throw err;
}
