import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { SimProblem, badRequest, queryParam, readJsonBody, readRawBody, routeParam } from './sim-http';
import {
  STOCK_LIMIT,
  formatJst,
  stockKey,
  type SimContract,
  type SimProduct,
  type SimShipment,
  type SimStockHistory,
  type SimStockRow,
  type SmaregiSimState,
} from './state';

export interface PlatformRouteOptions {
  clientId: string;
  clientSecret: string;
}

/** Scopes the simulated app has been granted in the developer console. */
const APP_SCOPES = [
  'pos.stores:read',
  'pos.products:read',
  'pos.products:write',
  'pos.stock:read',
  'pos.stock:write',
  'pos.stock-changes:read',
  'pos.transactions:read',
  'pos.shipments:read',
  'pos.shipments:write',
];

/** ASSUMPTION (unconfirmed): `/shipments` needs `pos.shipments:read|write` (Asinoura [U]; SmaregiMCP [U] says `pos.orders:*`). */
function shipmentScope(access: 'read' | 'write'): string {
  return `pos.shipments:${access}`;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_UPDATE_WINDOW_MS = 31 * 24 * 60 * 60 * 1000;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;
/** The Platform API picks the division itself for API writes; 15 is the legacy "API integration" code. */
const API_STOCK_DIVISION = '15';

const idField = z.union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()]).transform(String);
const intField = z
  .union([z.string().regex(/^-?\d+$/, 'must be an integer'), z.number().int()])
  .transform(Number);
const codeField = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.union([z.string(), z.number()]).transform(String).pipe(z.enum(values));

const stockHistoryField = z
  .object({ memo: z.string().max(100, 'stockHistory.memo は100文字以内で指定してください').optional() })
  .optional();

const stockSetBody = z.object({
  storeId: idField,
  stockAmount: intField.refine(
    (n) => Math.abs(n) <= STOCK_LIMIT,
    `stockAmount は±${STOCK_LIMIT}の範囲で指定してください`,
  ),
  stockHistory: stockHistoryField,
});

const stockAddBody = z.object({
  storeId: idField,
  stockAmount: intField.refine(
    (n) => Math.abs(n) <= 2 * STOCK_LIMIT,
    `stockAmount は±${2 * STOCK_LIMIT}の範囲で指定してください`,
  ),
  stockHistory: stockHistoryField,
});

/** ASSUMPTION (unconfirmed): the Asinoura [U] `POST /shipments` schema (smaregi-api.md §5.6). */
const shipmentBody = z.object({
  shipmentStoreId: idField,
  recipientType: codeField(['1', '3']),
  recipientName: z.string().max(85).optional(),
  shipmentDivision: codeField(['0', '1', '2']),
  status: codeField(['0', '2', '3']),
  shipmentDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  memo: z.string().max(1000).optional(),
  identificationNo: z.string().max(32, 'identificationNo は32文字以内で指定してください').optional(),
  details: z
    .array(
      z.object({
        productId: idField,
        quantity: intField.refine((n) => n >= 1 && n <= 99999, 'quantity は1〜99999で指定してください'),
      }),
    )
    .min(1)
    .max(500),
});

const unauthorized = () => new SimProblem(401, 'Unauthorized', 'アクセストークンが無効です');

