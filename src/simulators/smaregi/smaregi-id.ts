import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import { SimProblem, readRawBody } from './sim-http';
import { escapeHtml } from '../../lib/html';

/**
 * The スマレジID side of the ID server: the users of each contract, the login form of the
 * authorization-code flow (PKCE S256), its token endpoint and userinfo (smaregi-api.md §2.2, [S]/[U]).
 *
 *   GET  /authorize         login form (query: response_type=code, client_id, redirect_uri, scope, state,
 *                           code_challenge, code_challenge_method=S256)
 *   POST /authorize         the form: the query's parameters + email, password → 302 redirect_uri?code&state
 *   POST /authorize/token   Basic client auth; grant_type=authorization_code, code, redirect_uri, code_verifier
 *   POST /userinfo          Bearer user token → {sub, name, email, email_verified, contract:{id, user_id, is_owner}}
 *
 * Stricter than the platform is known to be: PKCE S256 is required, a code is single-use and lives
 * CODE_TTL_MS, and the token request must repeat the authorize request's redirect_uri and client.
 * Any absolute http(s) redirect_uri is accepted (the real server only accepts the one registered for
 * the app in the developer console).
 */
export interface SimUserSeed {
  email: string;
  password: string;
  isOwner: boolean;
}

interface SimUser extends SimUserSeed {
  userId: string;
  contractId: string;
}

interface IssuedCode {
  user: SimUser;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  expiresAt: number;
}

interface UserToken {
  user: SimUser;
  expiresAt: number;
}

const CODE_TTL_MS = 60_000;
const USER_TOKEN_TTL_SECONDS = 3600;
const SUPPORTED_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/** The default user of a contract seeded without `users` (DESIGN §6). */
export function defaultSimUsers(contractId: string): SimUserSeed[] {
  return [{ email: `owner@${contractId}.example`, password: 'sim-owner-password', isOwner: true }];
}

export class SmaregiIdState {
  private readonly usersByEmail = new Map<string, SimUser>();
  private readonly codes = new Map<string, IssuedCode>();
  private readonly tokens = new Map<string, UserToken>();
  private nextUserId = 1;

  constructor(private readonly now: () => number) {}

  /** Replaces the users of a contract. An email may belong to one contract only in the simulator. */
  replaceUsers(contractId: string, seeds: SimUserSeed[]): void {
    const taken = seeds.find((s) => {
      const owner = this.usersByEmail.get(normalize(s.email))?.contractId;
      return owner !== undefined && owner !== contractId;
    });
    if (taken) throw new SimProblem(400, 'Bad Request', `user ${taken.email} already belongs to another contract`);
    for (const [email, user] of this.usersByEmail) if (user.contractId === contractId) this.usersByEmail.delete(email);
    for (const seed of seeds) {
      this.usersByEmail.set(normalize(seed.email), { ...seed, contractId, userId: String(this.nextUserId++) });
    }
  }

  login(email: string, password: string): SimUser | null {
    const user = this.usersByEmail.get(normalize(email));
    return user && sameText(user.password, password) ? user : null;
  }

  issueCode(grant: Omit<IssuedCode, 'expiresAt'>): string {
    this.prune();
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, { ...grant, expiresAt: this.now() + CODE_TTL_MS });
    return code;
  }

  /** Single use: the code is gone after the first attempt, whatever its outcome. */
  redeemCode(code: string): IssuedCode | null {
    const grant = this.codes.get(code);
    this.codes.delete(code);
    return grant && this.now() < grant.expiresAt ? grant : null;
  }

  issueToken(user: SimUser): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { user, expiresAt: this.now() + USER_TOKEN_TTL_SECONDS * 1000 });
    return token;
  }

  userOfToken(token: string): SimUser | null {
    const issued = this.tokens.get(token);
    return issued && this.now() < issued.expiresAt ? issued.user : null;
  }

  private prune(): void {
    const now = this.now();
    for (const [code, grant] of this.codes) if (grant.expiresAt <= now) this.codes.delete(code);
    for (const [token, issued] of this.tokens) if (issued.expiresAt <= now) this.tokens.delete(token);
  }
}

const normalize = (email: string) => email.trim().toLowerCase();
function sameText(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state: string;
  scopes: string[];
  codeChallenge: string;
  /** Every parameter as received, echoed into the form's hidden fields. */
  params: [string, string][];
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];

