import { z } from 'zod';
import { PlatformError, type PlatformErrorKind } from '../http';
import type { MakeshopOrder, MakeshopOrderLine, StockPushRow } from './gateway';
import { parseOrderDate } from './orderinfo';

/** The makeshop apps API's replies and inputs (reference makeshop-api.md §9), validated at the edge. */

// ── platform readings that are not confirmed: one function each (docs/platform-assumptions.md) ────────

/**
 * ASSUMPTION (unconfirmed, §9.2 / §12.4): `quantityCalculationType` 0 means "set this quantity"
 * (absolute, 上書き) and 1 "add this quantity" (relative). plms sends 1 with quantity -1, which reads as a
 * relative decrement. The service only ever sends absolute quantities, through this function.
 */
export function absoluteQuantityCalculationType(): number {
  return 0;
}

/**
 * ASSUMPTION (unconfirmed): productKeyType 0 keys by システム商品コード (plms sends 0 with systemCode),
 * 1 by 独自商品コード; variationKeyType 1 keys by variationCustomCode (plms).
 */
export const PRODUCT_KEY_TYPE = { systemCode: 0, customCode: 1 } as const;
export const VARIATION_KEY_TYPE = { customCode: 1 } as const;

/**
 * ASSUMPTION (unconfirmed): `systemOrderNumber` is the number the legacy orderinfo API calls `ordernum`
 * (reference §11 "de-duplicate by ordernum / systemOrderNumber"), so the order ledger keys an order the
 * same way in both modes and a shop moving between them never imports an order twice.
 */
export function orderNumberOf(order: { systemOrderNumber: string }): string {
  return order.systemOrderNumber;
}

/**
 * ASSUMPTION (empirical, §9.3): an order is cancelled when its paymentStatusCode is 0003 (キャンセル) or
 * every delivery has deliveryStatus C (キャンセル).
 */
export function isCancelledOrder(order: { paymentStatusCode?: string | null; deliveryInfos: { deliveryStatus?: string | null }[] }): boolean {
  if (order.paymentStatusCode === '0003') return true;
  return order.deliveryInfos.length > 0 && order.deliveryInfos.every((delivery) => delivery.deliveryStatus === 'C');
}

/**
 * ASSUMPTION (unconfirmed, §12.4: errors are not published): a revoked or unknown 永続トークン is refused
 * with HTTP 401 or an UNAUTHENTICATED/INVALID_TOKEN code that names the token; other 401s (API key,
 * timestamp) are our configuration's fault. FORBIDDEN (HTTP 403 or the code) = API not granted (§9.1).
 */
export function classifyAppsError(status: number, errors: readonly AppsGraphqlError[]): { kind: PlatformErrorKind; retryable: boolean } {
  const codes = errors.map((error) => error.extensions?.code ?? '');
  const text = errors.map((error) => `${error.extensions?.code ?? ''} ${error.message}`).join(' ');
  if (status === 401 || codes.some((code) => code === 'UNAUTHENTICATED' || code === 'INVALID_TOKEN')) {
    return /token|トークン/i.test(text) ? { kind: 'revoked', retryable: false } : { kind: 'auth', retryable: false };
  }
  if (status === 403 || codes.includes('FORBIDDEN')) return { kind: 'forbidden', retryable: false };
  if (status === 429 || codes.includes('TOO_MANY_REQUESTS')) return { kind: 'throttled', retryable: true };
  if (status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) return { kind: 'server', retryable: true };
  if (status === 408) return { kind: 'timeout', retryable: true };
  return { kind: 'validation', retryable: false };
}

// ── replies ─────────────────────────────────────────────────────────────────────────────────────────

const graphqlError = z.object({ message: z.string().default(''), extensions: z.object({ code: z.string().optional() }).loose().optional() }).loose();
export type AppsGraphqlError = z.infer<typeof graphqlError>;
export const graphqlEnvelope = z.object({ data: z.record(z.string(), z.unknown()).nullable().optional(), errors: z.array(graphqlError).optional() }).loose();

const text = z.string().nullable().optional().transform((value) => value ?? '');

export const productQuantitiesReply = z.object({
  searchProductQuantity: z.object({
    productQuantities: z.array(
      z.object({
        systemCode: z.string(),
        customCode: text,
        quantity: z.number().int().nullable().optional(),
        variationQuantities: z.array(z.object({ variationQuantity: z.number().int().nullable().optional(), variationCustomCode: text })).nullable().optional(),
      }),
    ),
  }),
});
export type ProductQuantityNode = z.infer<typeof productQuantitiesReply>['searchProductQuantity']['productQuantities'][number];

