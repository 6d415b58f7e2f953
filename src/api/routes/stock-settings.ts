import Router from '@koa/router';
import { z } from 'zod';
import { getStockSettings, saveStockSettings } from '../../storage/tenants';
import { recordStockSettingsSavedUpdate, stockSettingsChangedSignal } from '../../workflows/messages';
import { signalSyncWorkflow } from '../../temporal/tenant-workflows';
import type { AppDeps } from '../deps';
import { updateOnboarding } from '../temporal-calls';
import { documentedRoute } from '../openapi';
import { PRINTABLE_ASCII, parseRequest, requiredText, strictBody } from '../validation';
import { currentTenant, workflowCallDeps } from './merchant-tenant';
import { requireKnownStores, storesOfTenant } from './smaregi';

const MAX_BUFFER = 1_000_000;
const MAX_OVERRIDES = 10_000;

const buffer = (label: string) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? `${label}を入力してください。` : `${label}は数値で入力してください。`) })
    .int(`${label}は0以上の整数で入力してください。`)
    .min(0, `${label}は0以上の整数で入力してください。`)
    .max(MAX_BUFFER, `${label}は${MAX_BUFFER}以下にしてください。`);

const override = strictBody({
  // Exact, untrimmed Smaregi 商品コード (DESIGN §1: "ABC " is not "ABC").
  code: requiredText('商品コード', { max: 20, pattern: PRINTABLE_ASCII, patternMessage: '商品コードはスマレジの商品コード（半角英数字・記号、20文字以内）を入力してください。' }),
  buffer: buffer('商品ごとの在庫バッファ'),
});

export const stockSettingsBody = strictBody({
  storeIds: z
    .array(requiredText('店舗ID', { max: 32 }), { error: '在庫を合計する店舗（storeIds）を配列で指定してください。' })
    .min(1, '在庫を合計するスマレジの店舗を1つ以上選択してください。')
    .refine((ids) => new Set(ids).size === ids.length, '同じ店舗が2回以上選択されています。'),
  buffer: buffer('在庫バッファ'),
  overrides: z
    .array(override, { error: '商品ごとの在庫バッファ（overrides）を配列で指定してください。' })
    .max(MAX_OVERRIDES, `商品ごとの在庫バッファは${MAX_OVERRIDES}件以内にしてください。`)
    .refine((rows) => new Set(rows.map((r) => r.code)).size === rows.length, '同じ商品コードの在庫バッファが2回以上指定されています。'),
});
export const stockSettingsAnswer = z.object({
  storeIds: z.array(z.string()),
  buffer: z.number().int(),
  overrides: z.array(z.object({ code: z.string(), buffer: z.number().int() })),
});

/** Which Smaregi stores' total is synced, and the buffers kept back. Part of what 稼働 needs. */
export function stockSettingsRoutes(deps: AppDeps): Router {
  const router = new Router();
  const path = '/api/v1/stock-settings';
  documentedRoute(
    router,
    { method: 'get', path, summary: 'Stock settings (empty store list until saved)', tags: ['onboarding'], response: stockSettingsAnswer },
    async (ctx) => {
      const tenant = await currentTenant(deps, ctx);
      ctx.body = (await getStockSettings(deps.db, tenant._id)) ?? { storeIds: [], buffer: 0, overrides: [] };
    },
  );
  documentedRoute(
    router,
    {
      method: 'put',
      path,
      summary: 'Choose the Smaregi stores whose total stock is synced, a default buffer and per-code overrides',
      tags: ['onboarding'],
      request: stockSettingsBody,
      response: stockSettingsAnswer,
    },
    async (ctx) => {
      const settings = parseRequest(stockSettingsBody, ctx.request.body);
      const tenant = await currentTenant(deps, ctx);
      requireKnownStores(await storesOfTenant(deps, tenant), settings.storeIds, 'storeIds');
      const now = new Date();
      await saveStockSettings(deps.db, tenant._id, settings, now);
      if (tenant.onboarding.state.stockSettingsSavedAt === null) {
        await updateOnboarding(workflowCallDeps(deps), tenant._id, recordStockSettingsSavedUpdate, { savedAt: now.toISOString() });
      }
      // While 稼働, a lower buffer or a dropped store must reach MakeShop at once, not at the next stock change.
      await signalSyncWorkflow(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, tenant._id, stockSettingsChangedSignal, [{ savedAt: now.toISOString() }]);
      ctx.body = settings;
    },
  );
  return router;
}
