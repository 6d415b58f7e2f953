import type { Logger } from '../../lib/logger';

/**
 * Scopes the service asks for by default: read stores, products and stock, write stock, and
 * create/find/cancel shipments.
 * ASSUMPTION (unconfirmed): shipments need `pos.shipments:read`/`pos.shipments:write`
 * (Asinoura [U]); SmaregiMCP [U] says `pos.orders:*` instead. See smaregi-api.md §2.3.
 */
export const SMAREGI_DEFAULT_SCOPES: readonly string[] = [
  'pos.stores:read',
  'pos.products:read',
  'pos.stock:read',
  'pos.stock:write',
  'pos.stock-changes:read',
  'pos.shipments:read',
  'pos.shipments:write',
];

export interface SmaregiClientOptions {
  idBaseUrl: string;
  apiBaseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Default: SMAREGI_DEFAULT_SCOPES. */
  scopes?: string[];
  /** Per contract; default 50 (reported production number, [U]). */
  readsPerSecond?: number;
  /** Per contract; default 20 (reported production number, [U]). */
  writesPerSecond?: number;
  /** In-client retries for 429/5xx/network errors, default 3. */
  maxRetries?: number;
  /** First backoff step when the platform gives no Retry-After; doubles per attempt. Default 250 ms. */
  retryBaseDelayMs?: number;
  /**
   * A Retry-After longer than this is not waited out in-client: the error is thrown with
   * retryAfterMs so the caller (a Temporal activity) can back off instead. Default 10 s.
   */
  maxRetryAfterMs?: number;
  /** Per HTTP request; default 30 s. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Injected with `now` in tests so waits advance a fake clock instead of real time. */
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

export interface SmaregiStore {
  storeId: string;
  storeName: string;
  /** 0 = store, 1 = warehouse ([U] field name). */
  division?: string;
}

export interface SmaregiProduct {
  productId: string;
  productCode: string;
  productName: string;
  /** 0 = stock-managed, 1 = not stock-managed (skip it). */
  stockControlDivision?: string;
}

export interface SmaregiStockRow {
  storeId: string;
  productId: string;
  stockAmount: number;
  layawayStockAmount?: number;
  updDateTime?: string;
}

export interface SmaregiShipmentLine {
  productId: string;
  quantity: number;
}

export interface SmaregiShipment {
  shipmentId: string;
  identificationNo?: string;
  storeId: string;
  status: string;
  lines: SmaregiShipmentLine[];
}

export interface SmaregiStockWriteResult {
  stockAmount: number;
  /** Id of the stock-history row the write created; the same id comes back in the pos:stock webhook. */
  stockHistoryId?: string;
}

export interface SmaregiStockFilter {
  storeId?: string;
  productId?: string;
  updatedFrom?: Date;
  updatedTo?: Date;
}
