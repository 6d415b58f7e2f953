import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { initialOnboardingState, readinessOf } from '../../domain/onboarding';
import { signalSyncWorkflow } from '../../temporal/tenant-workflows';
import { readinessChangedSignal } from '../../workflows/messages';
import {
  deleteTenant,
  findTenantByEmail,
  initialProgress,
  insertTenant,
  newNotificationToken,
  newTenantId,
  normalizeEmail,
  replacePasswordHash,
  unusableEmailOf,
  type TenantDocument,
} from '../../storage/tenants';
import { createSession, purgeExpiredSessions, revokeSession } from '../../storage/sessions';
import { attemptWindow, takeAttemptSlot } from '../../storage/login-attempts';
import type { AppDeps } from '../deps';
import { HttpError } from '../errors';
import { clearSessionCookie, startSession } from '../middleware/auth';
import type { OnboardingOptions } from '../onboarding-deps';
import { onboardingDepsOf, type ResolvedOnboardingDeps } from '../deps';
import { startOnboarding } from '../temporal-calls';
import { confirmSignUpAddress } from './alerts';
import { documentedRoute } from '../openapi';
import { workflowCallDeps } from './merchant-tenant';
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
  // Accepted so older clients keep working, and ignored: a contract is bound only by スマレジID login.
  smaregiContractId: z.string().max(200).optional().describe('Ignored: the Smaregi contract is linked by スマレジID login (GET /api/v1/auth/smaregi/link)'),
});
export const sessionBody = strictBody({ email, password: password('パスワード').min(1, 'パスワードを入力してください。') });
export const sessionAnswer = z.object({
  tenantId: z.string(),
  token: z.string().optional().describe('Bearer token for API clients; omitted for browsers, which get only the HttpOnly session cookie'),
});

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

/**
 * Sign-up answers the same way whether or not the email is known: a known email gets a fresh account
 * too, one that cannot be logged into with that email (its slot stays with the first account), so the
 * answer, its shape and the work behind it (one read, one hash, one insert) do not tell them apart.
 */
async function createAccount(deps: AppDeps, onboarding: ResolvedOnboardingDeps, ctx: Context): Promise<void> {
  const body = parseRequest(accountBody, ctx.request.body);
  const { options } = onboarding;
  const now = new Date();
  await throttleSignUps(deps, options, ctx, now);

  const requestedEmail = normalizeEmail(body.email);
  const tenantId = newTenantId();
  const emailTaken = (await findTenantByEmail(deps.db, requestedEmail)) !== null;
  const tenant: TenantDocument = {
    _id: tenantId,
    email: emailTaken ? unusableEmailOf(tenantId) : requestedEmail,
    passwordHash: await hashPassword(body.password),
    shopName: body.shopName,
    active: true,
    createdAt: now,
    notificationToken: newNotificationToken(tenantId),
    onboarding: initialProgress(tenantId, now),
    ...(emailTaken && { emailTaken: true }),
  };
  // A concurrent sign-up may take the email between the read and the insert.
  if (!(await insertTenant(deps.db, tenant))) await insertTenant(deps.db, { ...tenant, email: unusableEmailOf(tenantId), emailTaken: true });
  await startWorkflows(deps, tenantId);
  // A taken email stays with its first account: nothing is mailed to it on behalf of this one.
  // Not awaited (it catches its own errors): only a new email gets a mail, and the answer must not take
  // longer for it than for a known one.
  if (!emailTaken) void confirmSignUpAddress(deps, tenantId, requestedEmail);

  const session = await createSession(deps.db, tenantId, options.sessionTtlMs, now);
  deps.logger.info({ tenantId, emailTaken }, 'merchant account created');
  startSession(ctx, tenantId, session, 201);
}

/** Sign-ups per client address in a fixed window, counted in MongoDB before anything else (replicas agree). */
async function throttleSignUps(deps: AppDeps, options: OnboardingOptions, ctx: Context, now: Date): Promise<void> {
  // Counted before anything else, in one atomic write, like login attempts: a parallel burst gets no more.
  const window = attemptWindow(`signup:${ctx.ip}`, options.signUpWindowMs, now);
  if (await takeAttemptSlot(deps.db, window, options.maxSignUpsPerAddress)) return;
  const waitMs = window.windowEndsAt.getTime() - now.getTime();
  ctx.set('Retry-After', String(Math.ceil(waitMs / 1000)));
  throw new HttpError(429, 'too_many_sign_ups', `登録の操作が続いたため、一時的に受け付けを制限しています。約${Math.max(1, Math.ceil(waitMs / 60_000))}分後に再度お試しください。`);
}

/** Without its onboarding workflow an account is unusable: undo the sign-up so the merchant can retry. */
async function startWorkflows(deps: AppDeps, tenantId: string): Promise<void> {
  const taskQueue = deps.config.TEMPORAL_TASK_QUEUE;
  try {
    await startOnboarding(workflowCallDeps(deps), tenantId);
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
