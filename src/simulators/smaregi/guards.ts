import type Koa from 'koa';
import { TokenBucket } from '../../lib/token-bucket';
import type { RequestKind } from '../../platforms/smaregi/rate-limiter';
import { SimProblem, isControlPath } from './sim-http';
import { NO_SLOW_FAULTS, holdCall, injectedRetryAfterSeconds, type SlowFaults } from '../slow-faults';

export interface FaultSettings extends SlowFaults {
  /** Chance of a 500/503 problem+json instead of the real answer. */
  errorRate: number;
  /** Chance of a 429 with Retry-After (1 s, or up to retryAfterMaxSeconds) regardless of the real rate limit. */
  throttleRate: number;
  /** Added before every platform request. */
  latencyMs: number;
  /** Chance that a webhook is silently not sent. */
  webhookDropRate: number;
}

export const NO_FAULTS: FaultSettings = { errorRate: 0, throttleRate: 0, latencyMs: 0, webhookDropRate: 0, ...NO_SLOW_FAULTS };

/**
 * Injected faults for the platform API only (never /__sim). One random draw per request decides:
 * [0, throttleRate) throttles, then [throttleRate, throttleRate + errorRate) fails — the first half
 * of that band with 500, the second with 503.
 */
export function faultMiddleware(faults: () => FaultSettings, random: () => number): Koa.Middleware {
  return async (ctx, next) => {
    if (isControlPath(ctx.path)) return next();
    const current = faults();
    const { throttleRate, errorRate } = current;
    await holdCall(current.latencyMs, current, random);
    const draw = random();
    if (draw < throttleRate) {
      throw new SimProblem(429, 'Too Many Requests', 'リクエスト数が上限を超えました（障害注入）', {
        'Retry-After': String(injectedRetryAfterSeconds(current, random)),
      });
    }
    if (draw < throttleRate + errorRate) {
      const status = draw < throttleRate + errorRate / 2 ? 500 : 503;
      throw new SimProblem(
        status,
        status === 500 ? 'Internal Server Error' : 'Service Unavailable',
        'サーバーエラーが発生しました（障害注入）',
      );
    }
    return next();
  };
}

/**
 * Per app and contract, reads (GET and token requests) and writes counted separately ([O]
 * §4.4); a bucket holds one second's worth, so a burst up to the rate is allowed.
 */
export function rateLimitMiddleware(
  limits: { readsPerSecond: number; writesPerSecond: number },
  now: () => number,
): Koa.Middleware {
  const buckets = new Map<string, TokenBucket>();
  const bucketFor = (contractId: string, kind: RequestKind) => {
    const key = `${kind}:${contractId}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      const rate = kind === 'read' ? limits.readsPerSecond : limits.writesPerSecond;
      bucket = new TokenBucket(rate, Math.max(1, rate), now);
      buckets.set(key, bucket);
    }
    return bucket;
  };
  return async (ctx, next) => {
    const target = rateLimitedTarget(ctx.method, ctx.path);
    if (!target) return next();
    const taken = bucketFor(target.contractId, target.kind).tryTake();
    if (!taken.ok) {
      const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
      throw new SimProblem(429, 'Too Many Requests', 'リクエスト数が上限を超えました', {
        'Retry-After': String(seconds),
      });
    }
    return next();
  };
}

function rateLimitedTarget(
  method: string,
  path: string,
): { contractId: string; kind: RequestKind } | undefined {
  const token = /^\/app\/([^/]+)\/token\/?$/.exec(path);
  if (token?.[1]) return { contractId: decodeURIComponent(token[1]), kind: 'read' };
  const api = /^\/([^/]+)\/pos(\/|$)/.exec(path);
  if (api?.[1])
    return {
      contractId: decodeURIComponent(api[1]),
      kind: method === 'GET' || method === 'HEAD' ? 'read' : 'write',
    };
  return undefined;
}
