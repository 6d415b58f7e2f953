/**
 * The MakeShop adapter seen by the rest of the service. A tenant connects in one of two modes (DESIGN §1):
 * `legacy` (webftp CSV upload + orderinfo XML, legacy-client.ts) or `apps` (the makeshop apps GraphQL API,
 * reference makeshop-api.md §9). Every call names the tenant's connection; `createMakeshopGateway` routes it
 * to the client of its mode, so the sync engine never branches on the mode.
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
export interface LegacyConnection extends MakeshopCredentials {
  mode: 'legacy';
}

export interface AppsConnection {
  mode: 'apps';
  shopId: string;
  /** The shop's 永続トークン from the install webhook; decrypted inside an activity only. */
  token: string;
}

export type MakeshopConnection = LegacyConnection | AppsConnection;

export type StockPushRow =
  | { kind: 'product'; customCode?: string; systemCode?: string; quantity: number }
  | { kind: 'option'; systemCode?: string; customCode?: string; optionCode: string; quantity: number };

export interface StockPushFailure {
  row: StockPushRow;
  message: string;
  /** True when sending the row again cannot succeed (the row itself is unwritable): not retried. */
  permanent?: boolean;
}

export interface StockPushResult {
  /** HTTP requests made, retries included. */
  calls: number;
  rowsSent: number;
  rowsSucceeded: number;
  failures: StockPushFailure[];
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

/** Which SKU a stock row is about: a push row without its quantity. */
export type StockRowKey = StockPushRow extends infer R ? (R extends StockPushRow ? Omit<R, 'quantity'> : never) : never;

/** One string per SKU, equal for a push row and its key: matches refusals and readings back to rows. */
export function stockRowIdentity(row: StockRowKey | StockPushRow): string {
  return [row.kind, row.systemCode ?? '', row.customCode ?? '', row.kind === 'option' ? row.optionCode : ''].join('\u0000');
}

/** MakeShop's current quantity of one SKU; null = stock not managed (unlimited). */
export interface StockReading {
  key: StockRowKey;
  quantity: number | null;
}

export interface MakeshopGateway {
  /** Whole batch: legacy, at most one product CSV upload and one option CSV upload. */
  pushStock(conn: MakeshopConnection, rows: StockPushRow[]): Promise<StockPushResult>;
  /** Includes cancelled orders; null when MakeShop has no such order. */
  getOrder(conn: MakeshopConnection, orderNumber: string): Promise<MakeshopOrder | null>;
  /** Orders placed in [from, to], cancelled ones included. */
  listOrders(conn: MakeshopConnection, window: { from: Date; to: Date }): Promise<MakeshopOrder[]>;
  /**
   * MakeShop's current quantities of these SKUs (SKUs MakeShop does not know are left out), or null when
   * the mode cannot read stock (legacy: the old API has no stock read).
   */
  readStock(conn: MakeshopConnection, keys: StockRowKey[]): Promise<StockReading[] | null>;
  testConnection(conn: MakeshopConnection): Promise<ConnectionTestResult>;
}

/** One gateway for every tenant: each call goes to the client of the connection's mode. */
export function createMakeshopGateway(clients: { legacy: MakeshopGateway; apps: MakeshopGateway }): MakeshopGateway {
  const of = (conn: MakeshopConnection) => (conn.mode === 'apps' ? clients.apps : clients.legacy);
  return {
    pushStock: (conn, rows) => of(conn).pushStock(conn, rows),
    getOrder: (conn, orderNumber) => of(conn).getOrder(conn, orderNumber),
    listOrders: (conn, window) => of(conn).listOrders(conn, window),
    readStock: (conn, keys) => of(conn).readStock(conn, keys),
    testConnection: (conn) => of(conn).testConnection(conn),
  };
}
