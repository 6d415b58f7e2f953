import { createHmac, timingSafeEqual } from 'node:crypto';

/** How old a launch request may be (its `timestamp`), either way, to allow for clock skew. */
const LAUNCH_MAX_AGE_S = 10 * 60;

/**
 * Proof that MakeShop sent the merchant who opens the app from the shop admin: the shop ID, or null when the
 * request does not prove anything.
 *
 * ASSUMPTION (unconfirmed, docs/platform-assumptions.md "Launch proof"): what MakeShop puts in the launch
 * request is undocumented. This reads the most common app-store scheme: query `shop_id`, `timestamp` (unix
 * seconds) and `hmac` = hex HMAC-SHA256 of "shop_id=…&timestamp=…" keyed with the app's secret. This is the
 * only function that knows it; replace it when the real request is known.
 */
export function verifyLaunchProof(query: Record<string, unknown>, secret: string, nowMs: number): string | null {
  const shopId = single(query.shop_id);
  const timestamp = single(query.timestamp);
  const hmac = single(query.hmac);
  if (!shopId || !timestamp || !hmac || !/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/i.test(hmac)) return null;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > LAUNCH_MAX_AGE_S) return null;
  const expected = createHmac('sha256', secret).update(`shop_id=${shopId}&timestamp=${timestamp}`).digest();
  return timingSafeEqual(expected, Buffer.from(hmac, 'hex')) ? shopId : null;
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined;
}
