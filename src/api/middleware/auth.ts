import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Config } from '../../config';
import { findSessionTenant } from '../../storage/sessions';
import type { AppDeps } from '../deps';
import { HttpError, unauthorized } from '../errors';

export const SESSION_COOKIE = 'zaiko_session';

/** The only /api/v1 routes that need no credentials. */
const PUBLIC_ROUTES = new Set([
  'POST /api/v1/accounts',
  'POST /api/v1/sessions',
  'GET /api/v1/openapi.json',
  // スマレジID: a login starts logged out; the callback checks its own binding (session or login cookie).
  'GET /api/v1/auth/smaregi/login',
  'GET /api/v1/auth/smaregi/callback',
]);
const OPERATOR_PREFIX = '/api/v1/operator';

/**
 * The one place where tenant isolation is decided. Every /api/v1 request is denied unless it is
 * public, carries the operator token (operator routes), or carries a live merchant session; for
 * the latter, ctx.state.tenantId is set from the session and is the only tenant routes may read.
 * Paths are compared lower-cased because the router matches case-insensitively.
 */
export function apiAuth(deps: Pick<AppDeps, 'db' | 'config'>): Middleware {
  return async (ctx, next) => {
    const path = ctx.path.toLowerCase().replace(/\/+$/, '');
    if (!path.startsWith('/api/v1/')) return next();
    if (PUBLIC_ROUTES.has(`${ctx.method} ${path}`)) return next();
    if (path === OPERATOR_PREFIX || path.startsWith(`${OPERATOR_PREFIX}/`)) {
      requireOperator(deps.config, ctx);
      return next();
    }
    const bearer = bearerToken(ctx);
    const token = sessionTokenOf(ctx);
    if (!token) throw unauthorized();
    const tenantId = await findSessionTenant(deps.db, token, new Date());
    if (!tenantId) throw unauthorized('ログインの有効期限が切れたか、ログアウト済みです。もう一度ログインしてください。');
    ctx.state.tenantId = tenantId;
    ctx.state.sessionToken = token;
    /** csrfGuard holds cookie sessions to same-origin requests. */
    ctx.state.authenticatedBy = bearer ? 'bearer' : 'cookie';
    return next();
  };
}

/** `Authorization: Bearer <token>` first, else the admin UI's session cookie. */
export function sessionTokenOf(ctx: Context): string | null {
  return bearerToken(ctx) ?? (ctx.cookies.get(SESSION_COOKIE) || null);
}

function bearerToken(ctx: Context): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match?.[1] ?? null;
}

/** The request carries the operator token (for /metrics and /readyz details). */
export function isOperator(config: Pick<Config, 'OPERATOR_TOKEN'>, ctx: Context): boolean {
  const token = bearerToken(ctx);
  return Boolean(config.OPERATOR_TOKEN && token && constantTimeEquals(token, config.OPERATOR_TOKEN));
}

export function requireOperator(config: Pick<Config, 'OPERATOR_TOKEN'>, ctx: Context): void {
  if (!config.OPERATOR_TOKEN) {
    throw new HttpError(503, 'operator_disabled', 'OPERATOR_TOKEN が設定されていないため、運用者APIは使えません。');
  }
  const token = bearerToken(ctx);
  if (!token || !constantTimeEquals(token, config.OPERATOR_TOKEN)) throw unauthorized('運用者トークンが正しくありません。');
}

/** Compares digests, so neither the content nor the length of the token leaks through timing. */
function constantTimeEquals(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** HttpOnly, SameSite=Lax; Secure whenever the request came over https (directly or via the proxy). */
export function setSessionCookie(ctx: Context, token: string, expiresAt: Date): void {
  ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, expires: expiresAt, path: '/', overwrite: true });
}

export function clearSessionCookie(ctx: Context): void {
  ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: ctx.secure, expires: new Date(0), path: '/', overwrite: true });
}

/**
 * Answers a login: the HttpOnly cookie always; the token in JSON only for API clients. A browser
 * (it sends Sec-Fetch-Site or Origin) keeps a cookie session, and its scripts never see the token.
 */
export function startSession(ctx: Context, tenantId: string, session: { token: string; expiresAt: Date }, status = 200): void {
  setSessionCookie(ctx, session.token, session.expiresAt);
  ctx.status = status;
  ctx.body = isBrowserRequest(ctx) ? { tenantId } : { tenantId, token: session.token };
}

/** Browsers send Sec-Fetch-Site (all current ones) or at least Origin on state-changing requests. */
export function isBrowserRequest(ctx: Context): boolean {
  return Boolean(ctx.get('Sec-Fetch-Site') || ctx.get('Origin'));
}
