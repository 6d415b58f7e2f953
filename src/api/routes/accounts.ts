import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { PlatformError } from '../../platforms/http';
import { initialOnboardingState, readinessOf } from '../../domain/onboarding';
import { signalSyncWorkflow } from '../../temporal/tenant-workflows';
import { readinessChangedSignal } from '../../workflows/messages';
import {
  DuplicateTenantError,
  deleteTenant,
  duplicateField,
  findTenantByEmail,
  initialProgress,
  insertTenant,
  newNotificationToken,
  newTenantId,
  normalizeEmail,
  replacePasswordHash,
} from '../../storage/tenants';
import { createSession, purgeExpiredSessions, revokeSession } from '../../storage/sessions';
import type { AppDeps } from '../deps';
import { conflict, HttpError } from '../errors';
import { clearSessionCookie, startSession } from '../middleware/auth';
import { onboardingDepsOf, type ResolvedOnboardingDeps } from '../onboarding-deps';
import { startOnboardingWorkflow } from '../onboarding-workflow';
import { documentedRoute } from '../openapi';
import { admitLogin, withRetryAfter } from '../login-throttle';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../passwords';
import { parseRequest, requiredText, strictBody } from '../validation';

const email = z
  .email({ error: (issue) => (issue.input === undefined ? 'メールアドレスを入力してください。' : 'メールアドレスの形式が正しくありません。') })
  .max(254, 'メールアドレスは254文字以内で入力してください。');
const password = (label: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `${label}を入力してください。` : `${label}は文字列で入力してください。`) });

export const accountBody = strictBody({
  email,
  password: password('パスワード').min(8, 'パスワードは8文字以上にしてください。').max(128, 'パスワードは128文字以内にしてください。'),
  shopName: requiredText('ショップ名', { max: 100 }),
  smaregiContractId: requiredText('スマレジの契約ID', {
    max: 64,
    pattern: /^[A-Za-z0-9_-]+$/,
    patternMessage: 'スマレジの契約IDは半角英数字・ハイフン・アンダースコアで入力してください。',
  }),
});
export const sessionBody = strictBody({ email, password: password('パスワード').min(1, 'パスワードを入力してください。') });
export const sessionAnswer = z.object({
  tenantId: z.string(),
  token: z.string().optional().describe('Bearer token for API clients; omitted for browsers, which get only the HttpOnly session cookie'),
});

const DUPLICATE_MESSAGES = {
  email: { code: 'email_taken', message: 'このメールアドレスはすでに登録されています。ログインしてください。' },
  smaregiContractId: {
    code: 'smaregi_contract_taken',
    message: 'このスマレジ契約IDはすでに別のアカウントで登録されています。心当たりがない場合はサポートまでご連絡ください。',
  },
} as const;

/** Sign-up, login and logout (DESIGN §5). */
export function accountRoutes(deps: AppDeps): Router {
  const router = new Router();
  documentedRoute(
    router,
    { method: 'post', path: '/api/v1/accounts', summary: 'Create a merchant account (step 1) and log in', tags: ['accounts'], auth: 'none', request: accountBody, response: sessionAnswer, status: 201 },
    (ctx) => createAccount(deps, onboardingDepsOf(deps), ctx),
  );
  documentedRoute(
    router,
    { method: 'post', path: '/api/v1/sessions', summary: 'Log in', tags: ['accounts'], auth: 'none', request: sessionBody, response: sessionAnswer },
    (ctx) => logIn(deps, onboardingDepsOf(deps), ctx),
  );
  documentedRoute(router, { method: 'delete', path: '/api/v1/sessions', summary: 'Log out (revokes this session)', tags: ['accounts'], status: 204 }, async (ctx) => {
    await revokeSession(deps.db, String(ctx.state.sessionToken));
    clearSessionCookie(ctx);
    ctx.status = 204;
  });
  return router;
}

