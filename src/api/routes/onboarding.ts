import Router from '@koa/router';
import { z } from 'zod';
import { describeOnboarding, STEP_KEYS, type MakeshopApplicationSubmission } from '../../domain/onboarding';
import { chooseMakeshopAppsUpdate, submitMakeshopApplicationUpdate } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { updateOnboarding } from '../temporal-calls';
import { documentedRoute } from '../openapi';
import { parseRequest, requiredText, strictBody } from '../validation';
import { currentTenant, workflowCallDeps } from './merchant-tenant';

const shopUrl = z
  .url({
    protocol: /^https?$/,
    hostname: z.regexes.domain,
    error: (issue) =>
      issue.input === undefined
        ? 'ショップURLを入力してください。'
        : 'ショップURLは、MakeShopで「適用中」のドメインを http:// または https:// から入力してください（例: https://www.example.jp/）。',
  })
  .max(2048, 'ショップURLは2048文字以内で入力してください。');

export const applicationFormBody = strictBody({
  shopName: requiredText('ショップ名', { max: 100 }),
  userName: requiredText('利用者名', { max: 100 }),
  shopId: requiredText('ショップID', {
    max: 64,
    pattern: /^[A-Za-z0-9_-]+$/,
    patternMessage: 'ショップIDはMakeShopのショップID（半角英数字・ハイフン・アンダースコア）を入力してください。',
  }),
  shopUrl,
});
export const alreadyEnabledBody = strictBody({
  alreadyEnabled: z.literal(true, { error: '外部システム連携がすでに有効な場合は {"alreadyEnabled": true} を送信してください。' }),
});

export const appsModeBody = strictBody({
  mode: z.literal('apps', { error: 'makeshopアプリで連携する場合は {"mode": "apps", "shopId": "..."} を送信してください。' }),
  shopId: applicationFormBody.shape.shopId,
});

export const onboardingView = z.object({
  tenantId: z.string(),
  makeshopMode: z.enum(['legacy', 'apps']).describe('apps: makeshop apps GraphQL API; legacy: 外部システム連携 (CSV upload, orderinfo)'),
  steps: z.array(z.object({ key: z.enum(STEP_KEYS), status: z.enum(['todo', 'waiting', 'done']), detail: z.string().optional() })),
  requiredActions: z.array(z.object({ key: z.string(), message: z.string() })).describe('稼働には下記の設定が必要です'),
  canSetRunning: z.boolean(),
  syncState: z.enum(['running', 'stopped']),
});

/** The form, or "already enabled": which one is meant is decided by the presence of `alreadyEnabled`. */
function parseApplication(body: unknown): MakeshopApplicationSubmission {
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (isObject && 'alreadyEnabled' in body) return parseRequest(alreadyEnabledBody, body);
  return parseRequest(applicationFormBody, body);
}

/** The six steps (GET) and step 2's form (POST). */
export function onboardingRoutes(deps: AppDeps): Router {
  const router = new Router();
  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/onboarding', summary: 'The six set-up steps and what 稼働 still needs', tags: ['onboarding'], response: onboardingView },
    async (ctx) => {
      const tenant = await currentTenant(deps, ctx);
      ctx.body = describeOnboarding(tenant.onboarding.state);
    },
  );
  documentedRoute(
    router,
    {
      method: 'post',
      path: '/api/v1/onboarding/makeshop-application',
      summary: 'Step 2: connect through the makeshop app (recommended), or apply for MakeShop 外部システム連携 / declare it already enabled',
      description:
        'apps: {mode:"apps", shopId}, then install the app in MakeShop and open it from the MakeShop admin while logged in. legacy: the application waits for an operator to approve it after MakeShop\'s review; refused (409) once approved.',
      tags: ['onboarding'],
      request: z.union([appsModeBody, applicationFormBody, alreadyEnabledBody]),
      response: onboardingView,
      status: 202,
    },
    async (ctx) => {
      const body: unknown = ctx.request.body;
      if (typeof body === 'object' && body !== null && 'mode' in body) {
        const { shopId } = parseRequest(appsModeBody, body);
        const tenant = await currentTenant(deps, ctx);
        ctx.body = await updateOnboarding(workflowCallDeps(deps), tenant._id, chooseMakeshopAppsUpdate, { shopId });
        ctx.status = 202;
        return;
      }
      const submission = parseApplication(body);
      const tenant = await currentTenant(deps, ctx);
      ctx.body = await updateOnboarding(workflowCallDeps(deps), tenant._id, submitMakeshopApplicationUpdate, submission);
      ctx.status = 202;
    },
  );
  return router;
}
