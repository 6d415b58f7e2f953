import Router from '@koa/router';
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AppDeps } from '../deps';
import type { SyncDeps } from '../../sync/ports';
import { computeTargets, type ItemTarget } from '../../sync/targets';
import { readMakeshopQuantities } from '../../sync/makeshop-stock';
import { PlatformError } from '../../platforms/http';
import { activeCatalogVersion, listCatalogItems } from '../../storage/catalog-items';
import { pushKey } from '../../sync/push-rows';
import { pageParams, parseRequest } from '../validation';
import { readSyncLog } from '../../storage/sync-log';
import { signalSyncWorkflow } from '../../temporal/tenant-workflows';
import { resyncRequestedSignal, setSyncStateUpdate, syncStatusQuery, syncWorkflowId } from '../../workflows/messages';
import type { SyncStatus } from '../../domain/sync';
import { tenantIdOf } from './tenant-context';
import { currentTenant, workflowCallDeps } from './merchant-tenant';
import { requireConfirmedContract } from './smaregi';
import { updateSync, withTemporalDeadline } from '../temporal-calls';
import { registerRoute } from '../openapi';

const syncStateBody = z.strictObject({ state: z.enum(['running', 'stopped'], { error: 'state は "running" か "stopped" です' }) });
const logQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const previewQuery = z.object(pageParams({ maxLimit: 200, defaultLimit: 100 }));

const syncAnswer = z.object({
  state: z.enum(['running', 'stopped']),
  lastPushAt: z.string().nullable(),
  pending: z.object({ orders: z.number(), items: z.number() }),
  lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
});
const logEntry = z.object({
  at: z.string(),
  kind: z.enum(['stock-push', 'order-import', 'order-cancel', 'resync', 'error']),
  code: z.string().optional(),
  orderNumber: z.string().optional(),
  from: z.number().nullable().optional(),
  to: z.number().optional(),
  ok: z.boolean(),
  message: z.string().optional(),
});
const previewRow = z.object({
  code: z.string(),
  smaregiTotal: z.number(),
  buffer: z.number(),
  reserved: z.number(),
  target: z.number(),
  lastPushed: z.number().nullable(),
  makeshopNow: z
    .number()
    .nullable()
    .describe('MakeShop の現在の在庫数（アプリ連携のみ: searchProductQuantity で読む）。null: 旧API連携（在庫を読めない）、在庫管理なし、MakeShop にない商品、または MakeShop が応答しない'),
});

const tags = ['sync'];
registerRoute({ method: 'get', path: '/api/v1/sync', summary: '在庫連携の状態', tags, response: syncAnswer });
registerRoute({ method: 'put', path: '/api/v1/sync/state', summary: '稼働/停止を切り替える（稼働に必要な設定が揃っていなければ 409）', tags, request: syncStateBody, response: z.object({ state: z.enum(['running', 'stopped']) }) });
registerRoute({ method: 'get', path: '/api/v1/sync/log', summary: '連携ログ（新しい順）', tags, query: logQuery, response: z.array(logEntry) });
registerRoute({ method: 'get', path: '/api/v1/sync/preview', summary: '稼働した場合に送信する在庫（ドライラン）: 連携対象の商品を1ページ分だけ計算する', tags, query: previewQuery, response: z.array(previewRow) });
registerRoute({ method: 'post', path: '/api/v1/sync/resync', summary: '全商品の在庫を再送信する', tags, status: 202, response: z.object({ accepted: z.literal(true) }) });

