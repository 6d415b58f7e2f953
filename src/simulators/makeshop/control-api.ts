import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { downloadFileName, optionCsv, productCsv } from './csv-export';
import { slowFaultsShape } from '../slow-faults';
import { readJson } from './http-body';
import { compactJst } from './jst';
import type { MakeshopSimState } from './state';

/**
 * The simulator's control API (DESIGN §6), for the demo, tests and acceptance checks.
 * Extras beyond the contract (optional, backwards compatible):
 * - POST /__sim/shops also takes `externalIntegrationEnabled` (false → orderinfo answers "not enabled")
 *   a `price` per product/option and a `categoryPath` per product (they only show in the CSV downloads);
 * - POST /__sim/shops/{shopId}/orders also takes `orderedAt` (ISO 8601, to backdate an order) and
 *   `provisional` (true → status 99 仮注文);
 * - GET /__sim/shops/{shopId}/calls: the legacy API calls with start/finish timestamps (ms), to count calls
 *   and check the 1 request/second rule;
 * - GET /__sim/shops/{shopId}/notifications: the 更新通知 delivery log;
 * - GET /__sim/shops/{shopId}/orders: the orders as the simulator holds them;
 * - PUT /__sim/faults also takes `notificationDropRate`.
 */
const quantity = z.number().int().min(0).nullable();

const shopSchema = z.object({
  shopId: z.string().min(1).max(64),
  accountId: z.string().min(1),
  password: z.string().min(1),
  orderAuthCode: z.string().min(1),
  externalIntegrationEnabled: z.boolean().optional(),
  products: z.array(
    z.object({
      systemCode: z.string().regex(/^\d+$/, 'システム商品コード is digits'),
      customCode: z.string().default(''),
      name: z.string().min(1),
      jan: z.string().default(''),
      quantity,
      optionNames: z.array(z.string().min(1)).max(2).optional(),
      price: z.number().int().min(0).optional(),
      categoryPath: z.string().optional(),
    }),
  ),
  options: z
    .array(
      z.object({
        systemCode: z.string().regex(/^\d+$/, 'システム商品コード is digits'),
        optionCode: z.string().default(''),
        option1: z.string().default(''),
        option2: z.string().default(''),
        jan: z.string().default(''),
        quantity,
        price: z.number().int().min(0).optional(),
      }),
    )
    .default([]),
});

const orderSchema = z.object({
  lines: z.array(z.object({ code: z.string().min(1), quantity: z.number().int().min(1) })).min(1),
  orderedAt: z.iso.datetime({ offset: true }).optional(),
  provisional: z.boolean().optional(),
});

const orderEditSchema = z.object({ lines: orderSchema.shape.lines });
const stockEditSchema = z.object({ code: z.string().min(1), quantity });

const notificationUrlSchema = z.object({
  url: z.string().refine(isNotificationTemplate, 'url must be an http(s) URL, optionally with [SHOPID] [ORDERNUM] [CMD], or "" to clear'),
});

const rate = z.number().min(0).max(1).default(0);
const faultsSchema = z.object({
  errorRate: rate,
  throttleRate: rate,
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  notificationDropRate: rate,
  ...slowFaultsShape,
});

export function controlRouter(state: MakeshopSimState): Router {
  const router = new Router({ prefix: '/__sim' });

  router.post('/shops', async (ctx) => {
    const shop = state.replaceShop(await readJson(ctx, shopSchema));
    ctx.status = 201;
    ctx.body = { shopId: shop.shopId, products: shop.products.length, options: shop.options.length };
  });

  router.get('/shops/:shopId/csv/products', (ctx) => sendCsv(ctx, state, 'products'));
  router.get('/shops/:shopId/csv/options', (ctx) => sendCsv(ctx, state, 'options'));

  router.put('/shops/:shopId/notification-url', async (ctx) => {
    const shop = state.requireShop(shopIdOf(ctx));
    const { url } = await readJson(ctx, notificationUrlSchema);
    shop.notificationUrl = url === '' ? null : url;
    ctx.body = { url: shop.notificationUrl };
  });

  router.post('/shops/:shopId/orders', async (ctx) => {
    const shopId = shopIdOf(ctx);
    state.requireShop(shopId);
    const body = await readJson(ctx, orderSchema);
    const orderedAt = body.orderedAt === undefined ? undefined : Date.parse(body.orderedAt);
    const order = state.placeOrder(shopId, body.lines, { orderedAt, provisional: body.provisional });
    ctx.status = 201;
    ctx.body = { orderNumber: order.orderNumber };
  });

  router.post('/shops/:shopId/orders/:orderNumber/cancel', (ctx) => {
    const order = state.cancelOrder(shopIdOf(ctx), String(ctx.params.orderNumber));
    ctx.body = { orderNumber: order.orderNumber, status: 'cancelled' };
  });

  router.post('/shops/:shopId/orders/:orderNumber/edit', async (ctx) => {
    const { lines } = await readJson(ctx, orderEditSchema);
    const order = state.editOrder(shopIdOf(ctx), String(ctx.params.orderNumber), lines);
    ctx.body = { orderNumber: order.orderNumber, status: 'edited' };
  });

  router.put('/shops/:shopId/stock', async (ctx) => {
    const { code, quantity: value } = await readJson(ctx, stockEditSchema);
    state.requireShop(shopIdOf(ctx)).setStock(code, value);
    ctx.body = { code, quantity: value };
  });

  router.get('/shops/:shopId/orders', (ctx) => {
    const orders = [...state.requireShop(shopIdOf(ctx)).orders.values()];
    ctx.body = orders.map((order) => ({ ...order, orderedAt: new Date(order.orderedAt).toISOString(), updatedAt: new Date(order.updatedAt).toISOString() }));
  });

  router.get('/shops/:shopId/stock', (ctx) => {
    ctx.body = state.requireShop(shopIdOf(ctx)).stockRows();
  });
  router.get('/shops/:shopId/calls', (ctx) => {
    ctx.body = state.requireShop(shopIdOf(ctx)).calls;
  });
  router.get('/shops/:shopId/notifications', (ctx) => {
    ctx.body = state.requireShop(shopIdOf(ctx)).notifications;
  });

  router.put('/faults', async (ctx) => {
    state.faults = await readJson(ctx, faultsSchema);
    ctx.body = state.faults;
  });
  return router;
}

function sendCsv(ctx: Koa.Context, state: MakeshopSimState, kind: 'products' | 'options'): void {
  const shop = state.requireShop(shopIdOf(ctx));
  ctx.type = 'text/csv; charset=Shift_JIS';
  ctx.attachment(downloadFileName(kind, compactJst(state.now())));
  ctx.body = kind === 'products' ? productCsv(shop) : optionCsv(shop);
}

function shopIdOf(ctx: Koa.Context): string {
  return String((ctx.params as Record<string, string>).shopId);
}

function isNotificationTemplate(url: string): boolean {
  if (url === '') return true;
  try {
    const sample = new URL(url.replaceAll('[SHOPID]', 's').replaceAll('[ORDERNUM]', 'o').replaceAll('[CMD]', '0'));
    return sample.protocol === 'http:' || sample.protocol === 'https:';
  } catch {
    return false;
  }
}
