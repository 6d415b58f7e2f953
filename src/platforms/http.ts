/**
 * Shared HTTP plumbing for the platform clients: one error type that says whether a retry can help,
 * so activities can turn it into a retryable or non-retryable Temporal failure in one place.
 */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  constructor(
    message: string,
    readonly details: {
      platform: 'smaregi' | 'makeshop';
      status?: number;
      /** false for 4xx other than 408/429: sending the same request again cannot succeed. */
      retryable: boolean;
      /** From Retry-After (seconds or HTTP date), when the platform gave one. */
      retryAfterMs?: number;
      /** A short machine-readable kind, e.g. 'auth', 'throttled', 'not-found', 'validation', 'network', 'server'. */
      kind: PlatformErrorKind;
    },
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.details.retryable;
  }
  get status(): number | undefined {
    return this.details.status;
  }
  get kind(): PlatformErrorKind {
    return this.details.kind;
  }
}

export type PlatformErrorKind =
  | 'auth'
  /** The shop's makeshop apps token was revoked (the app was uninstalled): nothing works until reinstalled. */
  | 'revoked'
  | 'forbidden'
  | 'not-found'
  | 'validation'
  | 'throttled'
  | 'timeout'
  | 'server'
  | 'network'
  | 'protocol';

/** HTTP status → whether a retry may help. 408 and 429 are the only retryable 4xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function kindForStatus(status: number): PlatformErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server';
  return 'validation';
}

/** Parses Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type FetchLike = typeof fetch;