/** The Smaregi ID server (token endpoint) and POS API, as smaregi-api.md describes them. */
export function platformRouter(state: SmaregiSimState, opts: PlatformRouteOptions): Router {
  const router = new Router();

  router.post('/app/:contractId/token', async (ctx) => {
    if (!hasClientCredentials(ctx, opts))
      throw new SimProblem(401, 'Unauthorized', 'クライアント認証に失敗しました');
    const form = new URLSearchParams(await readRawBody(ctx));
    if (form.get('grant_type') !== 'client_credentials')
      throw badRequest('grant_type は client_credentials を指定してください');
    const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const unknown = requested.filter((s) => !APP_SCOPES.includes(s));
    if (unknown.length > 0) throw badRequest(`アプリに許可されていないスコープです: ${unknown.join(' ')}`);
    const contractId = routeParam(ctx, 'contractId');
    if (!state.contract(contractId) || state.appRevoked(contractId))
      throw new SimProblem(401, 'Unauthorized', '契約が見つからないか、アプリが利用されていません');
    const scopes = requested.length > 0 ? requested : APP_SCOPES;
    const token = state.issueToken(contractId, scopes);
    ctx.body = {
      access_token: token.value,
      token_type: 'Bearer',
      expires_in: state.tokenTtl,
      scope: scopes.join(' '),
    };
  });

  router.get('/:contractId/pos/stores', (ctx) => {
    const contract = authorize(ctx, state, 'pos.stores:read');
    const stores = [...contract.stores.values()].sort(byNumeric((s) => s.storeId));
    ctx.body = page(ctx, stores).map((s) => ({
      storeId: s.storeId,
      storeName: s.storeName,
      division: s.division,
      updDateTime: formatJst(s.updDateTime),
    }));
  });

  router.get('/:contractId/pos/products', (ctx) => {
    const contract = authorize(ctx, state, 'pos.products:read');
    const productId = queryParam(ctx, 'product_id');
    const productCode = queryParam(ctx, 'product_code');
    const window = updateWindow(ctx);
    // productId order (the Map's insertion order: ids are assigned in seed order). An unfiltered page is
    // a slice of the cached list; a filtered one is one lazy pass that stops at the end of the page.
    // Copying, filtering or skipping through 300k products for every page made large catalogs crawl
    // (O(n²) over a full listing).
    const windowed = queryParam(ctx, 'upd_date_time-from') !== undefined || queryParam(ctx, 'upd_date_time-to') !== undefined;
    const unfiltered = productId === undefined && productCode === undefined && !windowed;
    const products = unfiltered
      ? page(ctx, productsInIdOrder(contract.products))
      : pageWhere(
          ctx,
          contract.products.values(),
          (p) =>
            (productId === undefined || p.productId === productId) &&
            (productCode === undefined || p.productCode === productCode) &&
            window(p.updDateTime),
        );
    ctx.body = products.map((p) => ({
      productId: p.productId,
      productCode: p.productCode,
      productName: p.productName,
      division: '0',
      stockControlDivision: p.stockControlDivision,
      displayFlag: '1',
      insDateTime: formatJst(p.insDateTime),
      updDateTime: formatJst(p.updDateTime),
    }));
  });

  router.get('/:contractId/pos/stock', (ctx) => {
    const contract = authorize(ctx, state, 'pos.stock:read');
    const storeId = queryParam(ctx, 'store_id');
    const productId = queryParam(ctx, 'product_id');
    const window = updateWindow(ctx);
    const rows = pageWhere(
      ctx,
      stockInIdOrder(contract.stock),
      (r) =>
        (storeId === undefined || r.storeId === storeId) &&
        (productId === undefined || r.productId === productId) &&
        window(r.updDateTime),
    );
    const covered = new Set(rows.map((r) => r.productId));
    if (productId !== undefined) covered.add(productId);
    const byUpdateTime = queryParam(ctx, 'upd_date_time-from') !== undefined || queryParam(ctx, 'upd_date_time-to') !== undefined;
    contract.stockReads.push({ at: state.now(), productIds: [...covered], ...(storeId !== undefined && { storeId }), ...(byUpdateTime && { byUpdateTime }) });
    ctx.body = rows.map((r) => ({
      storeId: r.storeId,
      productId: r.productId,
      stockAmount: String(r.stockAmount),
      layawayStockAmount: String(r.layawayStockAmount),
      updDateTime: formatJst(r.updDateTime),
    }));
  });

  // ASSUMPTION (unconfirmed): the stock-change history list (§5.5 [U]) filters by product_id, store_id and
  // upd_date_time-from/-to like GET /stock, pages the same way, and sorts by id.
  router.get('/:contractId/pos/stock/changes', (ctx) => {
    const contract = authorize(ctx, state, 'pos.stock-changes:read');
    const storeId = queryParam(ctx, 'store_id');
    const productId = queryParam(ctx, 'product_id');
    const window = updateWindow(ctx);
    const rows = contract.history.filter(
      (h) => (storeId === undefined || h.storeId === storeId) && (productId === undefined || h.productId === productId) && window(h.updDateTime),
    );
    ctx.body = page(ctx, rows).map((h) => ({
      id: h.id,
      productId: h.productId,
      storeId: h.storeId,
      amount: String(h.amount),
      stockAmount: String(h.stockAmount),
      stockDivision: h.stockDivision,
      memo: h.memo,
      updDateTime: formatJst(h.updDateTime),
    }));
  });

  router.patch('/:contractId/pos/stock/:productId', async (ctx) => {
    const contract = authorize(ctx, state, 'pos.stock:write');
    const body = await readJsonBody(ctx, stockSetBody, badRequest);
    ctx.body = writeStock(state, contract, routeParam(ctx, 'productId'), 'set', body);
  });

  router.post('/:contractId/pos/stock/:productId/add', async (ctx) => {
    const contract = authorize(ctx, state, 'pos.stock:write');
    const body = await readJsonBody(ctx, stockAddBody, badRequest);
    ctx.body = writeStock(state, contract, routeParam(ctx, 'productId'), 'add', body);
  });

  router.post('/:contractId/pos/shipments', async (ctx) => {
    const contract = authorize(ctx, state, shipmentScope('write'));
    const body = await readJsonBody(ctx, shipmentBody, badRequest);
    ctx.body = wireShipment(state.createShipment(contract.contractId, body));
  });

  router.get('/:contractId/pos/shipments', (ctx) => {
    const contract = authorize(ctx, state, shipmentScope('read'));
    const identificationNo = queryParam(ctx, 'identification_no');
    const storeId = queryParam(ctx, 'shipment_store_id');
    const shipments = [...contract.shipments.values()]
      .filter((s) => s.deletedAt === undefined)
      .filter(
        (s) =>
          (identificationNo === undefined || s.identificationNo === identificationNo) &&
          (storeId === undefined || s.shipmentStoreId === storeId),
      )
      .sort(byNumeric((s) => s.shipmentId));
    ctx.body = page(ctx, shipments).map(wireShipment);
  });

  router.get('/:contractId/pos/shipments/:shipmentId', (ctx) => {
    const contract = authorize(ctx, state, shipmentScope('read'));
    const shipment = contract.shipments.get(routeParam(ctx, 'shipmentId'));
    if (!shipment || shipment.deletedAt !== undefined)
      throw new SimProblem(404, 'NotFound', '指定されたIDのリソースが見つかりません');
    ctx.body = wireShipment(shipment);
  });

  router.delete('/:contractId/pos/shipments/:shipmentId', (ctx) => {
    const contract = authorize(ctx, state, shipmentScope('write'));
    state.deleteShipment(contract.contractId, routeParam(ctx, 'shipmentId'));
    ctx.status = 204;
  });

  return router;
}

