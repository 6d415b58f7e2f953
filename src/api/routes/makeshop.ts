import Router from '@koa/router';
import { z } from 'zod';
import { MAKESHOP_PASSWORD_MAX_LENGTH, rejectionFor } from '../../domain/onboarding';
import { getMakeshopCredentialsSummary, loadMakeshopCredentials, saveMakeshopCredentials } from '../../storage/secrets';
import { recordMakeshopCredentialsSavedUpdate } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { conflict } from '../errors';
import { onboardingDepsOf } from '../deps';
import { updateOnboarding } from '../temporal-calls';
import { documentedRoute } from '../openapi';
import { parseRequest, requiredText, strictBody } from '../validation';
import { currentTenant, workflowCallDeps } from './merchant-tenant';

const VISIBLE_ASCII = /^[!-~]+$/;

export const credentialsBody = strictBody({
  accountId: requiredText('MakeShopの主管理者ID', {
    max: 64,
    pattern: VISIBLE_ASCII,
    patternMessage: 'MakeShopの主管理者IDは半角英数字・記号で入力してください（空白は使えません）。',
  }),
  password: z
    .string({ error: (issue) => (issue.input === undefined ? 'MakeShopのパスワードを入力してください。' : 'MakeShopのパスワードは文字列で入力してください。') })
    .min(1, 'MakeShopのパスワードを入力してください。')
    .max(
      MAKESHOP_PASSWORD_MAX_LENGTH,
      `MakeShopのパスワードは${MAKESHOP_PASSWORD_MAX_LENGTH}文字以内で登録してください。${MAKESHOP_PASSWORD_MAX_LENGTH + 1}文字以上の場合は、先にMakeShopの管理画面でパスワードを${MAKESHOP_PASSWORD_MAX_LENGTH}文字以内に変更してから入力してください。`,
    ),
  orderAuthCode: requiredText('注文データ連携認証コード', {
    max: 64,
    pattern: VISIBLE_ASCII,
    patternMessage: '注文データ連携認証コードは、MakeShop管理画面に表示された半角英数字をそのまま入力してください。',
  }),
});

export const credentialsSummary = z.object({
  accountId: z.string().nullable(),
  passwordSet: z.boolean(),
  orderAuthCodeSet: z.boolean(),
  updatedAt: z.string().nullable(),
});
const connectionTestAnswer = z.object({
  ok: z.boolean(),
  reason: z.enum(['credentials', 'order-auth-code', 'not-enabled', 'unreachable']).optional(),
  message: z.string(),
});

/** Step 3: MakeShop credentials, stored encrypted and never shown again. */
export function makeshopRoutes(deps: AppDeps): Router {
  const router = new Router();
  const path = '/api/v1/makeshop/credentials';
  documentedRoute(
    router,
    { method: 'get', path, summary: 'Step 3: which MakeShop credentials are saved (never the secrets)', tags: ['onboarding'], response: credentialsSummary },
    async (ctx) => {
      const tenant = await currentTenant(deps, ctx);
      ctx.body = await getMakeshopCredentialsSummary(deps.db, tenant._id);
    },
  );
  documentedRoute(
    router,
    {
      method: 'put',
      path,
      summary: 'Step 3: save the MakeShop main admin ID, password (≤ 12 characters) and 注文データ連携認証コード',
      description: 'Refused (409) until the MakeShop application is approved: MakeShop issues the auth code only then.',
      tags: ['onboarding'],
      request: credentialsBody,
      response: credentialsSummary,
    },
    async (ctx) => {
      const body = parseRequest(credentialsBody, ctx.request.body);
      const tenant = await currentTenant(deps, ctx);
      // Approval is never taken back, so once the record says "approved" the update below is accepted too.
      const rejection = rejectionFor('saveMakeshopCredentials', tenant.onboarding.steps);
      if (rejection) throw conflict(rejection.code, rejection.message);
      const now = new Date();
      const summary = await saveMakeshopCredentials(deps.db, onboardingDepsOf(deps).secretBox, tenant._id, body, now);
      await updateOnboarding(workflowCallDeps(deps), tenant._id, recordMakeshopCredentialsSavedUpdate, { savedAt: now.toISOString() });
      ctx.body = summary;
    },
  );
  documentedRoute(
    router,
    {
      method: 'post',
      path: `${path}/test`,
      summary: 'Step 3: test the saved credentials against MakeShop (CSV upload login and order API)',
      tags: ['onboarding'],
      response: connectionTestAnswer,
    },
    async (ctx) => {
      const { secretBox, makeshop } = onboardingDepsOf(deps);
      const tenant = await currentTenant(deps, ctx);
      const credentials = await loadMakeshopCredentials(deps.db, secretBox, tenant._id);
      if (!credentials) throw conflict('credentials_not_saved', '先にMakeShopの主管理者ID・パスワード・注文データ連携認証コードを保存してください。');
      const result = await makeshop.testConnection(credentials);
      ctx.body = result.ok ? { ok: true, message: 'MakeShopに接続できました。' } : result;
    },
  );
  return router;
}