const failRow = z.object({ systemCode: text, customCode: text, variationCustomCode: text, message: text });
export const updateProductReply = z.object({ updateProductQuantity: z.object({ failResult: z.array(failRow).nullable().optional() }) });
export const updateVariationReply = z.object({ updateVariationQuantity: z.object({ failResult: z.array(failRow).nullable().optional() }) });
export type FailRow = z.infer<typeof failRow>;

const basketInfo = z.object({
  productCode: text,
  productCustomCode: text,
  variationCustomCode: text,
  productName: text,
  amount: z.number().int(),
  janCode: text,
});
const orderNode = z.object({
  systemOrderNumber: z.string().min(1),
  orderDate: text,
  paymentStatusCode: z.string().nullable().optional(),
  deliveryInfos: z.array(z.object({ deliveryStatus: z.string().nullable().optional(), basketInfos: z.array(basketInfo) })),
});
export const searchOrderReply = z.object({ searchOrder: z.object({ searchedCount: z.number().int(), orders: z.array(orderNode) }) });
type OrderNode = z.infer<typeof orderNode>;

export const searchProductReply = z.object({
  searchProduct: z.object({
    searchedCount: z.number().int(),
    products: z.array(
      z.object({
        systemCode: z.string(),
        customCode: text,
        janCode: text,
        productName: text,
        variations: z.array(z.object({ variation1ItemName: text, variation2ItemName: text, variationCustomCode: text, janCode: text })).nullable().optional(),
      }),
    ),
  }),
});
export type ProductNode = z.infer<typeof searchProductReply>['searchProduct']['products'][number];

export const getShopReply = z.object({ getShop: z.object({ shopId: z.string() }) });

/** A reply's data in the expected shape, or a non-retryable protocol error (a schema change). */
export function parseData<S extends z.ZodType>(schema: S, data: unknown, operation: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new PlatformError(`makeshop apps ${operation} answered an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`, {
    platform: 'makeshop',
    retryable: false,
    kind: 'protocol',
  });
}

// ── mapping to the gateway's model ──────────────────────────────────────────────────────────────────

export function toMakeshopOrder(node: OrderNode): MakeshopOrder {
  const cancelled = isCancelledOrder(node);
  const orderedAt = parseOrderDate(node.orderDate);
  return {
    orderNumber: orderNumberOf(node),
    status: cancelled ? 'cancelled' : 'ordered',
    rawStatus: [node.paymentStatusCode ?? '', ...node.deliveryInfos.map((d) => d.deliveryStatus ?? '')].join('/'),
    ...(orderedAt ? { orderedAt } : {}),
    lines: node.deliveryInfos.flatMap((delivery) => delivery.basketInfos.map(toOrderLine)),
  };
}

function toOrderLine(basket: z.infer<typeof basketInfo>): MakeshopOrderLine {
  const line: MakeshopOrderLine = { quantity: basket.amount };
  const fields = { systemCode: basket.productCode, customCode: basket.productCustomCode, optionCode: basket.variationCustomCode, jan: basket.janCode, name: basket.productName };
  for (const [key, value] of Object.entries(fields) as [keyof typeof fields, string][]) if (value !== '') line[key] = value;
  return line;
}

/** One push row as an updateProductQuantity entry (product rows) or updateVariationQuantity entry (option rows). */
export function toQuantityInput(row: StockPushRow): Record<string, unknown> {
  const key = row.systemCode ? { productKeyType: PRODUCT_KEY_TYPE.systemCode, systemCode: row.systemCode } : { productKeyType: PRODUCT_KEY_TYPE.customCode, customCode: row.customCode };
  const calculation = { quantityCalculationType: absoluteQuantityCalculationType(), quantity: row.quantity };
  if (row.kind === 'product') return { ...key, ...calculation };
  return { ...key, variationQuantityDetails: { variationKeyType: VARIATION_KEY_TYPE.customCode, variationCustomCode: row.optionCode, ...calculation } };
}

/** Whether a failResult row is about this push row (same product key, same variation code). */
export function failureConcerns(fail: FailRow, row: StockPushRow): boolean {
  const sameProduct = row.systemCode ? fail.systemCode === row.systemCode : fail.customCode === row.customCode;
  return sameProduct && (row.kind === 'product' || fail.variationCustomCode === row.optionCode);
}