async function createAccount(deps: AppDeps, onboarding: ResolvedOnboardingDeps, ctx: Context): Promise<void> {
  const body = parseRequest(accountBody, ctx.request.body);
  const tenantEmail = normalizeEmail(body.email);
  const clash = await duplicateField(deps.db, { email: tenantEmail, smaregiContractId: body.smaregiContractId });
  if (clash) throw conflict(DUPLICATE_MESSAGES[clash].code, DUPLICATE_MESSAGES[clash].message);
  await checkSmaregiContract(onboarding, body.smaregiContractId);

  const tenantId = newTenantId();
  const now = new Date();
  try {
    await insertTenant(deps.db, {
      _id: tenantId,
      email: tenantEmail,
      passwordHash: await hashPassword(body.password),
      shopName: body.shopName,
      smaregiContractId: body.smaregiContractId,
      active: true,
      createdAt: now,
      notificationToken: newNotificationToken(),
      onboarding: initialProgress(tenantId, now),
    });
  } catch (err) {
    if (err instanceof DuplicateTenantError) throw conflict(DUPLICATE_MESSAGES[err.field].code, DUPLICATE_MESSAGES[err.field].message);
    throw err;
  }
  await startWorkflows(deps, onboarding, tenantId);

  const session = await createSession(deps.db, tenantId, onboarding.options.sessionTtlMs, now);
  deps.logger.info({ tenantId }, 'merchant account created');
  startSession(ctx, tenantId, session, 201);
}

/** A typo in the contract id would only show up steps later; the app must also be installed on it. */
async function checkSmaregiContract(onboarding: ResolvedOnboardingDeps, contractId: string): Promise<void> {
  try {
    await onboarding.smaregi.listStores(contractId);
  } catch (err) {
    if (err instanceof PlatformError && !err.retryable) {
      throw new HttpError(
        400,
        'smaregi_contract_not_found',
        'スマレジの契約IDが見つからないか、この契約でアプリの利用が開始されていません。契約IDと、スマレジ・アプリマーケットでの利用状況をご確認ください。',
      );
    }
    if (err instanceof PlatformError) {
      throw new HttpError(503, 'smaregi_unavailable', 'スマレジに接続できませんでした。しばらくしてから再度お試しください。');
    }
    throw err;
  }
}

/** Without its onboarding workflow an account is unusable: undo the sign-up so the merchant can retry. */
async function startWorkflows(deps: AppDeps, onboarding: ResolvedOnboardingDeps, tenantId: string): Promise<void> {
  const taskQueue = deps.config.TEMPORAL_TASK_QUEUE;
  try {
    await startOnboardingWorkflow(
      { temporal: deps.temporal, taskQueue, timeoutMs: onboarding.options.workflowCallTimeoutMs },
      { tenantId, applicationReportAfterMs: onboarding.options.applicationReportAfterMs },
    );
  } catch (err) {
    await deleteTenant(deps.db, tenantId);
    throw err;
  }
  // The onboarding workflow publishes readiness too, so a failure here only delays the sync workflow.
  const readiness = readinessOf(initialOnboardingState(tenantId));
  await signalSyncWorkflow(deps.temporal, taskQueue, tenantId, readinessChangedSignal, [readiness]).catch((err: unknown) =>
    deps.logger.warn({ err, tenantId }, 'could not start the sync workflow yet; the onboarding workflow will'),
  );
}

async function logIn(deps: AppDeps, onboarding: ResolvedOnboardingDeps, ctx: Context): Promise<void> {
  const body = parseRequest(sessionBody, ctx.request.body);
  const { options } = onboarding;
  const now = new Date();
  const attempt = await admitLogin(deps.db, options, body.email, ctx.ip, now).catch((err: unknown) => withRetryAfter(ctx, err));
  const tenant = await findTenantByEmail(deps.db, body.email);
  const valid = tenant ? await verifyPassword(body.password, tenant.passwordHash) : await verifyAgainstDummy(body.password);
  if (!tenant || !valid) throw new HttpError(401, 'invalid_credentials', 'メールアドレスまたはパスワードが正しくありません。');
  await attempt.succeeded();
  if (needsRehash(tenant.passwordHash)) await replacePasswordHash(deps.db, tenant._id, tenant.passwordHash, await hashPassword(body.password));
  await purgeExpiredSessions(deps.db, now);
  const session = await createSession(deps.db, tenant._id, options.sessionTtlMs, now);
  startSession(ctx, tenant._id, session);
}