/** 在庫連携: state (稼働/停止), status, log, dry run and full resync. Mounted behind merchant auth. */
export function syncRoutes(deps: AppDeps & { sync: Omit<SyncDeps, 'heartbeat'> }): Router {
  const router = new Router({ prefix: '/api/v1/sync' });
  const { temporal, config } = deps;

  router.get('/', async (ctx) => {
    const status = await syncStatus(deps, tenantIdOf(ctx));
    ctx.body = {
      state: status?.state ?? 'stopped',
      lastPushAt: status?.lastPushAt ?? null,
      pending: { orders: status?.pending.orders ?? 0, items: status?.pending.items ?? 0 },
      lastError: status?.lastError ?? null,
    };
  });

  router.put('/state', async (ctx) => {
    const { state } = syncStateBody.parse(ctx.request.body);
    if (state === 'running') requireConfirmedContract(await currentTenant(deps, ctx));
    ctx.body = await updateSync(workflowCallDeps(deps), tenantIdOf(ctx), setSyncStateUpdate, { state });
  });

  router.get('/log', async (ctx) => {
    const { limit } = logQuery.parse(ctx.query);
    ctx.body = await readSyncLog(deps.db, tenantIdOf(ctx), limit);
  });

  router.get('/preview', async (ctx) => {
    const tenantId = tenantIdOf(ctx);
    const targets = await previewPage(deps, tenantId, parseRequest(previewQuery, ctx.query));
    const makeshopNow = await makeshopNowOf(deps, tenantId, targets);
    ctx.body = targets.map((t) => ({
      code: t.item.source === 'option' ? t.item.optionCode : t.item.customCode,
      smaregiTotal: t.smaregiTotal,
      buffer: t.buffer,
      reserved: t.reserved,
      target: t.target,
      lastPushed: t.lastPushed,
      makeshopNow: makeshopNow.get(t.key) ?? null,
    }));
  });

  router.post('/resync', async (ctx) => {
    await withTemporalDeadline(workflowCallDeps(deps), () =>
      signalSyncWorkflow(temporal, config.TEMPORAL_TASK_QUEUE, tenantIdOf(ctx), resyncRequestedSignal, [{ reason: 'merchant' }]),
    );
    ctx.status = 202;
    ctx.body = { accepted: true };
  });

  return router;
}

/**
 * Targets of one page of the matched items (in catalog order): Smaregi and the database are asked about
 * those items only, never the whole catalog.
 */
async function previewPage(deps: AppDeps & { sync: Omit<SyncDeps, 'heartbeat'> }, tenantId: string, query: { page: number; limit: number }): Promise<ItemTarget[]> {
  const version = await activeCatalogVersion(deps.db, tenantId);
  if (version === null) return [];
  const { items } = await listCatalogItems(deps.db, { tenantId, version, status: 'matched', ...query });
  if (items.length === 0) return [];
  const { targets } = await computeTargets(deps.sync, tenantId, [...new Set(items.map((i) => i.smaregiProductId!))]);
  const byKey = new Map(targets.map((t) => [t.key, t]));
  return items.map((item) => byKey.get(pushKey(item))).filter((t): t is ItemTarget => t !== undefined);
}

/** MakeShop's current quantities of the page's items (apps mode); empty when they cannot be read. */
async function makeshopNowOf(deps: AppDeps & { sync: Omit<SyncDeps, 'heartbeat'> }, tenantId: string, targets: ItemTarget[]): Promise<Map<string, number | null>> {
  const connection = targets.length > 0 ? await deps.sync.tenants.makeshopConnection(tenantId) : null;
  if (!connection) return new Map();
  try {
    return (await readMakeshopQuantities(deps.sync, connection, targets.map((t) => t.item))) ?? new Map();
  } catch (err) {
    // The preview still answers: the column stays empty while MakeShop does not.
    if (!(err instanceof PlatformError)) throw err;
    deps.logger.warn({ tenantId, err: err.message }, 'preview: MakeShop stock could not be read');
    return new Map();
  }
}

export async function syncStatus(deps: AppDeps, tenantId: string): Promise<SyncStatus | null> {
  try {
    return await withTemporalDeadline(workflowCallDeps(deps), () => deps.temporal.workflow.getHandle(syncWorkflowId(tenantId)).query(syncStatusQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
