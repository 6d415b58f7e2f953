import type { Context } from 'koa';
import type { AppDeps } from '../deps';
import { notFound } from '../errors';
import { findTenantById, type TenantDocument } from '../../storage/tenants';
import { onboardingOptionsOf } from '../deps';
import type { WorkflowCallDeps } from '../temporal-calls';
import { tenantIdOf } from './tenant-context';

/** The logged-in merchant's tenant (the only one its routes may read). */
export async function currentTenant(deps: Pick<AppDeps, 'db'>, ctx: Context): Promise<TenantDocument> {
  const tenant = await findTenantById(deps.db, tenantIdOf(ctx));
  if (!tenant) throw notFound('アカウントが見つかりません。');
  return tenant;
}

export function workflowCallDeps(deps: AppDeps): WorkflowCallDeps {
  const options = onboardingOptionsOf(deps);
  return {
    temporal: deps.temporal,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    timeoutMs: options.workflowCallTimeoutMs,
    applicationReportAfterMs: options.applicationReportAfterMs,
  };
}
