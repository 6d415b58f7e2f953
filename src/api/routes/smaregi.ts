import Router from '@koa/router';
import { z } from 'zod';
import { PlatformError } from '../../platforms/http';
import type { TenantDocument } from '../../storage/tenants';
import type { AppDeps } from '../deps';
import { HttpError } from '../errors';
import { onboardingDepsOf } from '../deps';
import { documentedRoute } from '../openapi';
import { currentTenant } from './merchant-tenant';

export const storeList = z.array(z.object({ storeId: z.string(), storeName: z.string() }));
export type StoreList = z.infer<typeof storeList>;

/** The stores of the tenant's own Smaregi contract, read live (the merchant may have just added one). */
export async function storesOfTenant(deps: AppDeps, tenant: Pick<TenantDocument, 'smaregiContractId'>): Promise<StoreList> {
  const contractId = linkedContractOf(tenant);
  try {
    const stores = await onboardingDepsOf(deps).smaregi.listStores(contractId);
    return stores.map(({ storeId, storeName }) => ({ storeId, storeName }));
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    if (err.retryable) throw new HttpError(503, 'smaregi_unavailable', 'スマレジに接続できませんでした。しばらくしてから再度お試しください。');
    throw new HttpError(
      409,
      'smaregi_contract_unavailable',
      'スマレジの契約の店舗を読み取れませんでした。スマレジ・アプリマーケットでアプリの利用が続いているかご確認ください。',
    );
  }
}

/** Everything that reads Smaregi for a merchant needs the contract linked by スマレジID login first. */
export function linkedContractOf(tenant: Pick<TenantDocument, 'smaregiContractId'>): string {
  if (tenant.smaregiContractId !== undefined) return tenant.smaregiContractId;
  throw new HttpError(409, 'smaregi_not_linked', '先に「スマレジIDで連携する」からスマレジの契約を連携してください（アプリ利用登録）。');
}

/**
 * 稼働 needs the contract proven: a tenant bound before スマレジID login existed keeps running, but
 * must confirm by logging in (or an operator confirms) before its next 稼働.
 */
export function requireConfirmedContract(tenant: Pick<TenantDocument, 'smaregiContractId' | 'smaregiContractConfirmed'>): void {
  linkedContractOf(tenant);
  if (tenant.smaregiContractConfirmed) return;
  throw new HttpError(
    409,
    'smaregi_contract_unconfirmed',
    '稼働する前に、スマレジの契約の確認が必要です。「スマレジIDで連携する」から契約のオーナーとしてログインしてください。',
  );
}

/** 400 naming every store id that is not a store of the contract. */
export function requireKnownStores(stores: StoreList, storeIds: string[], field: string): void {
  const known = new Set(stores.map((s) => s.storeId));
  const unknown = storeIds.filter((id) => !known.has(id));
  if (unknown.length === 0) return;
  throw new HttpError(
    400,
    'unknown_store',
    `スマレジの契約に存在しない店舗IDです: ${unknown.join(', ')}。店舗一覧（GET /api/v1/smaregi/stores）から選んでください。`,
    unknown.map((storeId) => ({ path: field, message: `店舗ID ${storeId} はこの契約にありません。` })),
  );
}

export function smaregiRoutes(deps: AppDeps): Router {
  const router = new Router();
  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/smaregi/stores', summary: "The stores of the merchant's Smaregi contract", tags: ['onboarding'], response: storeList },
    async (ctx) => {
      ctx.body = await storesOfTenant(deps, await currentTenant(deps, ctx));
    },
  );
  return router;
}
