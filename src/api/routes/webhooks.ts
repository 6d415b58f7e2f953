import { performance } from 'node:perf_hooks';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { SignalBatcher } from '../signal-batcher';
import { claimEvents, releaseClaims } from '../../storage/webhook-events';
import { parseSmaregiWebhook, SmaregiWebhookError, verifySmaregiWebhookSecret } from '../../platforms/smaregi/webhooks';
import { parseOrderNotification } from '../../platforms/makeshop/notification';
import { handSyncWork } from '../sync-work';
import type { AppDeps, WebhookTenantLookup } from '../deps';
import { registerRoute } from '../openapi';
import { z } from 'zod';

const webhookAnswer = z.object({ ok: z.literal(true) });
registerRoute({
  method: 'post',
  path: '/webhooks/smaregi',
  summary: 'Smaregi platform webhooks (pos:stock, App Market subscription); verified by the configured secret header',
  tags: ['webhooks'],
  auth: 'none',
  request: z.object({ contractId: z.string().optional(), event: z.string().optional(), action: z.string() }).loose(),
  response: webhookAnswer,
});
registerRoute({
  method: 'get',
  path: '/webhooks/makeshop/orders/{token}',
  summary: 'MakeShop 更新通知API: the tenant is found by its secret token; the order is re-read from MakeShop',
  tags: ['webhooks'],
  auth: 'none',
  query: z.object({ shopid: z.string(), ordernum: z.string(), cmd: z.enum(['0', '1', '2', '3', '4']) }),
  response: webhookAnswer,
});

/**
 * Platform webhooks. They answer as soon as the event is durably handed to Temporal (the signal is in
 * the workflow's history), so a sender that retries on failure retries exactly the lost ones, and the
 * periodic reconciliation covers senders that never retry.
 */
export function webhookRoutes(deps: AppDeps & { webhookTenants: WebhookTenantLookup }): Router {
  const router = new Router({ prefix: '/webhooks' });
  const { config, metrics } = deps;
  /** Smaregi expects an answer within about 3 s ([U] §6.4): past that, a 503 is more useful than a hang. */
  const syncWork = { db: deps.db, temporal: deps.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE };
  const stockEvents = new SignalBatcher<StockEvent>(async (tenantId, batch) => {
    const flushedAt = performance.now();
    for (const e of batch) observeStage(metrics, 'batch-wait', e.receivedAt, flushedAt);
    const outcomes = await claimEvents(deps.db, batch.map((e) => e.claimId));
    observeStage(metrics, 'claim', flushedAt);
    const fresh = batch.filter((_, i) => outcomes[i] === 'accepted');
    if (fresh.length === 0) return outcomes;
    const claimIds = fresh.map((e) => e.claimId);
    const signalAt = performance.now();
    try {
      await handSyncWork(syncWork, tenantId, { productIds: fresh.flatMap((e) => e.productIds) }, SENDER_TIMEOUT_MS);
      observeStage(metrics, 'signal', signalAt);
    } catch (err) {
      await releaseClaims(deps.db, claimIds).catch((releaseErr: unknown) =>
        deps.logger.warn({ err: releaseErr, tenantId }, 'could not release webhook claims; they lapse with their lease'),
      );
      throw err;
    }
    return outcomes;
  });

  // Notifications arriving together for one tenant are stored in one write and hinted in one signal.
  const orderNotifications = new SignalBatcher<{ orderNumber: string; cmd: number }>(async (tenantId, orders) => {
    await handSyncWork(syncWork, tenantId, { orders }, SENDER_TIMEOUT_MS);
    return orders.map(() => 'accepted');
  });

  router.post('/smaregi', async (ctx) => {
    // The secret header was checked by smaregiWebhookGate before the body was read.
    const receivedAt = performance.now();
    let event;
    try {
      event = parseSmaregiWebhook(ctx.headers, ctx.request.body);
    } catch (err) {
      if (err instanceof SmaregiWebhookError) return reject(ctx, 400, 'smaregi', 'malformed', err.message);
      throw err;
    }
    if (event.type === 'subscription') {
      const known = await deps.webhookTenants.applySubscription(event.contractId, event.action);
      return known ? accept(ctx, 'smaregi', 'accepted') : reject(ctx, 404, 'smaregi', 'unknown-tenant');
    }
    const tenant = await deps.webhookTenants.byContractId(event.contractId);
    if (!tenant) return reject(ctx, 404, 'smaregi', 'unknown-tenant');
    if (event.type !== 'stock') return accept(ctx, 'smaregi', 'ignored');

    const productIds = [...new Set(event.changes.map((c) => c.productId))];
    let outcome;
    try {
      outcome = await stockEvents.add(tenant.tenantId, { claimId: `smaregi:${event.contractId}:${event.eventId}`, eventId: event.eventId, productIds, receivedAt });
      observeStage(metrics, 'handler', receivedAt);
    } catch (err) {
      deps.logger.error({ err, tenantId: tenant.tenantId }, 'could not hand Smaregi webhooks to Temporal');
      return reject(ctx, 503, 'smaregi', 'unavailable');
    }
    if (outcome === 'duplicate') return accept(ctx, 'smaregi', 'duplicate');
    return accept(ctx, 'smaregi', 'accepted');
  });

  router.get('/makeshop/orders/:token', async (ctx) => {
    const tenant = await deps.webhookTenants.byNotificationToken(ctx.params.token!);
    if (!tenant) return reject(ctx, 404, 'makeshop', 'unknown-tenant');
    let notification;
    try {
      notification = parseOrderNotification(ctx.query);
    } catch (err) {
      return reject(ctx, 400, 'makeshop', 'malformed', (err as Error).message);
    }
    if (tenant.makeshopShopId !== null && notification.shopId !== tenant.makeshopShopId) {
      return reject(ctx, 404, 'makeshop', 'shop-mismatch');
    }
    try {
      await orderNotifications.add(tenant.tenantId, { orderNumber: notification.orderNumber, cmd: notification.cmd });
    } catch (err) {
      deps.logger.error({ err, tenantId: tenant.tenantId }, 'could not hand a MakeShop notification to Temporal');
      return reject(ctx, 503, 'makeshop', 'unavailable');
    }
    accept(ctx, 'makeshop', 'accepted');
  });

  const accept = (ctx: Context, source: string, outcome: string) => answerAccepted(metrics, ctx, source, outcome);
  const reject = (ctx: Context, status: number, source: string, outcome: string, message?: string) =>
    answerRejected(metrics, ctx, status, source, outcome, message);
  return router;
}

