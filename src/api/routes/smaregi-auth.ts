import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { PlatformError } from '../../platforms/http';
import { newPkce, SmaregiIdClient, type SmaregiIdentity } from '../../platforms/smaregi/smaregi-id';
import { signalSyncWorkflow } from '../../temporal/tenant-workflows';
import { bindContract, contractHolder, type ContractProof } from '../../storage/smaregi-contracts';
import { saveSmaregiAuthRequest, takeSmaregiAuthRequest, type SmaregiAuthPurpose } from '../../storage/smaregi-auth-requests';
import { createSession, findSessionTenant } from '../../storage/sessions';
import { linkSmaregiContractUpdate, tenantActiveChangedSignal } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { setSessionCookie, sessionTokenOf } from '../middleware/auth';
import { onboardingDepsOf } from '../deps';
import { updateOnboarding } from '../temporal-calls';
import { documentedRoute } from '../openapi';
import { workflowCallDeps } from './merchant-tenant';
import { tenantIdOf } from './tenant-context';
import { escapeHtml } from '../../lib/html';

/**
 * スマレジID login (DESIGN §5): the only way a Smaregi contract is bound to a tenant (link, owner only),
 * and a way to log in for users of a bound contract. Both go through the same callback (one
 * redirect_uri registered for the app); the stored request says which it was.
 */
const CALLBACK_PATH = '/api/v1/auth/smaregi/callback';
/** Holds the login attempt's binding until the callback: only the browser that started it can finish it. */
const LOGIN_COOKIE = 'zaiko_smaregi_login';
const SETUP_PAGE = '/#/setup';

const callbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(512).optional(),
  error: z.string().max(200).optional(),
});

export const callbackUrlOf = (publicBaseUrl: string) => `${publicBaseUrl.replace(/\/+$/, '')}${CALLBACK_PATH}`;

export function smaregiAuthRoutes(deps: AppDeps): Router {
  const router = new Router();
  const tags = ['accounts'];
  documentedRoute(
    router,
    {
      method: 'get',
      path: '/api/v1/auth/smaregi/link',
      summary: 'Link the Smaregi contract (step 1): redirects to スマレジID login (PKCE, state)',
      description: "Only the contract's owner can link it; the callback binds userinfo contract.id to the tenant that started the link.",
      tags,
      status: 302,
    },
    async (ctx) => {
      const binding = sessionTokenOf(ctx);
      if (binding === null) throw new Error('apiAuth let an unauthenticated link request through');
      await redirectToSmaregiId(deps, ctx, { purpose: 'link', tenantId: tenantIdOf(ctx), binding });
    },
  );
  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/auth/smaregi/login', summary: 'スマレジIDでログイン (users of a linked contract): redirects to スマレジID', tags, auth: 'none', status: 302 },
    async (ctx) => {
      const binding = randomBytes(32).toString('base64url');
      ctx.cookies.set(LOGIN_COOKIE, binding, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/api/v1/auth/smaregi', maxAge: 10 * 60 * 1000, overwrite: true });
      await redirectToSmaregiId(deps, ctx, { purpose: 'login', binding });
    },
  );
  documentedRoute(
    router,
    {
      method: 'get',
      path: CALLBACK_PATH,
      summary: 'Where スマレジID sends the browser back: binds the contract (link) or logs in, then 302 /#/setup',
      description: 'Refusals are an HTML page in Japanese (e.g. the contract is held by another account: how to reach the operator); nothing changes.',
      tags,
      auth: 'none',
      query: callbackQuery,
      status: 302,
    },
    (ctx) => handleCallback(deps, ctx),
  );
  return router;
}

async function redirectToSmaregiId(deps: AppDeps, ctx: Context, request: { purpose: SmaregiAuthPurpose; tenantId?: string; binding: string }): Promise<void> {
  const pkce = newPkce();
  const { state } = await saveSmaregiAuthRequest(deps.db, onboardingDepsOf(deps).secretBox, { ...request, codeVerifier: pkce.verifier }, new Date());
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(smaregiId(deps).authorizeUrl({ state, codeChallenge: pkce.challenge, redirectUri: callbackUrlOf(deps.config.PUBLIC_BASE_URL) }));
}

