import Router from '@koa/router';
import { ObjectId } from 'mongodb';
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import { createMakeshopAppsClient } from '../../composition';
import { linkedAppsShopId, makeshopModeOf } from '../../domain/onboarding';
import { MAKESHOP_APP_UNINSTALLED_REASON } from '../../domain/sync-workflow-state';
import { PlatformError } from '../../platforms/http';
import { verifyLaunchProof } from '../../platforms/makeshop/apps-launch';
import { allocateCatalogVersion, finishCatalogUpload, insertCatalogUpload } from '../../storage/catalog-uploads';
import {
  installationToken,
  installationView,
  linkedTenantOf,
  linkInstallation,
  revokeInstallation,
  saveInstallation,
} from '../../storage/makeshop-apps';
import { findSessionTenant } from '../../storage/sessions';
import { findTenantById } from '../../storage/tenants';
import { signalMakeshopAppsRevoked, signalSyncWorkflow, startCatalogImportWorkflow } from '../../temporal/tenant-workflows';
import { ORDER_CMD } from '../../sync/orders';
import {
  makeshopLinkChangedSignal,
  recordMakeshopAppsLinkedUpdate,
} from '../../workflows/messages';
import { sessionTokenOf } from '../middleware/auth';
import type { AppDeps } from '../deps';
import { conflict } from '../errors';
import { onboardingDepsOf } from '../deps';
import { updateOnboarding } from '../temporal-calls';
import { documentedRoute, registerRoute } from '../openapi';
import { parseRequest, PRINTABLE_ASCII, strictBody } from '../validation';
import { makeshopAppConnectionAlert } from '../../alerts/sync-alerts';
import { currentTenant, workflowCallDeps } from './merchant-tenant';
import { handSyncWork } from '../sync-work';

/**
 * makeshop apps (DESIGN §5): the app's webhooks (install, uninstall, 注文更新通知), the launch that links an
 * installation to the logged-in tenant, the installation state for the admin UI and the catalog import
 * from MakeShop. MakeShop sends no shared secret with its webhooks, so nothing in a body is trusted: an
 * install's token is checked against MakeShop (getShop) before it is stored, an uninstall only counts when
 * MakeShop refuses the stored token, an order notice only causes a re-read.
 */
const shopId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);
const installBody = z.object({ app_id: z.string().max(200).default(''), plan_id: z.coerce.string().max(200).default(''), app_name: z.string().optional(), shop_id: shopId, token: z.string().min(8).max(4096).regex(PRINTABLE_ASCII) }).loose(); // a token that cannot be a header value is malformed (400), not a MakeShop outage (503)
const uninstallBody = z.object({ shop_id: shopId }).loose();
const orderNumber = z.string().regex(/^[0-9A-Za-z_-]{1,40}$/);
const orderUpdateBody = z
  .object({ shop_id: shopId, orders: z.array(z.object({ system_order_number: orderNumber }).loose()).min(1).max(1000) })
  .loose();