/**
 * Checks the Smaregi secret header before anything reads the body (it runs ahead of the body
 * parser): an unauthenticated sender cannot make the api parse a large or malformed body.
 */
export function smaregiWebhookGate(deps: Pick<AppDeps, 'config' | 'metrics'>): Middleware {
  const secret = { name: deps.config.SMAREGI_WEBHOOK_HEADER_NAME, value: deps.config.SMAREGI_WEBHOOK_HEADER_VALUE };
  return async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path.toLowerCase().replace(/\/+$/, '') === '/webhooks/smaregi' && !verifySmaregiWebhookSecret(ctx.headers, secret)) {
      return answerRejected(deps.metrics, ctx, 401, 'smaregi', 'bad-secret');
    }
    return next();
  };
}

function answerAccepted(metrics: AppDeps['metrics'], ctx: Context, source: string, outcome: string): void {
  metrics.webhooksReceived.inc({ source, outcome });
  ctx.status = 200;
  ctx.body = { ok: true };
}

/** No detail for auth failures: a prober learns nothing. Malformed requests say what is wrong. */
function answerRejected(metrics: AppDeps['metrics'], ctx: Context, status: number, source: string, outcome: string, message?: string): void {
  metrics.webhooksReceived.inc({ source, outcome });
  ctx.status = status;
  ctx.body = { error: { code: status === 400 ? 'invalid_request' : status === 503 ? 'unavailable' : 'rejected', message: message ?? '' } };
}

const SENDER_TIMEOUT_MS = 2500;

interface StockEvent {
  claimId: string;
  eventId: string;
  productIds: string[];
  /** performance.now() when the route started on it (after the body was read). */
  receivedAt: number;
}

function observeStage(metrics: AppDeps['metrics'], stage: string, since: number, until = performance.now()): void {
  metrics.webhookStages.observe({ stage }, (until - since) / 1000);
}
