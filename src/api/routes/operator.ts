import Router from '@koa/router';
import { z } from 'zod';
import { describeOnboarding, STEP_KEYS } from '../../domain/onboarding';
import { findTenantById, listTenantsForOperator, type OperatorTenantRow } from '../../storage/tenants';
import { bindContract } from '../../storage/smaregi-contracts';
import { approveMakeshopApplicationUpdate, linkSmaregiContractUpdate } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { conflict, notFound } from '../errors';
import { updateOnboarding, withTemporalDeadline } from '../temporal-calls';
import { restartTenantWorkflows } from '../../temporal/tenant-workflows';
import { documentedRoute } from '../openapi';
import { parseRequest } from '../validation';
import { workflowCallDeps } from './merchant-tenant';
import { onboardingView } from './onboarding';

const listQuery = z.strictObject({
  nextStep: z.enum([...STEP_KEYS, 'done'], { error: `nextStep は ${[...STEP_KEYS, 'done'].join(', ')} のいずれかです。` }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const operatorTenant = z.object({
  tenantId: z.string(),
  email: z.string(),
  shopName: z.string(),
  smaregiContractId: z.string().nullable(),
  smaregiContractConfirmed: z.object({ at: z.string(), by: z.enum(['smaregi-id', 'operator']) }).nullable().describe('null: not proven (a tenant bound before スマレジID login existed must confirm before its next 稼働)'),
  active: z.boolean(),
  createdAt: z.string(),
  nextStep: z.string(),
  steps: onboardingView.shape.steps,
  syncState: z.enum(['running', 'stopped']),
  makeshopApplication: z.object({
    form: z.object({ shopName: z.string(), userName: z.string(), shopId: z.string(), shopUrl: z.string() }).nullable(),
    alreadyEnabled: z.boolean(),
    waitingSince: z.string().nullable(),
    approvedAt: z.string().nullable(),
    approvedBy: z.string().nullable(),
    waitingTooLongReportedAt: z.string().nullable(),
  }),
});

function toOperatorTenant(row: OperatorTenantRow): z.infer<typeof operatorTenant> {
  const { state, nextStep } = row.onboarding;
  const view = describeOnboarding(state);
  const { application } = state;
  return {
    tenantId: row._id,
    email: row.email,
    shopName: row.shopName,
    smaregiContractId: row.smaregiContractId ?? null,
    smaregiContractConfirmed: row.smaregiContractConfirmed
      ? { at: row.smaregiContractConfirmed.at.toISOString(), by: row.smaregiContractConfirmed.by }
      : null,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    nextStep,
    steps: view.steps,
    syncState: view.syncState,
    makeshopApplication: {
      form: application.form,
      alreadyEnabled: application.alreadyEnabled,
      waitingSince: application.waitingSince,
      approvedAt: application.approvedAt,
      approvedBy: application.approvedBy,
      waitingTooLongReportedAt: row.alerts?.applicationWaitingTooLong?.reportedAt.toISOString() ?? null,
    },
  };
}

/** Operators: every tenant's steps, and approval of step 2 after MakeShop's review. */
export function operatorRoutes(deps: AppDeps): Router {
  const router = new Router();
  documentedRoute(
    router,
    {
      method: 'get',
      path: '/api/v1/operator/tenants',
      summary: 'Tenants with their step states (filter by the next open step)',
      tags: ['operator'],
      auth: 'operator',
      query: listQuery,
      response: z.array(operatorTenant),
    },
    async (ctx) => {
      const query = parseRequest(listQuery, ctx.query);
      ctx.body = (await listTenantsForOperator(deps.db, query)).map(toOperatorTenant);
    },
  );
  documentedRoute(
    router,
    {
      method: 'post',
      path: '/api/v1/operator/tenants/{tenantId}/makeshop-application/approve',
      summary: "Approve a tenant's waiting MakeShop application (after MakeShop's review)",
      description: 'Same effect as sending the signal makeshopApplicationApproved from the Temporal UI. 409 when no application is waiting.',
      tags: ['operator'],
      auth: 'operator',
      response: onboardingView,
    },
    async (ctx) => {
      const tenant = await findTenantById(deps.db, String(ctx.params.tenantId));
      if (!tenant) throw notFound('テナントが見つかりません。');
      deps.logger.info({ tenantId: tenant._id }, 'operator approves MakeShop application');
      ctx.body = await updateOnboarding(workflowCallDeps(deps), tenant._id, approveMakeshopApplicationUpdate, { approvedBy: 'operator-api' });
    },
  );
  documentedRoute(
    router,
    {
      method: 'post',
      path: '/api/v1/operator/tenants/{tenantId}/smaregi-contract/confirm',
      summary: "Confirm the Smaregi contract a tenant created before スマレジID linking holds (after checking with the contract's owner)",
      description: '409 when the tenant has no contract, or another tenant holds it with a proven binding. The merchant can do the same by logging in with スマレジID.',
      tags: ['operator'],
      auth: 'operator',
      response: onboardingView,
    },
    async (ctx) => {
      const tenant = await findTenantById(deps.db, String(ctx.params.tenantId));
      if (!tenant) throw notFound('テナントが見つかりません。');
      if (tenant.smaregiContractId === undefined) {
        throw conflict('smaregi_not_linked', 'このテナントにはスマレジ契約がありません。加盟店に「スマレジIDで連携する」を案内してください。');
      }
      const now = new Date();
      const outcome = await bindContract(deps.db, tenant._id, tenant.smaregiContractId, 'operator', now);
      if (outcome.kind !== 'bound') throw conflict('smaregi_contract_taken', 'このスマレジ契約は別のテナントが確認済みです。');
      deps.logger.info({ tenantId: tenant._id }, 'operator confirms Smaregi contract');
      ctx.body = await updateOnboarding(workflowCallDeps(deps), tenant._id, linkSmaregiContractUpdate, {
        contractId: tenant.smaregiContractId,
        linkedAt: now.toISOString(),
        linkedBy: 'operator',
      });
    },
  );
  documentedRoute(
    router,
    {
      method: 'post',
      path: '/api/v1/operator/tenants/{tenantId}/workflows/restart',
      summary: "Replace a tenant's sync and onboarding workflow runs by new ones rebuilt from MongoDB",
      description:
        'Terminates the running runs (stuck or not) and starts new ones that load 稼働/停止, readiness, catalog and subscription from MongoDB; 稼働 resumes with a full push and a reconciliation. See docs/operations.md.',
      tags: ['operator'],
      auth: 'operator',
      response: z.object({ tenantId: z.string(), syncRunId: z.string(), onboardingRunId: z.string() }),
    },
    async (ctx) => {
      const tenant = await findTenantById(deps.db, String(ctx.params.tenantId));
      if (!tenant) throw notFound('テナントが見つかりません。');
      const calls = workflowCallDeps(deps);
      const runs = await withTemporalDeadline(calls, () =>
        restartTenantWorkflows(deps.temporal, calls.taskQueue, { tenantId: tenant._id, applicationReportAfterMs: calls.applicationReportAfterMs }),
      );
      deps.logger.warn({ tenantId: tenant._id, ...runs }, 'operator restarted the tenant workflows');
      ctx.body = { tenantId: tenant._id, ...runs };
    },
  );
  return router;
}
