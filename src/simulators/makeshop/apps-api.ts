import Router from '@koa/router';
import { GraphQLError, NoSchemaIntrospectionCustomRule, execute, parse, specifiedRules, validate, type DocumentNode } from 'graphql';
import type Koa from 'koa';
import { holdCall, injectedRetryAfterSeconds } from '../slow-faults';
import { readRawBody } from './http-body';
import { makeshopAppsSchema } from './apps-schema';
import { displayJst, parseCompactJst } from './jst';
import type { SimOption, SimOrder, SimProduct, SimShop } from './shop';
import type { MakeshopSimState } from './state';

export const APPS_GRAPHQL_PATH = '/v1/graphql';
/** §9.1: requests of 5 MB or more may be refused; the simulator always refuses them. */
export const APPS_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
/** §9.1: x-timestamp is valid for 1 hour. */
const TIMESTAMP_WINDOW_S = 60 * 60;
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

/**
 * Key and calculation types of the stock mutations (plms sends productKeyType 0 + systemCode,
 * variationKeyType 1 + variationCustomCode, quantityCalculationType 1). ASSUMPTION (unconfirmed, §12.4):
 * productKeyType 0 = システム商品コード, 1 = 独自商品コード; variationKeyType 0 = variation item ids,
 * 1 = variationCustomCode; quantityCalculationType 0 = absolute (上書き), 1 = relative (加減算).
 * The service's reading is in src/platforms/makeshop/apps-wire.ts; the two must agree.
 */
const PRODUCT_KEY = { systemCode: 0, customCode: 1 } as const;
const VARIATION_KEY = { customCode: 1 } as const;
const CALCULATION = { absolute: 0, relative: 1 } as const;

interface AppsContext {
  shop: SimShop;
  state: MakeshopSimState;
}

type AuthFailure = { status: number; code: string; message: string };

/** makeshop apps GraphQL API (reference §9) over the same shops as the legacy API. */
export function appsRouter(state: MakeshopSimState): Router {
  const router = new Router();
  router.post(APPS_GRAPHQL_PATH, async (ctx) => {
    const raw = await readRawBody(ctx);
    if (raw.length >= APPS_MAX_REQUEST_BYTES) return sendErrors(ctx, 413, 'PAYLOAD_TOO_LARGE', 'リクエストサイズが上限（5MB）を超えています。');
    const auth = authenticate(ctx, state);
    if ('status' in auth) return sendErrors(ctx, auth.status, auth.code, auth.message);
    const shop = auth.shop;
    const startedAt = state.now();
    const log = (status: number, outcome: 'accepted' | 'throttled' | 'fault') =>
      shop.calls.push({ endpoint: 'graphql', startedAt, finishedAt: state.now(), status, outcome });
    if (state.random() < state.faults.throttleRate) {
      sendErrors(ctx, 429, 'TOO_MANY_REQUESTS', 'リクエスト数が上限を超えました。しばらく待ってから再度お試しください。');
      if (state.faults.retryAfterMaxSeconds > 1) ctx.set('Retry-After', String(injectedRetryAfterSeconds(state.faults, state.random)));
      return log(429, 'throttled');
    }
    await holdCall(state.faults.latencyMs, state.faults, state.random);
    if (state.random() < state.faults.errorRate) {
      sendErrors(ctx, 500, 'INTERNAL_SERVER_ERROR', 'Internal Server Error');
      return log(500, 'fault');
    }
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = shop.handlingCallFrom(startedAt, () => runGraphql(raw, { shop, state }));
    log(200, 'accepted');
  });
  return router;
}

/**
 * The three headers (§9.1). ASSUMPTION (unconfirmed, §12.4: the error format is not published): a bad
 * header is HTTP 401 with `errors[].extensions.code` INVALID_API_KEY, INVALID_TIMESTAMP or
 * INVALID_TOKEN (unknown or revoked 永続トークン).
 */