/** A broken authorize request is shown as a page, never redirected (the redirect_uri is not trusted yet). */
function parseAuthorizeRequest(get: (name: string) => string | null | undefined, clientId: string): AuthorizeRequest {
  const fail = (detail: string) => new SimProblem(400, 'Bad Request', detail);
  if (get('client_id') !== clientId) throw fail('client_id が正しくありません');
  const redirectUri = get('redirect_uri') ?? '';
  if (!/^https?:\/\/[^\s]+$/.test(redirectUri)) throw fail('redirect_uri が正しくありません');
  if (get('response_type') !== 'code') throw fail('response_type は code を指定してください');
  const scopes = (get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid') || scopes.some((s) => !SUPPORTED_SCOPES.has(s))) throw fail('scope が正しくありません');
  if (get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(get('code_challenge') ?? '')) {
    throw fail('PKCE (code_challenge, code_challenge_method=S256) が必要です');
  }
  const params = AUTHORIZE_PARAMS.flatMap((name): [string, string][] => {
    const value = get(name);
    return value == null ? [] : [[name, value]];
  });
  return { clientId, redirectUri, state: get('state') ?? '', scopes, codeChallenge: get('code_challenge')!, params };
}

function loginForm(request: AuthorizeRequest, error?: string): string {
  const hidden = request.params.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('\n');
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>スマレジID ログイン（シミュレーター）</title></head>
<body>
<h1>スマレジID ログイン</h1>
${error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/authorize">
${hidden}
<label>メールアドレス <input type="text" inputmode="email" name="email" autocomplete="username" required></label>
<label>パスワード <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">ログイン</button>
</form>
</body></html>`;
}

function clientOf(ctx: Koa.Context): string | null {
  const match = /^Basic\s+(\S+)$/i.exec(ctx.get('authorization'));
  return match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : null;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier, 'ascii').digest('base64url');

export function smaregiIdRouter(state: SmaregiIdState, opts: { clientId: string; clientSecret: string }): Router {
  const router = new Router();

  router.get('/authorize', (ctx) => {
    const request = parseAuthorizeRequest((name) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : undefined), opts.clientId);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = loginForm(request);
  });

  router.post('/authorize', async (ctx) => {
    const form = new URLSearchParams(await readRawBody(ctx));
    const request = parseAuthorizeRequest((name) => form.get(name), opts.clientId);
    const user = state.login(form.get('email') ?? '', form.get('password') ?? '');
    if (!user) {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = loginForm(request, 'メールアドレスまたはパスワードが正しくありません。');
      return;
    }
    const code = state.issueCode({ user, clientId: request.clientId, redirectUri: request.redirectUri, codeChallenge: request.codeChallenge, scopes: request.scopes });
    const target = new URL(request.redirectUri);
    target.searchParams.set('code', code);
    if (request.state) target.searchParams.set('state', request.state);
    ctx.redirect(target.toString());
  });

  router.post('/authorize/token', async (ctx) => {
    const form = new URLSearchParams(await readRawBody(ctx));
    if (clientOf(ctx) !== `${opts.clientId}:${opts.clientSecret}`) return sendOauthError(ctx, 401, 'invalid_client', 'クライアント認証に失敗しました');
    if (form.get('grant_type') !== 'authorization_code') return sendOauthError(ctx, 400, 'unsupported_grant_type', 'grant_type は authorization_code を指定してください');
    const grant = state.redeemCode(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.clientId !== opts.clientId || s256(verifier) !== grant.codeChallenge) {
      return sendOauthError(ctx, 400, 'invalid_grant', '認可コードが無効か、有効期限が切れています');
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { access_token: state.issueToken(grant.user), token_type: 'Bearer', expires_in: USER_TOKEN_TTL_SECONDS, scope: grant.scopes.join(' ') };
  });

  const userinfo = (ctx: Koa.Context) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
    const user = bearer === undefined ? null : state.userOfToken(bearer);
    if (!user) throw new SimProblem(401, 'Unauthorized', 'アクセストークンが無効です');
    ctx.body = {
      sub: `${user.contractId}:${user.userId}`,
      name: user.email,
      email: user.email,
      email_verified: true,
      contract: { id: user.contractId, user_id: user.userId, is_owner: user.isOwner },
    };
  };
  router.post('/userinfo', userinfo);
  router.get('/userinfo', userinfo);
  return router;
}

/** OAuth 2.0 error answer (RFC 6749 §5.2); Smaregi's exact body is not documented. */
function sendOauthError(ctx: Koa.Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.body = { error, error_description: description };
}