const webhookAnswer = z.object({ ok: z.literal(true) });
const installationAnswer = z.object({
  makeshopMode: z.enum(['legacy', 'apps']),
  shopId: z.string().nullable().describe('the shop named at step 2 (apps)'),
  status: z.enum(['none', 'pending', 'linked', 'revoked']).describe('none: not installed yet; pending: installed, open the app from the MakeShop admin to link it'),
  installedAt: z.string().nullable(),
  linkedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const catalogImportBody = strictBody({ source: z.literal('makeshop', { error: 'source は "makeshop" を指定してください。' }) });

for (const [path, summary, request] of [
  ['/webhooks/makeshop/apps/install', 'makeshop apps install webhook: stores the shop token (checked with MakeShop) as a pending installation; 200 only once stored', installBody],
  ['/webhooks/makeshop/apps/uninstall', "makeshop apps uninstall webhook: revokes the shop's link and stops its sync (only when MakeShop refuses the token)", uninstallBody],
  ['/webhooks/makeshop/apps/orders', '注文更新通知: a hint; the named orders are re-read from MakeShop (searchOrder)', orderUpdateBody],
] as const) {
  registerRoute({ method: 'post', path, summary, tags: ['webhooks'], auth: 'none', request, response: webhookAnswer });
}
registerRoute({
  method: 'get',
  path: '/makeshop/apps/launch',
  summary: 'Where MakeShop sends the merchant who opens the app: links the pending installation to the logged-in tenant → 302 /#/setup',
  tags: ['onboarding'],
  auth: 'none',
  query: z.object({ shop_id: z.string(), timestamp: z.string(), hmac: z.string() }),
  responseContentType: 'text/html',
  status: 302,
});

export function makeshopAppsRoutes(deps: AppDeps): Router {
  const router = new Router();
  const apps = deps.makeshopApps ?? createMakeshopAppsClient(deps.config, deps.logger);
  const box = () => onboardingDepsOf(deps).secretBox;
  const taskQueue = deps.config.TEMPORAL_TASK_QUEUE;
  const tellSync = (tenantId: string, linked: boolean) =>
    signalSyncWorkflow(deps.temporal, taskQueue, tenantId, makeshopLinkChangedSignal, [linked ? { linked } : { linked, reason: MAKESHOP_APP_UNINSTALLED_REASON }]);

  router.post('/webhooks/makeshop/apps/install', async (ctx) => {
    const body = installBody.safeParse(ctx.request.body);
    if (!body.success) return answer(ctx, 400, 'malformed');
    const { shop_id: shop, token } = body.data;
    let owner: string;
    try {
      owner = await apps.shopIdOfToken({ mode: 'apps', shopId: shop, token });
    } catch (err) {
      if (!(err instanceof PlatformError)) throw err;
      deps.logger.warn({ shopId: shop, kind: err.kind }, 'makeshop app install refused: token not accepted by MakeShop');
      return answer(ctx, err.retryable ? 503 : 401, 'token-refused');
    }
    if (owner !== shop) {
      deps.logger.warn({ shopId: shop, tokenShopId: owner }, 'makeshop app install refused: the token belongs to another shop');
      return answer(ctx, 401, 'shop-mismatch');
    }
    const status = await saveInstallation(deps.db, box(), { shopId: shop, token, appId: body.data.app_id, planId: body.data.plan_id }, new Date());
    deps.logger.info({ shopId: shop, status }, 'makeshop app installed');
    answer(ctx, 200, 'installed');
  });

  router.post('/webhooks/makeshop/apps/uninstall', async (ctx) => {
    const body = uninstallBody.safeParse(ctx.request.body);
    if (!body.success) return answer(ctx, 400, 'malformed');
    const shop = body.data.shop_id;
    const token = await installationToken(deps.db, box(), shop);
    if (token !== null) {
      try {
        await apps.shopIdOfToken({ mode: 'apps', shopId: shop, token });
        deps.logger.warn({ shopId: shop }, 'makeshop app uninstall ignored: MakeShop still accepts the token');
        return answer(ctx, 200, 'ignored');
      } catch (err) {
        if (!(err instanceof PlatformError)) throw err;
        if (err.kind !== 'revoked') return answer(ctx, 503, 'unverifiable');
      }
    }
    const revoked = await revokeInstallation(deps.db, shop, new Date());
    if (revoked?.tenantId) await makeshopLinkLost(revoked.tenantId, shop);
    answer(ctx, 200, 'uninstalled');
  });

  /** The one place that reacts to a lost MakeShop link (alerts can hook in here). */
  async function makeshopLinkLost(tenantId: string, shop: string): Promise<void> {
    deps.logger.warn({ tenantId, shopId: shop }, 'makeshop app uninstalled: sync stops');
    await tellSync(tenantId, false);
    await signalMakeshopAppsRevoked(deps.temporal, tenantId, shop);
    await makeshopAppConnectionAlert({ db: deps.db, temporal: deps.temporal, taskQueue, logger: deps.logger }, tenantId, false);
  }

  router.post('/webhooks/makeshop/apps/orders', async (ctx) => {
    const body = orderUpdateBody.safeParse(ctx.request.body);
    if (!body.success) return answer(ctx, 400, 'malformed');
    const tenantId = await linkedTenantOf(deps.db, body.data.shop_id);
    if (!tenantId) return answer(ctx, 404, 'unknown-shop');
    const numbers = [...new Set(body.data.orders.map((order) => order.system_order_number))];
    // A hint only: the sync workflow re-reads each order from MakeShop before it does anything.
    await handSyncWork({ db: deps.db, temporal: deps.temporal, taskQueue }, tenantId, {
      orders: numbers.map((orderNumber) => ({ orderNumber, cmd: ORDER_CMD.edited })),
    });
    answer(ctx, 200, 'accepted');
  });

  router.get('/makeshop/apps/launch', async (ctx) => {
    const token = sessionTokenOf(ctx);
    const tenantId = token ? await findSessionTenant(deps.db, token, new Date()) : null;
    if (!tenantId) return launchPage(ctx, 401, 'ログインしていません。zaiko-syncにログインしてから、MakeShopの管理画面でもう一度アプリを開いてください。');
    const shop = verifyLaunchProof(ctx.query, deps.config.MAKESHOP_APP_LAUNCH_SECRET, Date.now());
    if (!shop) return launchPage(ctx, 400, 'MakeShopからの起動情報を確認できませんでした。MakeShopの管理画面からもう一度アプリを開いてください。');
    const state = (await findTenantById(deps.db, tenantId))?.onboarding.state;
    if (!state) return launchPage(ctx, 401, 'アカウントが見つかりません。ログインし直してください。');
    if (makeshopModeOf(state) !== 'apps' || state.apps?.shopId !== shop) {
      return launchPage(ctx, 409, `このアカウントではショップID「${shop}」をmakeshopアプリで連携する設定になっていません。設定画面の手順2で「makeshop アプリで連携」を選び、ショップIDに「${shop}」を入力してから、もう一度アプリを開いてください。`);
    }
    const outcome = await linkInstallation(deps.db, shop, tenantId, new Date());
    if (outcome === 'not-installed') return launchPage(ctx, 409, 'このショップにはアプリがインストールされていません。MakeShopの管理画面でアプリをインストールしてから開いてください。');
    if (outcome === 'linked-elsewhere') return launchPage(ctx, 409, 'このショップは別のアカウントと連携されています。連携を切り替えるにはサポートまでご連絡ください。');
    await updateOnboarding(workflowCallDeps(deps), tenantId, recordMakeshopAppsLinkedUpdate, { shopId: shop, linkedAt: new Date().toISOString() });
    await tellSync(tenantId, true);
    await makeshopAppConnectionAlert({ db: deps.db, temporal: deps.temporal, taskQueue, logger: deps.logger }, tenantId, true);
    deps.logger.info({ tenantId, shopId: shop, outcome }, 'makeshop app linked');
    ctx.redirect('/#/setup');
  });

  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/makeshop/apps', summary: 'Step 2 (apps): the state of the shop’s app installation', tags: ['onboarding'], response: installationAnswer },
    async (ctx) => {
      const tenant = await currentTenant(deps, ctx);
      const state = tenant.onboarding.state;
      const shop = state.apps?.shopId ?? null;
      const view = shop ? await installationView(deps.db, tenant._id, shop) : null;
      ctx.body = {
        makeshopMode: makeshopModeOf(state),
        shopId: shop,
        status: view?.status ?? 'none',
        installedAt: view?.installedAt ?? null,
        linkedAt: view?.linkedAt ?? null,
        revokedAt: view?.revokedAt ?? null,
      };
    },
  );

  documentedRoute(
    router,
    {
      method: 'post',
      path: '/api/v1/catalog/imports',
      summary: 'Step 5 (apps): import the catalog from MakeShop; same progress, report and activation as an upload',
      tags: ['catalog'],
      request: catalogImportBody,
      status: 202,
      response: z.object({ uploadId: z.string() }),
    },
    async (ctx) => {
      parseRequest(catalogImportBody, ctx.request.body);
      const tenant = await currentTenant(deps, ctx);
      const shop = linkedAppsShopId(tenant.onboarding.state);
      if (!shop || (await linkedTenantOf(deps.db, shop)) !== tenant._id) {
        throw conflict('makeshop_apps_not_linked', 'MakeShopから商品を取り込むには、先にmakeshopアプリの連携を完了してください（手順2）。CSVの場合は商品データCSVとオプションデータCSVをアップロードしてください。');
      }
      ctx.status = 202;
      ctx.body = { uploadId: await startMakeshopImport(tenant._id) };
    },
  );

  /** The upload record gets its two file ids now; the workflow's first activity writes the files. */
  async function startMakeshopImport(tenantId: string): Promise<string> {
    const uploadId = `up_${randomBytes(12).toString('hex')}`;
    const version = await allocateCatalogVersion(deps.db, tenantId);
    const file = (name: string) => ({ fileId: new ObjectId(), name, bytes: 0 });
    const files = { productCsv: file('makeshop-products.csv'), optionCsv: file('makeshop-options.csv') };
    try {
      await insertCatalogUpload(deps.db, { _id: uploadId, tenantId, version, files, createdAt: new Date() });
      await startCatalogImportWorkflow(deps.temporal, deps.config.TEMPORAL_CATALOG_TASK_QUEUE, { tenantId, uploadId, source: 'makeshop' });
    } catch (err) {
      await finishCatalogUpload(deps.db, uploadId, { status: 'failed', error: 'internal' }, new Date()).catch(() => undefined);
      throw err;
    }
    deps.logger.info({ tenantId, uploadId, version }, 'catalog import from MakeShop started');
    return uploadId;
  }

  function answer(ctx: Context, status: number, outcome: string): void {
    deps.metrics.webhooksReceived.inc({ source: 'makeshop-apps', outcome });
    ctx.status = status;
    ctx.body = status === 200 ? { ok: true } : { error: { code: status === 400 ? 'invalid_request' : status === 503 ? 'unavailable' : 'rejected', message: '' } };
  }
  return router;
}

/** The launch is a browser visit: answers are small Japanese pages with a way back. */
function launchPage(ctx: Context, status: number, message: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  const escaped = message.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  ctx.body = `<!doctype html><html lang="ja"><meta charset="utf-8"><title>makeshopアプリの連携</title><body><h1>makeshopアプリの連携</h1><p role="alert">${escaped}</p><p><a href="/#/setup">設定画面へ戻る</a></p></body></html>`;
}
