import { CancelledFailure, Context } from '@temporalio/activity';

/**
 * Liveness for long platform work done inside a Temporal activity: waits and loops in the platform
 * clients heartbeat, and stop at the next safe point once the attempt is cancelled (停止, a timed-out
 * attempt that Temporal already retries elsewhere, worker shutdown). Outside an activity (api, tests,
 * scripts) every function here behaves like its plain counterpart.
 */
function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats, then throws if the attempt was cancelled: call it before each platform call and page. */
export function checkpoint(details?: unknown): void {
  const activity = currentActivity();
  if (!activity) return;
  activity.heartbeat(details);
  throwIfCancelled(activity);
}

function throwIfCancelled(activity: Context): void {
  const signal = activity.cancellationSignal;
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof Error ? reason : new CancelledFailure(String(reason ?? 'CANCELLED'));
}

/** A wait (rate limit, Retry-After, backoff) that heartbeats and ends early, throwing, on cancellation. */
export async function livelySleep(ms: number): Promise<void> {
  const activity = currentActivity();
  if (!activity) return new Promise((resolve) => setTimeout(resolve, ms));
  checkpoint();
  await activity.sleep(ms);
  throwIfCancelled(activity);
}

/**
 * The signal a platform request is sent with: its own timeout, plus the attempt's cancellation for
 * requests that are safe to abort half-way (idempotent ones). A write that may have landed is never
 * aborted by cancellation: its outcome would be unknown.
 */
export function requestSignal(timeoutMs: number, abortable: boolean): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  const activity = abortable ? currentActivity() : undefined;
  return activity ? AbortSignal.any([timeout, activity.cancellationSignal]) : timeout;
}

/**
 * Runs `work` while heartbeating every `everyMs`, so a single slow platform call (20–40 s) does not look
 * like a dead worker. A crashed worker stops heartbeating, which is what the heartbeat timeout detects;
 * a hung call is bounded by each request's own timeout.
 */
export async function keepAlive<T>(work: () => Promise<T>, everyMs = 2000): Promise<T> {
  const activity = currentActivity();
  if (!activity) return work();
  const timer = setInterval(() => activity.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
