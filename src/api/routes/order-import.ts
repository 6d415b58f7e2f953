import Router from '@koa/router';
import { z } from 'zod';
import { makeshopModeOf } from '../../domain/onboarding';
import { rotateNotificationToken, saveOrderImportMethod, type TenantDocument } from '../../storage/tenants';
import { ORDER_IMPORT_METHODS, type OrderImportMethod } from '../../domain/sync';
import { chooseShipmentStoreUpdate } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { updateOnboarding } from '../temporal-calls';
import { documentedRoute } from '../openapi';
import { parseRequest, requiredText, strictBody } from '../validation';
import { currentTenant, workflowCallDeps } from './merchant-tenant';
import { requireKnownStores, storesOfTenant } from './smaregi';

export const shipmentStoreBody = strictBody({
  shipmentStoreId: requiredText('出荷元店舗ID', { max: 32 }),
  method: z
    .enum(ORDER_IMPORT_METHODS as [OrderImportMethod, ...OrderImportMethod[]], {
      error: '取り込み方法（method）は "shipment"（出荷）または "stockAdjustment"（在庫調整）を指定してください。',
    })
    .optional(),
});
export const orderImportSettings = z.object({
  notificationUrl: z.string().nullable().describe('Paste into MakeShop: 注文データ連携設定 > 更新通知APIのURL (null in apps mode: the app receives 注文更新通知 itself)'),
  method: z
    .enum(ORDER_IMPORT_METHODS as [OrderImportMethod, ...OrderImportMethod[]])
    .describe('shipment: a Smaregi 出荷 per order; stockAdjustment: a relative stock subtraction (在庫調整) from the store'),
  shipmentStoreId: z.string().nullable(),
});

/** MakeShop substitutes the bracketed placeholders when it calls the URL (makeshop-api.md §4). */
export function notificationUrl(publicBaseUrl: string, token: string): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return `${base}/webhooks/makeshop/orders/${token}?shopid=[SHOPID]&ordernum=[ORDERNUM]&cmd=[CMD]`;
}

function settingsOf(deps: AppDeps, tenant: Pick<TenantDocument, 'notificationToken' | 'onboarding' | 'orderImportMethod'>, token = tenant.notificationToken) {
  return {
    notificationUrl: makeshopModeOf(tenant.onboarding.state) === 'apps' ? null : notificationUrl(deps.config.PUBLIC_BASE_URL, token),
    method: tenant.orderImportMethod ?? 'shipment',
    shipmentStoreId: tenant.onboarding.state.shipmentStoreId,
  };
}

/** Step 4: the 更新通知 URL to paste into MakeShop and the store shipments are made from. */
export function orderImportRoutes(deps: AppDeps): Router {
  const router = new Router();
  const path = '/api/v1/order-import';
  documentedRoute(
    router,
    { method: 'get', path, summary: 'Step 4: the MakeShop 更新通知 URL and the shipment store', tags: ['onboarding'], response: orderImportSettings },
    async (ctx) => {
      ctx.body = settingsOf(deps, await currentTenant(deps, ctx));
    },
  );
  documentedRoute(
    router,
    {
      method: 'put',
      path,
      summary: 'Step 4: choose the Smaregi store MakeShop orders are imported into, and the method (出荷 or 在庫調整)',
      tags: ['onboarding'],
      request: shipmentStoreBody,
      response: orderImportSettings,
    },
    async (ctx) => {
      const { shipmentStoreId, method } = parseRequest(shipmentStoreBody, ctx.request.body);
      const tenant = await currentTenant(deps, ctx);
      requireKnownStores(await storesOfTenant(deps, tenant), [shipmentStoreId], 'shipmentStoreId');
      // Orders already imported keep the method they were imported with (the ledger records it).
      if (method) await saveOrderImportMethod(deps.db, tenant._id, method);
      await updateOnboarding(workflowCallDeps(deps), tenant._id, chooseShipmentStoreUpdate, { shipmentStoreId });
      ctx.body = settingsOf(deps, await currentTenant(deps, ctx));
    },
  );
  documentedRoute(
    router,
    {
      method: 'post',
      path: `${path}/rotate-token`,
      summary: 'Step 4: issue a new 更新通知 URL (the old one stops working at once; paste the new one into MakeShop)',
      tags: ['onboarding'],
      response: orderImportSettings,
    },
    async (ctx) => {
      const tenant = await currentTenant(deps, ctx);
      const token = await rotateNotificationToken(deps.db, tenant._id);
      deps.logger.info({ tenantId: tenant._id }, 'MakeShop notification URL rotated');
      ctx.body = settingsOf(deps, tenant, token);
    },
  );
  return router;
}
