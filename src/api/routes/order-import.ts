import Router from '@koa/router';
import { z } from 'zod';
import { makeshopModeOf } from '../../domain/onboarding';
import { rotateNotificationToken, type TenantDocument } from '../../storage/tenants';
import { chooseShipmentStoreUpdate } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { updateOnboarding } from '../onboarding-workflow';
import { documentedRoute } from '../openapi';
import { parseRequest, requiredText, strictBody } from '../validation';
import { currentTenant, workflowCallDeps } from './merchant-tenant';
import { requireKnownStores, storesOfTenant } from './smaregi';

export const shipmentStoreBody = strictBody({ shipmentStoreId: requiredText('出荷元店舗ID', { max: 32 }) });
export const orderImportSettings = z.object({
  notificationUrl: z.string().nullable().describe('Paste into MakeShop: 注文データ連携設定 > 更新通知APIのURL (null in apps mode: the app receives 注文更新通知 itself)'),
  method: z.literal('shipment').describe('Orders are imported as Smaregi shipments (出荷)'),
  shipmentStoreId: z.string().nullable(),
});

/** MakeShop substitutes the bracketed placeholders when it calls the URL (makeshop-api.md §4). */
export function notificationUrl(publicBaseUrl: string, token: string): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return `${base}/webhooks/makeshop/orders/${token}?shopid=[SHOPID]&ordernum=[ORDERNUM]&cmd=[CMD]`;
}

function settingsOf(deps: AppDeps, tenant: Pick<TenantDocument, 'notificationToken' | 'onboarding'>, token = tenant.notificationToken) {
  return {
    notificationUrl: makeshopModeOf(tenant.onboarding.state) === 'apps' ? null : notificationUrl(deps.config.PUBLIC_BASE_URL, token),
    method: 'shipment' as const,
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
      summary: 'Step 4: choose the Smaregi store MakeShop orders are shipped (出荷) from',
      tags: ['onboarding'],
      request: shipmentStoreBody,
      response: orderImportSettings,
    },
    async (ctx) => {
      const { shipmentStoreId } = parseRequest(shipmentStoreBody, ctx.request.body);
      const tenant = await currentTenant(deps, ctx);
      requireKnownStores(await storesOfTenant(deps, tenant), [shipmentStoreId], 'shipmentStoreId');
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
