/**
 * The MakeShop adapter seen by the rest of the service. The legacy implementation (webftp CSV upload +
 * orderinfo XML) lives in legacy-client.ts; a GraphQL implementation (updateProductQuantity /
 * updateVariationQuantity / searchOrder) can implement the same interface when shops move to the
 * next-generation API (reference makeshop-api.md §1, §9).
 */
export { parseOrderNotification, type OrderNotification } from './notification';

export interface MakeshopCredentials {
  shopId: string;
  /** 主管理者 ID: the main admin login, used only by the CSV upload API. */
  accountId: string;
  password: string;
  /** 注文データ連携認証コード. */
  orderAuthCode: string;
}

/**
 * One SKU's absolute stock. A product row is keyed by システム商品コード (preferred, MakeShop-assigned and
 * unique) or 独自商品コード. An option row names its parent the same way and the variation by
 * オプション独自コード.
 */
export type StockPushRow =
  | { kind: 'product'; customCode?: string; systemCode?: string; quantity: number }
  | { kind: 'option'; systemCode?: string; customCode?: string; optionCode: string; quantity: number };

export interface StockPushResult {
  /** HTTP requests made, retries included. */
  calls: number;
  rowsSent: number;
  rowsSucceeded: number;
  failures: { row: StockPushRow; message: string }[];
}

export interface MakeshopOrderLine {
  systemCode?: string;
  customCode?: string;
  optionCode?: string;
  jan?: string;
  name?: string;
  quantity: number;
}

export interface MakeshopOrder {
  orderNumber: string;
  status: 'ordered' | 'cancelled' | 'provisional' | string;
  /** The platform's own status value (legacy: 1 通常, 0 キャンセル, 99 仮注文). */
  rawStatus: string;
  /** ISO 8601 with the shop's offset (+09:00), when the platform gave a readable date. */
  orderedAt?: string;
  lines: MakeshopOrderLine[];
}

export type ConnectionTestResult =
  | { ok: true }
  | { ok: false; reason: 'credentials' | 'order-auth-code' | 'not-enabled' | 'unreachable'; message: string };

export interface MakeshopGateway {
  /** Whole batch: at most one product CSV upload and one option CSV upload. */
  pushStock(creds: MakeshopCredentials, rows: StockPushRow[]): Promise<StockPushResult>;
  /** Includes cancelled orders; null when MakeShop has no such order. */
  getOrder(creds: MakeshopCredentials, orderNumber: string): Promise<MakeshopOrder | null>;
  /** Orders placed in [from, to], cancelled ones included. */
  listOrders(creds: MakeshopCredentials, window: { from: Date; to: Date }): Promise<MakeshopOrder[]>;
  testConnection(creds: MakeshopCredentials): Promise<ConnectionTestResult>;
}
