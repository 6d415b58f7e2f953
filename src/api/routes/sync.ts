import Router from '@koa/router';
import { z } from 'zod';
import { WorkflowNotFoundError, WithStartWorkflowOperation } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { AppDeps } from '../deps';
import type { SyncDeps } from '../../sync/ports';
import { computeTargets } from '../../sync/targets';
import { readSyncLog } from '../../storage/sync-log';
import { signalSyncWorkflow } from '../../temporal/tenant-workflows';
import { TenantIdKey, SyncStateKey } from '../../temporal/search-attributes';
import { resyncRequestedSignal, setSyncStateUpdate, syncStatusQuery, syncWorkflowId } from '../../workflows/messages';
import type { SyncStatus } from '../../domain/sync';
import { tenantIdOf } from './tenant-context';

const syncStateBody = z.strictObject({ state: z.enum(['running', 'stopped'], { error: 'state は "running" か "stopped" です' }) });
const logQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const previewQuery = z.object({ limit: z.coerce.number().int().min(1).max(100_000).default(1000) });

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
    const tenantId = tenantIdOf(ctx);
    const { state } = syncStateBody.parse(ctx.request.body);
    const startWorkflowOperation = new WithStartWorkflowOperation('syncWorkflow', {
      workflowId: syncWorkflowId(tenantId),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: TenantIdKey, value: tenantId },
        { key: SyncStateKey, value: 'stopped' },
      ],
    });
    ctx.body = await temporal.workflow.executeUpdateWithStart(setSyncStateUpdate, { args: [{ state }], startWorkflowOperation });
  });

  router.get('/log', async (ctx) => {
    const { limit } = logQuery.parse(ctx.query);
    ctx.body = await readSyncLog(deps.db, tenantIdOf(ctx), limit);
  });

  router.get('/preview', async (ctx) => {
    const { limit } = previewQuery.parse(ctx.query);
    const { targets } = await computeTargets(deps.sync, tenantIdOf(ctx));
    ctx.body = targets.slice(0, limit).map((t) => ({
      code: t.item.source === 'option' ? t.item.optionCode : t.item.customCode,
      smaregiTotal: t.smaregiTotal,
      buffer: t.buffer,
      reserved: t.reserved,
      target: t.target,
      lastPushed: t.lastPushed,
    }));
  });

  router.post('/resync', async (ctx) => {
    await signalSyncWorkflow(temporal, config.TEMPORAL_TASK_QUEUE, tenantIdOf(ctx), resyncRequestedSignal, [{ reason: 'merchant' }]);
    ctx.status = 202;
    ctx.body = { accepted: true };
  });

  return router;
}

export async function syncStatus(deps: Pick<AppDeps, 'temporal'>, tenantId: string): Promise<SyncStatus | null> {
  try {
    return await deps.temporal.workflow.getHandle(syncWorkflowId(tenantId)).query(syncStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