const smaregiId = (deps: AppDeps) =>
  new SmaregiIdClient({ idBaseUrl: deps.config.SMAREGI_ID_BASE_URL, clientId: deps.config.SMAREGI_CLIENT_ID, clientSecret: deps.config.SMAREGI_CLIENT_SECRET });

class RefusalPage extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly advice: string,
  ) {
    super(title);
  }
}

const RETRY = 'お手数ですが、管理画面からもう一度お試しください。';

async function handleCallback(deps: AppDeps, ctx: Context): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  try {
    const query = callbackQuery.safeParse(ctx.query);
    if (!query.success || query.data.error !== undefined || !query.data.code || !query.data.state) {
      throw new RefusalPage(400, 'スマレジIDでのログインが完了しませんでした。', RETRY);
    }
    const { code, state } = query.data;
    const now = new Date();
    const request = await takeSmaregiAuthRequest(deps.db, onboardingDepsOf(deps).secretBox, state, now, (purpose) =>
      purpose === 'link' ? sessionTokenOf(ctx) : ctx.cookies.get(LOGIN_COOKIE) || null,
    );
    if (!request) throw new RefusalPage(400, 'このログインの手続きは無効か、有効期限が切れています。', RETRY);
    const identity = await identify(deps, { code, codeVerifier: request.codeVerifier });
    if (request.purpose === 'login') {
      ctx.cookies.set(LOGIN_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/api/v1/auth/smaregi', expires: new Date(0), overwrite: true });
      await logInAsContractUser(deps, ctx, identity, now);
    } else {
      const token = sessionTokenOf(ctx);
      const tenantId = token === null ? null : await findSessionTenant(deps.db, token, now);
      if (tenantId === null || tenantId !== request.tenantId) throw new RefusalPage(401, 'ログインの有効期限が切れました。', 'もう一度ログインしてから「スマレジIDで連携する」を行ってください。');
      await linkContract(deps, tenantId, identity, 'smaregi-id', now);
    }
    ctx.redirect(SETUP_PAGE);
  } catch (err) {
    if (!(err instanceof RefusalPage)) throw err;
    renderRefusal(deps, ctx, err);
  }
}

async function identify(deps: AppDeps, grant: { code: string; codeVerifier: string }): Promise<SmaregiIdentity> {
  try {
    return await smaregiId(deps).identify({ ...grant, redirectUri: callbackUrlOf(deps.config.PUBLIC_BASE_URL) });
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    deps.logger.warn({ err: err.message, status: err.status }, 'Smaregi ID code exchange failed');
    if (err.retryable) throw new RefusalPage(503, 'スマレジIDに接続できませんでした。', 'しばらくしてから、管理画面からもう一度お試しください。');
    throw new RefusalPage(400, 'スマレジIDでのログインを確認できませんでした。', RETRY);
  }
}

/**
 * Binds the proven contract to the tenant and records step 1 in its onboarding workflow. Safe to
 * repeat: a second proof for the same contract only records it again.
 */