function authenticate(ctx: Koa.Context, state: MakeshopSimState): { shop: SimShop } | AuthFailure {
  if (ctx.get('x-api-key') !== state.apps.settings.apiKey) return { status: 401, code: 'INVALID_API_KEY', message: 'x-api-key が正しくありません。' };
  const timestamp = Number(ctx.get('x-timestamp'));
  const nowS = state.now() / 1000;
  if (!ctx.get('x-timestamp') || !Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > TIMESTAMP_WINDOW_S) {
    return { status: 401, code: 'INVALID_TIMESTAMP', message: 'x-timestamp が無効か、有効期限（1時間）を過ぎています。' };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
  const holder = match ? state.apps.shopForToken(match[1]!) : undefined;
  if (holder === 'revoked') return { status: 401, code: 'INVALID_TOKEN', message: 'アクセストークンは無効化されています（アプリがアンインストールされました）。' };
  if (!holder) return { status: 401, code: 'INVALID_TOKEN', message: 'アクセストークンが正しくありません。' };
  return { shop: holder };
}

function sendErrors(ctx: Koa.Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = { errors: [{ message, extensions: { code } }] };
}

interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

function runGraphql(raw: Buffer, context: AppsContext): unknown {
  let request: GraphqlRequest;
  let document: DocumentNode;
  try {
    request = JSON.parse(raw.toString('utf8')) as GraphqlRequest;
    if (typeof request.query !== 'string') throw new Error('query must be a string');
    document = parse(request.query);
  } catch (error) {
    return { errors: [{ message: `リクエストを解析できません: ${(error as Error).message}`, extensions: { code: 'BAD_REQUEST' } }] };
  }
  const schema = makeshopAppsSchema();
  const introspection = validate(schema, document, [NoSchemaIntrospectionCustomRule]);
  if (introspection.length > 0) return { errors: [{ message: 'introspection is disabled', extensions: { code: 'FORBIDDEN' } }] };
  const problems = validate(schema, document, specifiedRules);
  if (problems.length > 0) return { errors: problems.map((p) => ({ message: p.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) };
  const result = execute({
    schema,
    document,
    rootValue: resolvers,
    contextValue: context,
    variableValues: request.variables ?? {},
    operationName: request.operationName,
  });
  if (result instanceof Promise) throw new Error('the simulator resolvers are synchronous');
  return result;
}

type Input<T> = { input: T };

function granted(context: AppsContext, api: string): void {
  if (context.state.apps.settings.deniedApis.includes(api)) {
    throw new GraphQLError(`${api} の利用が許可されていません。`, { extensions: { code: 'FORBIDDEN' } });
  }
}

function page<T>(items: T[], input: { page?: number | null; limit?: number | null }): { rows: T[]; page: number; limit: number } {
  const limit = input.limit ?? DEFAULT_LIMIT;
  const pageNumber = input.page ?? 1;
  if (limit < 1 || limit > MAX_LIMIT) throw new GraphQLError(`limit は1〜${MAX_LIMIT}で指定してください。`, { extensions: { code: 'BAD_USER_INPUT' } });
  if (pageNumber < 1) throw new GraphQLError('page は1以上で指定してください。', { extensions: { code: 'BAD_USER_INPUT' } });
  return { rows: items.slice((pageNumber - 1) * limit, pageNumber * limit), page: pageNumber, limit };
}

const resolvers = {
  getShop(_args: unknown, context: AppsContext) {
    return { shopId: context.shop.shopId, shopName: context.shop.shopId };
  },

  searchProductQuantity({ input }: Input<{ page?: number; limit?: number; systemCodes?: string[] | null }>, context: AppsContext) {
    granted(context, 'searchProductQuantity');
    const { shop } = context;
    const wanted = input.systemCodes ? new Set(input.systemCodes) : null;
    const products = shop.products.filter((product) => !wanted || wanted.has(product.systemCode));
    const { rows, ...paging } = page(products, input);
    return {
      ...paging,
      productQuantities: rows.map((product) => ({
        systemCode: product.systemCode,
        customCode: product.customCode,
        productName: product.name,
        quantity: product.optionNames.length > 0 ? null : product.quantity,
        variationQuantities: shop.optionsOf(product).map((option) => ({ variationQuantity: option.quantity, variationCustomCode: option.optionCode })),
      })),
    };
  },

  searchProduct({ input }: Input<{ page?: number; limit?: number }>, context: AppsContext) {
    granted(context, 'searchProduct');
    const { shop } = context;
    const { rows, ...paging } = page(shop.products, input);
    return {
      ...paging,
      searchedCount: shop.products.length,
      products: rows.map((product, index) => ({
        uid: String((paging.page - 1) * paging.limit + index + 1),
        systemCode: product.systemCode,
        customCode: product.customCode,
        janCode: product.jan,
        productName: product.name,
        sellPrice: product.price,
        maxImageUrl: null,
        variationShowType: product.optionNames.length > 0 ? 1 : 0,
        variations: shop.optionsOf(product).map((option) => ({
          variation1ItemName: option.option1,
          variation2ItemName: option.option2,
          productSystemCode: product.systemCode,
          variationCustomCode: option.optionCode,
          janCode: option.jan,
          subImageId: null,
        })),
        categories: product.categoryPath ? product.categoryPath.split('¥').map((categoryName) => ({ categoryName })) : [],
      })),
    };
  },

  searchOrder({ input }: Input<OrderSearch>, context: AppsContext) {
    granted(context, 'searchOrder');
    const { shop } = context;
    const matching = filterOrders(shop, input);
    const { rows, page: pageNumber } = page(matching, input);
    return { searchedCount: matching.length, page: pageNumber, orders: rows.map(orderNode) };
  },

  updateProductQuantity({ input }: Input<{ productQuantities: ProductQuantityInput[] }>, context: AppsContext) {
    granted(context, 'updateProductQuantity');
    const failResult = [];
    for (const row of input.productQuantities) {
      const failure = updateProduct(context.shop, row);
      if (failure) failResult.push({ systemCode: row.systemCode ?? null, customCode: row.customCode ?? null, message: failure });
    }
    return { failResult };
  },

  updateVariationQuantity({ input }: Input<{ variationQuantities: VariationQuantityInput[] }>, context: AppsContext) {
    granted(context, 'updateVariationQuantity');
    const failResult = [];
    for (const row of input.variationQuantities) {
      for (const detail of row.variationQuantityDetails) {
        const failure = updateVariation(context.shop, row, detail);
        if (failure) {
          failResult.push({
            systemCode: row.systemCode ?? null,
            customCode: row.customCode ?? null,
            variation1ItemId: detail.variation1ItemId ?? null,
            variation2ItemId: detail.variation2ItemId ?? null,
            variationCustomCode: detail.variationCustomCode ?? null,
            message: failure,
          });
        }
      }
    }
    return { failResult };
  },
};

interface ProductQuantityInput {
  productKeyType: number;
  systemCode?: string | null;
  customCode?: string | null;
  quantityCalculationType: number;
  quantity: number;
}

interface VariationQuantityInput {
  productKeyType: number;
  systemCode?: string | null;
  customCode?: string | null;
  variationQuantityDetails: VariationDetailInput[];
}

interface VariationDetailInput {
  variationKeyType: number;
  variation1ItemId?: string | null;
  variation2ItemId?: string | null;
  variationCustomCode?: string | null;
  quantityCalculationType: number;
  quantity: number;
}

function findProduct(shop: SimShop, row: { productKeyType: number; systemCode?: string | null; customCode?: string | null }): SimProduct | string {
  if (row.productKeyType === PRODUCT_KEY.systemCode) return shop.productBySystemCode(row.systemCode ?? '') ?? '指定されたシステム商品コードの商品が存在しません。';
  if (row.productKeyType === PRODUCT_KEY.customCode) {
    const products = shop.productsByCustomCode(row.customCode ?? '');
    if (products.length === 1) return products[0]!;
    return products.length === 0 ? '指定された独自商品コードの商品が存在しません。' : '独自商品コードが重複しているため商品を特定できません。';
  }
  return `productKeyType ${row.productKeyType} は指定できません。`;
}

/** The new quantity, or a failure message. */
function applyQuantity(current: number | null, calculationType: number, quantity: number): number | string {
  if (calculationType === CALCULATION.absolute) return quantity >= 0 ? quantity : '数量は0以上で指定してください。';
  if (calculationType === CALCULATION.relative) {
    const next = (current ?? 0) + quantity;
    return next >= 0 ? next : '在庫数が0未満になるため更新できません。';
  }
  return `quantityCalculationType ${calculationType} は指定できません。`;
}

function updateProduct(shop: SimShop, row: ProductQuantityInput): string | null {
  const product = findProduct(shop, row);
  if (typeof product === 'string') return product;
  if (product.optionNames.length > 0) return 'バリエーションのある商品です。updateVariationQuantity で更新してください。';
  const next = applyQuantity(product.quantity, row.quantityCalculationType, row.quantity);
  if (typeof next === 'string') return next;
  shop.writeStock(product, next);
  return null;
}

function updateVariation(shop: SimShop, row: VariationQuantityInput, detail: VariationDetailInput): string | null {
  const product = findProduct(shop, row);
  if (typeof product === 'string') return product;
  if (detail.variationKeyType !== VARIATION_KEY.customCode) return `variationKeyType ${detail.variationKeyType} はこのシミュレーターでは使えません。`;
  const matches = shop.optionsOf(product).filter((option: SimOption) => option.optionCode !== '' && option.optionCode === detail.variationCustomCode);
  if (matches.length !== 1) return '指定されたバリエーションが存在しません。';
  const option = matches[0]!;
  const next = applyQuantity(option.quantity, detail.quantityCalculationType, detail.quantity);
  if (typeof next === 'string') return next;
  shop.writeStock(option, next);
  return null;
}

interface OrderSearch {
  systemOrderNumbers?: string[] | null;
  startOrderDate?: string | null;
  endOrderDate?: string | null;
  deliveryStatus?: string | null;
  sortOrder?: string | null;
  page?: number | null;
  limit?: number | null;
}

/**
 * ASSUMPTION (unconfirmed): searchOrder lists completed orders only (a 仮注文 awaiting payment is not an
 * order yet), cancelled ones included; dates are yyyyMMddHHmmss JST, the end second included.
 */
function filterOrders(shop: SimShop, input: OrderSearch): SimOrder[] {
  const bound = (text: string | null | undefined, fallback: number) => {
    if (!text) return fallback;
    const at = parseCompactJst(text);
    if (at === undefined) throw new GraphQLError('日時は yyyyMMddHHmmss で指定してください。', { extensions: { code: 'BAD_USER_INPUT' } });
    return at;
  };
  const start = bound(input.startOrderDate, 0);
  const end = bound(input.endOrderDate, Number.MAX_SAFE_INTEGER - 1000) + 999;
  const numbers = input.systemOrderNumbers ? new Set(input.systemOrderNumbers) : null;
  const direction = input.sortOrder === 'DESC' ? -1 : 1;
  return [...shop.orders.values()]
    .filter((order) => order.status !== '99')
    .filter((order) => !numbers || numbers.has(order.orderNumber))
    .filter((order) => order.orderedAt >= start && order.orderedAt <= end)
    .filter((order) => !input.deliveryStatus || deliveryStatusOf(order) === input.deliveryStatus)
    .sort((a, b) => direction * (a.orderedAt - b.orderedAt || a.orderNumber.localeCompare(b.orderNumber)));
}

const deliveryStatusOf = (order: SimOrder) => (order.status === '0' ? 'C' : 'N');

function orderNode(order: SimOrder) {
  const sum = order.lines.reduce((total, line) => total + line.price * line.quantity, 0);
  return {
    systemOrderNumber: order.orderNumber,
    displayOrderNumber: order.orderNumber.slice(-6),
    orderDate: displayJst(order.orderedAt),
    memberId: null,
    senderName: '山田 太郎',
    senderPrefecture: 13,
    payMethod: '銀行振込',
    paymentStatusCode: order.status === '0' ? '0003' : '0002',
    sumPrice: sum,
    message: '',
    deliveryInfos: [
      {
        deliveryId: '1',
        deliveryStatus: deliveryStatusOf(order),
        desiredDeliveryDate: '--',
        receiverName: '山田 太郎',
        receiverPrefecture: 13,
        shippingCharge: 0,
        deliverySumPrice: sum,
        basketInfos: order.lines.map((line) => ({
          productCode: line.systemCode,
          productCustomCode: line.customCode,
          variationCustomCode: line.optionCode,
          productName: line.name,
          variationName: line.optionText,
          amount: line.quantity,
          price: line.price,
          janCode: line.jan,
        })),
      },
    ],
  };
}
