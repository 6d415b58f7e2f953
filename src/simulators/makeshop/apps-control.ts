import { createHmac } from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { readJson } from './http-body';
import type { MakeshopSimState } from './state';

/**
 * Control API of the makeshop app (DESIGN §6). Extras beyond the contract (optional):
 * - PUT /__sim/apps also takes `launchUrl` (where the app is opened; default: the install URL's origin +
 *   /api/v1/makeshop/apps/launch), `launchSecret` (signs the launch request) and `deniedApis`
 *   (APIs not granted to the app: FORBIDDEN);
 * - GET /__sim/apps/webhooks: the install / uninstall / 注文更新通知 delivery log.
 */
const url = z.string().url().nullable();
const appsSchema = z.object({
  apiKey: z.string().min(1).optional(),
  installUrl: url.optional(),
  uninstallUrl: url.optional(),
  orderUpdateUrl: url.optional(),
  orderUpdateIntervalMs: z.number().int().min(50).max(3_600_000).optional(),
  launchUrl: url.optional(),
  launchSecret: z.string().min(1).optional(),
  deniedApis: z.array(z.string()).optional(),
});

const LAUNCH_PATH = '/makeshop/apps/launch';

export function appsControlRouter(state: MakeshopSimState): Router {
  const router = new Router({ prefix: '/__sim' });

  router.put('/apps', async (ctx) => {
    const { launchUrl, launchSecret, ...settings } = await readJson(ctx, appsSchema);
    if (launchUrl !== undefined) state.apps.launchUrl = launchUrl;
    if (launchSecret !== undefined) state.apps.launchSecret = launchSecret;
    ctx.body = { ...state.apps.configure(settings), launchUrl: launchUrlOf(state) };
  });
  router.get('/apps/webhooks', (ctx) => {
    ctx.body = state.apps.webhooks;
  });
  router.post('/apps/order-updates/flush', async (ctx) => {
    ctx.body = await state.apps.flushOrderUpdates();
  });
  router.post('/shops/:shopId/apps/install', async (ctx) => {
    ctx.body = await state.apps.install(state.requireShop(shopIdOf(ctx)));
  });
  router.post('/shops/:shopId/apps/uninstall', async (ctx) => {
    ctx.body = await state.apps.uninstall(state.requireShop(shopIdOf(ctx)));
  });
  router.get('/shops/:shopId/apps/launch-url', (ctx) => {
    const shop = state.requireShop(shopIdOf(ctx));
    const base = launchUrlOf(state);
    if (!base) {
      ctx.status = 409;
      ctx.body = { error: { code: 'conflict', message: 'set installUrl or launchUrl with PUT /__sim/apps first' } };
      return;
    }
    ctx.body = { url: signedLaunchUrl(base, shop.shopId, Math.floor(state.now() / 1000), state.apps.launchSecret) };
  });
  return router;
}

function launchUrlOf(state: MakeshopSimState): string | null {
  if (state.apps.launchUrl) return state.apps.launchUrl;
  const install = state.apps.settings.installUrl;
  return install ? new URL(LAUNCH_PATH, install).toString() : null;
}

/**
 * ASSUMPTION (unconfirmed, docs/platform-assumptions.md "launch proof"): MakeShop opens the app's URL with
 * `shop_id`, `timestamp` (unix seconds) and `hmac` = hex HMAC-SHA256 of "shop_id=…&timestamp=…" keyed with
 * the app's secret, as app stores commonly do. The service checks it in one function.
 */
export function signedLaunchUrl(base: string, shopId: string, timestamp: number, secret: string): string {
  const message = `shop_id=${shopId}&timestamp=${timestamp}`;
  const target = new URL(base);
  target.searchParams.set('shop_id', shopId);
  target.searchParams.set('timestamp', String(timestamp));
  target.searchParams.set('hmac', createHmac('sha256', secret).update(message).digest('hex'));
  return target.toString();
}

function shopIdOf(ctx: Koa.Context): string {
  return String((ctx.params as Record<string, string>).shopId);
}