function hasClientCredentials(ctx: Koa.Context, opts: PlatformRouteOptions): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(ctx.get('authorization'));
  if (!match?.[1]) return false;
  return Buffer.from(match[1], 'base64').toString('utf8') === `${opts.clientId}:${opts.clientSecret}`;
}

function authorize(
  ctx: Koa.Context & { params: Record<string, string> },
  state: SmaregiSimState,
  scope: string,
): SimContract {
  const contractId = routeParam(ctx, 'contractId');
  const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
  const token = bearer === undefined ? undefined : state.activeToken(bearer);
  const contract = state.contract(contractId);
  if (!token || token.contractId !== contractId || !contract || state.appRevoked(contractId)) throw unauthorized();
  if (!token.scopes.has(scope))
    throw new SimProblem(403, 'Forbidden', `このアクセストークンにはスコープ[${scope}]がありません`);
  return contract;
}

function writeStock(
  state: SmaregiSimState,
  contract: SimContract,
  productId: string,
  mode: 'set' | 'add',
  body: { storeId: string; stockAmount: number; stockHistory?: { memo?: string } | undefined },
) {
  const memo = body.stockHistory?.memo ?? '';
  const [history] = state.changeStock(contract.contractId, [
    {
      productId,
      storeId: body.storeId,
      mode,
      amount: body.stockAmount,
      memo,
      stockDivision: API_STOCK_DIVISION,
    },
  ]);
  const row = contract.stock.get(stockKey(productId, body.storeId));
  return wireStockWrite(history!, row?.updDateTime ?? state.now());
}

function wireStockWrite(history: SimStockHistory, updDateTime: number) {
  return {
    productId: history.productId,
    storeId: history.storeId,
    stockAmount: String(history.stockAmount),
    updDateTime: formatJst(updDateTime),
    stockHistory: { id: history.id, memo: history.memo },
  };
}

