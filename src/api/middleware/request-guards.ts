import type { Context, Middleware } from 'koa';
import type { Config } from '../../config';
import { HttpError } from '../errors';
import { findRegisteredRoute } from '../openapi';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const API_PREFIX = '/api/v1/';
/** Public routes a browser may post to (login CSRF: a foreign page must not log a merchant into its account). */
const CREDENTIAL_ROUTES = new Set(['POST /api/v1/sessions', 'POST /api/v1/accounts']);

const SUPPORTED_METHODS = new Set([...SAFE_METHODS, 'POST', 'PUT', 'PATCH', 'DELETE']);

/** TRACE, CONNECT and invented methods: 405 (the router would answer 501, a server error, found by the fuzz run). */
export function knownMethodsOnly(): Middleware {
  return async (ctx, next) => {
    if (SUPPORTED_METHODS.has(ctx.method)) return next();
    ctx.set('Allow', [...SUPPORTED_METHODS].join(', '));
    throw new HttpError(405, 'method_not_allowed', 'このHTTPメソッドは使えません。');
  };
}

/** API answers carry tenant data and sessions: never cached by browsers or proxies. The admin UI's own files set their own policy. */
export function noStore(): Middleware {
  return async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    await next();
  };
}

/**
 * Cross-site request forgery. A state change authenticated by the session cookie must come from our
 * own origin, shown by Sec-Fetch-Site (every current browser) or Origin; a cookie request that shows
 * neither is refused. Bearer-token requests cannot be forged by a foreign page (it cannot set the
 * header) and pass. Login and sign-up are refused when a browser says they come from elsewhere.
 * Runs after apiAuth, which records how the request was authenticated.
 */
export function csrfGuard(config: Pick<Config, 'PUBLIC_BASE_URL'>): Middleware {
  const publicOrigin = new URL(config.PUBLIC_BASE_URL).origin;
  return async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method) || !ctx.path.toLowerCase().startsWith(API_PREFIX)) return next();
    const route = `${ctx.method} ${ctx.path.toLowerCase().replace(/\/+$/, '')}`;
    const cookieSession = ctx.state.authenticatedBy === 'cookie';
    if (cookieSession || CREDENTIAL_ROUTES.has(route)) {
      const verdict = originVerdict(ctx, publicOrigin);
      if (verdict === 'foreign' || (verdict === 'unknown' && cookieSession)) {
        throw new HttpError(403, 'cross_site_request', 'ほかのサイトから送信された操作は受け付けられません。管理画面を開き直して、もう一度操作してください。');
      }
    }
    return next();
  };
}

function originVerdict(ctx: Context, publicOrigin: string): 'same' | 'foreign' | 'unknown' {
  const site = ctx.get('Sec-Fetch-Site');
  if (site) return site === 'same-origin' || site === 'none' ? 'same' : 'foreign';
  const origin = ctx.get('Origin');
  // Our own origin as this request reached us (Koa 3's ctx.origin echoes the Origin header instead).
  if (origin) return origin === `${ctx.protocol}://${ctx.host}` || origin === publicOrigin ? 'same' : 'foreign';
  return 'unknown';
}

/**
 * The API reads JSON, and multipart only on the routes documented as uploads: a form-encoded or
 * text body (what a foreign HTML form can send without a CORS preflight) is refused with 415 before
 * anything is parsed.
 */
export function apiContentTypes(): Middleware {
  return async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method) || !ctx.path.toLowerCase().startsWith(API_PREFIX)) return next();
    const type = ctx.get('Content-Type');
    const hasBody = Number(ctx.get('Content-Length') || 0) > 0 || ctx.get('Transfer-Encoding') !== '';
    if (!type && !hasBody) return next();
    const expected = findRegisteredRoute(ctx.method, ctx.path)?.requestContentType ?? 'application/json';
    if (ctx.is(expected) === false || !type) {
      const message =
        expected === 'application/json'
          ? 'JSON形式（Content-Type: application/json）で送信してください。'
          : `${expected} 形式で送信してください（CSVファイルはファイル選択から送信します）。`;
      throw new HttpError(415, 'unsupported_media_type', message);
    }
    return next();
  };
}