async function linkContract(deps: AppDeps, tenantId: string, identity: SmaregiIdentity, proof: ContractProof, now: Date): Promise<void> {
  if (!identity.isOwner) {
    throw new RefusalPage(403, 'スマレジの契約を連携できるのは、契約のオーナーのスマレジIDだけです。', '契約のオーナー（スマレジの契約者）のスマレジIDでログインし直してください。');
  }
  await requireAppInstalled(deps, identity.contractId);
  const outcome = await bindContract(deps.db, tenantId, identity.contractId, proof, now);
  if (outcome.kind === 'held-by-other') {
    deps.logger.warn({ tenantId }, 'Smaregi contract link refused: another tenant holds the contract');
    throw new RefusalPage(409, 'このスマレジ契約は、すでに別のアカウントに連携されています。', operatorContact(deps, tenantId));
  }
  if (outcome.kind === 'tenant-has-other-contract') {
    throw new RefusalPage(409, 'このアカウントには、すでに別のスマレジ契約が連携されています。', operatorContact(deps, tenantId));
  }
  if (outcome.releasedFrom !== null) await stopReleasedTenant(deps, outcome.releasedFrom, tenantId);
  deps.logger.info({ tenantId, proof, alreadyBound: outcome.alreadyBound }, 'Smaregi contract linked');
  await updateOnboarding(workflowCallDeps(deps), tenantId, linkSmaregiContractUpdate, {
    contractId: identity.contractId,
    linkedAt: now.toISOString(),
    linkedBy: proof,
  }).catch((err: unknown) => {
    // The binding is saved; linking again records step 1 (bindContract is repeatable).
    deps.logger.warn({ err, tenantId }, 'Smaregi contract bound, but step 1 could not be recorded yet');
    throw new RefusalPage(503, '連携の記録に時間がかかっています。', 'しばらくしてから、管理画面でもう一度「スマレジIDで連携する」を行ってください。');
  });
}

/** The tenant that held the contract without proof loses it: its sync stops (it can no longer read the contract). */
async function stopReleasedTenant(deps: AppDeps, releasedTenantId: string, byTenantId: string): Promise<void> {
  deps.logger.warn({ releasedTenantId, byTenantId }, 'unconfirmed Smaregi contract binding released to the proven owner');
  await signalSyncWorkflow(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, releasedTenantId, tenantActiveChangedSignal, [{ active: false }]).catch((err: unknown) =>
    deps.logger.warn({ err, tenantId: releasedTenantId }, 'could not stop the released tenant’s sync workflow'),
  );
}

/** The app must be in use on the contract (App Market), or nothing can be read from it later. */
async function requireAppInstalled(deps: AppDeps, contractId: string): Promise<void> {
  try {
    await onboardingDepsOf(deps).smaregi.listStores(contractId);
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    if (err.retryable) throw new RefusalPage(503, 'スマレジに接続できませんでした。', 'しばらくしてから、管理画面からもう一度お試しください。');
    throw new RefusalPage(409, 'この契約では、アプリの利用が開始されていません。', 'スマレジ・アプリマーケットでアプリの利用を開始してから、もう一度「スマレジIDで連携する」を行ってください。');
  }
}

async function logInAsContractUser(deps: AppDeps, ctx: Context, identity: SmaregiIdentity, now: Date): Promise<void> {
  const holder = await contractHolder(deps.db, identity.contractId);
  if (!holder?.confirmed) {
    throw new RefusalPage(
      404,
      'このスマレジ契約に連携したアカウントがありません。',
      'メールアドレスとパスワードでログイン（またはアカウント登録）してから、「スマレジIDで連携する」で契約を連携してください。',
    );
  }
  const session = await createSession(deps.db, holder.tenantId, onboardingDepsOf(deps).options.sessionTtlMs, now);
  setSessionCookie(ctx, session.token, session.expiresAt);
  deps.logger.info({ tenantId: holder.tenantId }, 'merchant logged in with Smaregi ID');
}

function operatorContact(deps: AppDeps, tenantId: string): string {
  return `変更は行っていません。心当たりがない場合や契約の連携先を変更したい場合は、運営窓口（${deps.config.SUPPORT_CONTACT}）までご連絡ください。その際、お問い合わせ番号「${tenantId}」をお伝えください。`;
}

function renderRefusal(deps: AppDeps, ctx: Context, refusal: RefusalPage): void {
  deps.logger.info({ status: refusal.status }, 'Smaregi ID callback refused');
  ctx.status = refusal.status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>スマレジID連携 | zaiko-sync</title></head>
<body>
<main>
<h1>${escapeHtml(refusal.title)}</h1>
<p>${escapeHtml(refusal.advice)}</p>
<p><a href="/">管理画面に戻る</a></p>
</main>
</body></html>`;
}
