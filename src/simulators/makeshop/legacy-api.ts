import Router from '@koa/router';
import type Koa from 'koa';
import { holdCall, injectedRetryAfterSeconds } from '../slow-faults';
import { readMultipart, readQueryAndForm } from './http-body';
import { answerOrderinfo, type LegacyReply, orderinfoError } from './orderinfo';
import type { LegacyEndpoint, SimShop } from './shop';
import type { MakeshopSimState } from './state';
import { applyUpload, formatUploadReply } from './upload';

/** MakeShop's legacy API as reference makeshop-api.md §3 and §6 describe it. */
export const WEBFTP_PATH = '/api/webftp/index.html';
/** Where the webftp key reply sends uploads (the real host/path is per-response; this one is ours). */
export const UPLOAD_PATH = '/api/webftp/upload.html';
export const ORDERINFO_PATH = '/api/orderinfo/index.html';

const TEXT = 'text/plain; charset=UTF-8';
const FAILURE: LegacyReply = { status: 200, contentType: TEXT, body: 'FAILURE' };

export function legacyRouter(state: MakeshopSimState): Router {
  const router = new Router();

  // Step 1 of the CSV upload: main admin id + pw → upload URL (line 1) and one-time key (line 2).
  // ASSUMPTION (unconfirmed): `id` is the shop's 主管理者 login (accountId); anything else → FAILURE.
  router.post(WEBFTP_PATH, async (ctx) => {
    const form = await readQueryAndForm(ctx);
    const shop = state.shopByAccountId(form.id ?? '');
    await runLegacyCall(ctx, state, 'webftp', shop, () => {
      if (!shop || form.pw !== shop.password) return FAILURE;
      return { status: 200, contentType: TEXT, body: `${ctx.protocol}://${ctx.host}${UPLOAD_PATH}\n${state.issueUploadKey(shop)}\n` };
    });
  });

  // Step 2: multipart key / src=1 / dest (1 products, 2 options) / upload_file.
  router.post(UPLOAD_PATH, async (ctx) => {
    const body = await readMultipart(ctx);
    const redeemed = state.redeemUploadKey(body.fields.key ?? '');
    await runLegacyCall(ctx, state, 'upload', redeemed?.shop, () => {
      const dest = body.fields.dest;
      const file = body.files.upload_file;
      if (!redeemed?.usable || (dest !== '1' && dest !== '2') || !file) return FAILURE;
      return { status: 200, contentType: TEXT, body: formatUploadReply(applyUpload(redeemed.shop, dest, file)) };
    });
  });

  const orderinfo = async (ctx: Koa.Context) => {
    const params = await readQueryAndForm(ctx);
    const shop = state.shop(params.shopid ?? '');
    await runLegacyCall(ctx, state, 'orderinfo', shop, () => {
      if (!shop || params.token !== shop.orderAuthCode) return orderinfoError('auth', 'ショップIDまたは認証コードが正しくありません');
      if (!shop.externalIntegrationEnabled) return orderinfoError('not-enabled', '注文データ連携が設定されていません');
      return answerOrderinfo(shop, params, state.now());
    });
  };
  router.get(ORDERINFO_PATH, orderinfo);
  router.post(ORDERINFO_PATH, orderinfo);
  return router;
}

/**
 * Every legacy call: the shop's one-at-a-time / 1 request per second rule, injected faults, the call log.
 * A request naming no known shop is answered at once (it is rejected anyway) and logged nowhere.
 */
async function runLegacyCall(
  ctx: Koa.Context,
  state: MakeshopSimState,
  endpoint: LegacyEndpoint,
  shop: SimShop | undefined,
  handle: () => LegacyReply,
): Promise<void> {
  if (!shop) return send(ctx, handle());
  const startedAt = state.now();
  const injectedThrottle = state.random() < state.faults.throttleRate;
  const release = injectedThrottle ? undefined : state.admitLegacyCall(shop);
  if (!release) {
    send(ctx, rateRuleViolation(endpoint));
    if (injectedThrottle && state.faults.retryAfterMaxSeconds > 1) ctx.set('Retry-After', String(injectedRetryAfterSeconds(state.faults, state.random)));
    shop.calls.push({ endpoint, startedAt, finishedAt: state.now(), status: ctx.status, outcome: 'throttled' });
    return;
  }
  let outcome: 'accepted' | 'fault' = 'accepted';
  try {
    await holdCall(state.faults.latencyMs, state.faults, state.random);
    if (state.random() < state.faults.errorRate) {
      outcome = 'fault';
      send(ctx, { status: 500, contentType: TEXT, body: 'Internal Server Error' });
    } else {
      send(ctx, shop.handlingCallFrom(startedAt, handle));
    }
  } finally {
    release();
    shop.calls.push({ endpoint, startedAt, finishedAt: state.now(), status: ctx.status, outcome });
  }
}

/**
 * ASSUMPTION (unconfirmed): how MakeShop answers a request that breaks the one-at-a-time / 1 request per
 * second rule (§2.2 only says results are "not guaranteed"): HTTP 429, with orderinfo's error envelope
 * (code 109) on orderinfo and a plain-text line on the upload endpoints.
 */
function rateRuleViolation(endpoint: LegacyEndpoint): LegacyReply {
  const message = 'APIへのアクセスが集中しています。1秒以上の間隔をあけて、1件ずつリクエストしてください。';
  if (endpoint === 'orderinfo') return orderinfoError('throttled', message);
  return { status: 429, contentType: TEXT, body: `ERROR\t${message}` };
}

function send(ctx: Koa.Context, reply: LegacyReply): void {
  ctx.status = reply.status;
  ctx.type = reply.contentType;
  ctx.body = reply.body;
}
