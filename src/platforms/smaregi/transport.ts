import { checkpoint, requestSignal } from '../../lib/activity-liveness';
import type { Logger } from '../../lib/logger';
import { PlatformError, isRetryableStatus, kindForStatus, parseRetryAfter } from '../http';
import type { ContractRateLimiter, RequestKind } from './rate-limiter';

export interface SmaregiRequest {
  contractId: string;
  kind: RequestKind;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * Whether sending the request twice is harmless. A non-idempotent request is retried in-client
   * only when the platform certainly did not act on it (429, 503, connection refused).
   */
  idempotent: boolean;
}

export interface SmaregiResponse {
  status: number;
  body: unknown;
}

export interface SmaregiTransportOptions {
  fetch: typeof fetch;
  limiter: ContractRateLimiter;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  logger: Logger;
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryAfterMs: number;
  requestTimeoutMs: number;
}

interface FailedAttempt {
  error: PlatformError;
  /** True when the platform cannot have acted on the request, so even a POST may be resent. */
  notProcessed: boolean;
}

const MAX_BACKOFF_MS = 8000;
const CONNECTION_NEVER_MADE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** One HTTP exchange with Smaregi: rate limiting, in-client retries, and errors as PlatformError. */
export class SmaregiTransport {
  constructor(private readonly opts: SmaregiTransportOptions) {}

  async send(req: SmaregiRequest): Promise<SmaregiResponse> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.sendOnce(req);
      if (!('error' in outcome)) return outcome;
      const delayMs = this.retryDelay(req, outcome, attempt);
      if (delayMs === undefined) throw outcome.error;
      this.opts.logger.debug(
        { contractId: req.contractId, attempt, delayMs, kind: outcome.error.kind },
        'smaregi request failed; retrying',
      );
      await this.opts.sleep(delayMs);
    }
  }

  private retryDelay(req: SmaregiRequest, failed: FailedAttempt, attempt: number): number | undefined {
    const { error } = failed;
    if (!error.retryable || attempt >= this.opts.maxRetries) return undefined;
    if (!req.idempotent && !failed.notProcessed) return undefined;
    const retryAfterMs = error.details.retryAfterMs;
    if (retryAfterMs !== undefined)
      return retryAfterMs <= this.opts.maxRetryAfterMs ? retryAfterMs : undefined;
    return Math.min(MAX_BACKOFF_MS, this.opts.retryBaseDelayMs * 2 ** attempt);
  }

  private async sendOnce(req: SmaregiRequest): Promise<SmaregiResponse | FailedAttempt> {
    await this.opts.limiter.acquire(req.contractId, req.kind);
    checkpoint({ smaregi: req.method });
    let res: Response;
    try {
      res = await this.opts.fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: requestSignal(this.opts.requestTimeoutMs, req.idempotent),
      });
    } catch (err) {
      return networkFailure(req, err);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return { status: res.status, body: parseSuccessBody(req, res.status, text) };
    return {
      error: new PlatformError(`${describe(req)} failed: HTTP ${res.status} ${problemSummary(text)}`, {
        platform: 'smaregi',
        status: res.status,
        retryable: isRetryableStatus(res.status),
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.opts.now()),
        kind: kindForStatus(res.status),
      }),
      notProcessed: res.status === 429 || res.status === 503,
    };
  }
}

function describe(req: SmaregiRequest): string {
  const url = new URL(req.url);
  return `Smaregi ${req.method} ${url.pathname}${url.search}`;
}

function networkFailure(req: SmaregiRequest, err: unknown): FailedAttempt {
  const timedOut = err instanceof Error && err.name === 'TimeoutError';
  const code = errorCode(err);
  const reason = timedOut
    ? 'timed out'
    : `network error${code ? ` (${code})` : ''}: ${err instanceof Error ? err.message : String(err)}`;
  return {
    error: new PlatformError(`${describe(req)} ${reason}`, {
      platform: 'smaregi',
      retryable: true,
      kind: timedOut ? 'timeout' : 'network',
    }),
    notProcessed: code !== undefined && CONNECTION_NEVER_MADE.has(code),
  };
}

function errorCode(err: unknown): string | undefined {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = cause?.code ?? (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseSuccessBody(req: SmaregiRequest, status: number, text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new PlatformError(`${describe(req)} answered ${status} with a body that is not JSON`, {
      platform: 'smaregi',
      status,
      retryable: false,
      kind: 'protocol',
    });
  }
}

/**
 * Errors are RFC 7807 `{type, title, detail, status}` on the API ([O]); the token endpoint may use
 * OAuth's `{error, error_description}`. Either way the merchant-actionable detail ends up in the message.
 */
function problemSummary(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
  if (typeof parsed !== 'object' || parsed === null) return text.slice(0, 200);
  const p = parsed as Record<string, unknown>;
  const title = stringOr(p.title) ?? stringOr(p.error);
  const detail = stringOr(p.detail) ?? stringOr(p.error_description);
  return [title, detail].filter(Boolean).join(': ') || text.slice(0, 200);
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