function wireShipment(s: SimShipment) {
  return {
    shipmentId: s.shipmentId,
    shipmentStoreId: s.shipmentStoreId,
    recipientType: s.recipientType,
    ...(s.recipientName !== undefined && { recipientName: s.recipientName }),
    shipmentDivision: s.shipmentDivision,
    status: s.status,
    ...(s.identificationNo !== undefined && { identificationNo: s.identificationNo }),
    ...(s.memo !== undefined && { memo: s.memo }),
    shipmentDate: s.shipmentDate,
    insDateTime: formatJst(s.insDateTime),
    updDateTime: formatJst(s.updDateTime),
    details: s.details.map((d) => ({ productId: d.productId, quantity: String(d.quantity) })),
  };
}

/** Products are only ever added (seeded): the list in id order is rebuilt only when one was. */
const productOrder = new WeakMap<SimContract['products'], SimProduct[]>();

function productsInIdOrder(products: SimContract['products']): SimProduct[] {
  let order = productOrder.get(products);
  if (order?.length !== products.size) {
    order = [...products.values()];
    productOrder.set(products, order);
  }
  return order;
}

/** Stock rows are only ever added: their (productId, storeId) order is sorted again only when one was. */
const stockOrder = new WeakMap<SimContract['stock'], { size: number; keys: string[] }>();

function* stockInIdOrder(stock: SimContract['stock']): Iterable<SimStockRow> {
  let order = stockOrder.get(stock);
  if (order?.size !== stock.size) {
    const sorted = [...stock.values()].sort((a, b) => Number(a.productId) - Number(b.productId) || Number(a.storeId) - Number(b.storeId));
    order = { size: stock.size, keys: sorted.map((r) => stockKey(r.productId, r.storeId)) };
    stockOrder.set(stock, order);
  }
  for (const key of order.keys) yield stock.get(key)!;
}

function pageQuery(ctx: Koa.Context): { limit: number; pageNo: number } {
  const limit = positiveIntQuery(ctx, 'limit') ?? DEFAULT_LIMIT;
  const pageNo = positiveIntQuery(ctx, 'page') ?? 1;
  if (limit > MAX_LIMIT) throw badRequest(`limit は1〜${MAX_LIMIT}で指定してください`);
  return { limit, pageNo };
}

function page<T>(ctx: Koa.Context, rows: T[]): T[] {
  const { limit, pageNo } = pageQuery(ctx);
  return rows.slice((pageNo - 1) * limit, pageNo * limit);
}

/** The requested page of the rows `keep` accepts, read lazily up to the page's end. */
function pageWhere<T>(ctx: Koa.Context, rows: Iterable<T>, keep: (row: T) => boolean): T[] {
  const { limit, pageNo } = pageQuery(ctx);
  const skip = (pageNo - 1) * limit;
  const found: T[] = [];
  let kept = 0;
  for (const row of rows) {
    if (!keep(row) || kept++ < skip) continue;
    found.push(row);
    if (found.length === limit) break;
  }
  return found;
}

function positiveIntQuery(ctx: Koa.Context, name: string): number | undefined {
  const raw = queryParam(ctx, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw badRequest(`${name} は1以上の整数で指定してください`);
  return Number(raw);
}

/**
 * `upd_date_time-from` / `-to` filter; the window may span at most 31 days ([O] §5.3).
 * ASSUMPTION (unconfirmed): the 31-day check applies only when both ends are given.
 */
function updateWindow(ctx: Koa.Context): (at: number) => boolean {
  const from = dateTimeQuery(ctx, 'upd_date_time-from');
  const to = dateTimeQuery(ctx, 'upd_date_time-to');
  if (from !== undefined && to !== undefined && to - from > MAX_UPDATE_WINDOW_MS) {
    throw badRequest('upd_date_time-from と upd_date_time-to の期間は31日以内で指定してください');
  }
  return (at) => (from === undefined || at >= from) && (to === undefined || at <= to);
}

function dateTimeQuery(ctx: Koa.Context, name: string): number | undefined {
  const raw = queryParam(ctx, name);
  if (raw === undefined) return undefined;
  if (!DATETIME.test(raw)) throw badRequest(`${name} は YYYY-MM-DDThh:mm:ssTZD 形式で指定してください`);
  return Date.parse(raw);
}

function byNumeric<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => Number(key(a)) - Number(key(b));
}
