import { TokenBucket } from '../../lib/token-bucket';
import type { Logger } from '../../lib/logger';
import { type FetchLike, parseRetryAfter, PlatformError } from '../http';
import { APPS_DOCUMENTS, type AppsOperation } from './apps-documents';
import {
  classifyAppsError,
  failureConcerns,
  getShopReply,
  graphqlEnvelope,
  parseData,
  productQuantitiesReply,
  searchOrderReply,
  searchProductReply,
  toMakeshopOrder,
  toQuantityInput,
  updateProductReply,
  updateVariationReply,
  type FailRow,
  type ProductQuantityNode,
} from './apps-wire';
import type {
  AppsConnection,
  ConnectionTestResult,
  MakeshopConnection,
  MakeshopGateway,
  MakeshopOrder,
  StockPushResult,
  StockPushRow,
  StockReading,
  StockRowKey,
} from './gateway';
import { transportError } from './legacy-client';
import { toMakeshopDateTime } from './orderinfo';
import { partitionStockRows } from './stock-csv';

export interface MakeshopAppsClientOptions {
  /** https://app-api.makeshop.jp/v1/graphql in production (§9.1), the simulator otherwise. */
  graphqlUrl: string;
  /** x-api-key, issued with the app's 開発申請. */
  apiKey: string;
  /** Rows per stock mutation; requests are also kept below `maxRequestBytes`. */
  maxRowsPerCall?: number;
  /** MakeShop may refuse requests of 5 MB or more (§9.1). */
  maxRequestBytes?: number;
  /** Page size of the searches (MakeShop allows up to 1000). */
  pageLimit?: number;
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** Extra attempts for retryable failures (throttled, 5xx, network, timeout). */
  maxRetries?: number;
  retryBaseMs?: number;
  timeoutMs?: number;
  /** Sustained requests per minute per shop (MAKESHOP_APPS_REQUESTS_PER_MINUTE); see `paceShop`. */
  requestsPerMinute?: number;
  /** Requests a shop may send at once before pacing starts. */
  requestBurst?: number;
}

/** A MakeShop product as the catalog import needs it: codes, name, stock, and its variations. */
export interface MakeshopCatalogProduct {
  systemCode: string;
  customCode: string;
  jan: string;
  name: string;
  /** null = stock not managed (unlimited). */
  quantity: number | null;
  variations: { optionCode: string; option1: string; option2: string; jan: string; quantity: number | null }[];
}

interface CallCounter {
  calls: number;
}

const MIB = 1024 * 1024;
/** JSON of the envelope around the rows: the document, the operation name, the braces. */
const ENVELOPE_BYTES = 2048;

/**
 * The makeshop apps GraphQL API (reference makeshop-api.md §9) behind the MakeshopGateway, for shops
 * connected in `apps` mode. Every call carries the shop's 永続トークン, the app's API key and a fresh
 * x-timestamp.
 */
export class MakeshopAppsClient implements MakeshopGateway {
  private readonly fetchImpl: FetchLike;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRowsPerCall: number;
  private readonly maxRequestBytes: number;
  private readonly pageLimit: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly shopBuckets = new Map<string, TokenBucket>();

  constructor(private readonly options: MakeshopAppsClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxRowsPerCall = options.maxRowsPerCall ?? 500;
    this.maxRequestBytes = Math.min(options.maxRequestBytes ?? 4 * MIB, 5 * MIB - 1);
    this.pageLimit = options.pageLimit ?? 1000;
    this.maxRetries = options.maxRetries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async pushStock(conn: MakeshopConnection, rows: StockPushRow[]): Promise<StockPushResult> {
    const apps = appsConnection(conn);
    // A row that cannot be sent fails alone (issue 10 #2); the rest of the batch goes out.
    const { writable, refused } = partitionStockRows(rows, { csv: false });
    const counter: CallCounter = { calls: 0 };
    const failures: StockPushResult['failures'] = [...refused];
    const groups = [
      { operation: 'updateProductQuantity' as const, field: 'productQuantities', rows: writable.filter((row) => row.kind === 'product') },
      { operation: 'updateVariationQuantity' as const, field: 'variationQuantities', rows: writable.filter((row) => row.kind === 'option') },
    ];
    for (const group of groups) {
      for (const batch of this.batches(group.rows)) {
        const input = { [group.field]: batch.map(toQuantityInput) };
        const failed = await this.mutate(apps, group.operation, input, counter);
        failures.push(...attributeFailures(failed, batch, this.options.logger));
      }
    }
    this.options.logger?.info({ shopId: apps.shopId, calls: counter.calls, rowsSent: rows.length, failed: failures.length }, 'makeshop apps stock pushed');
    return { calls: counter.calls, rowsSent: rows.length, rowsSucceeded: rows.length - failures.length, failures };
  }

  async getOrder(conn: MakeshopConnection, orderNumber: string): Promise<MakeshopOrder | null> {
    const orders = await this.searchOrders(appsConnection(conn), { systemOrderNumbers: [orderNumber] });
    return orders.find((order) => order.orderNumber === orderNumber) ?? null;
  }

  async listOrders(conn: MakeshopConnection, window: { from: Date; to: Date }): Promise<MakeshopOrder[]> {
    if (!(window.from.getTime() <= window.to.getTime())) {
      throw new PlatformError('listOrders needs from ≤ to', { platform: 'makeshop', retryable: false, kind: 'validation' });
    }
    const orders = await this.searchOrders(appsConnection(conn), {
      startOrderDate: toMakeshopDateTime(window.from),
      endOrderDate: toMakeshopDateTime(window.to),
      sortOrder: 'ASC',
    });
    return [...new Map(orders.map((order) => [order.orderNumber, order])).values()];
  }

  async readStock(conn: MakeshopConnection, keys: StockRowKey[]): Promise<StockReading[]> {
    const apps = appsConnection(conn);
    if (keys.length === 0) return [];
    const systemCodes = [...new Set(keys.map((key) => key.systemCode ?? ''))];
    // A key without システム商品コード can only be found by reading the whole list.
    const nodes = systemCodes.includes('') ? await this.productQuantities(apps, undefined) : await this.quantitiesOf(apps, systemCodes);
    return readingsFor(keys, nodes);
  }

  async testConnection(conn: MakeshopConnection): Promise<ConnectionTestResult> {
    try {
      await this.shopIdOfToken(appsConnection(conn));
      return { ok: true };
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      if (error.kind === 'revoked' || error.kind === 'auth') {
        return { ok: false, reason: 'credentials', message: 'MakeShopアプリの認証に失敗しました。MakeShopの管理画面でアプリをインストールし直してください。' };
      }
      if (error.kind === 'forbidden') return { ok: false, reason: 'not-enabled', message: 'MakeShopアプリに必要なAPIの利用が許可されていません。' };
      return { ok: false, reason: 'unreachable', message: `MakeShopに接続できませんでした（${error.message}）。` };
    }
  }

  /** The shop a 永続トークン belongs to (install webhook check: the body's shop_id is not trusted). */
  async shopIdOfToken(conn: AppsConnection): Promise<string> {
    const data = await this.call(conn, 'getShop', undefined, { calls: 0 });
    return parseData(getShopReply, data, 'getShop').getShop.shopId;
  }

  /**
   * The whole catalog, page by page (searchProduct), with each page's stock (searchProductQuantity):
   * what the 商品データCSV + オプションデータCSV pair holds, for the catalog import.
   */
  async *listCatalog(conn: MakeshopConnection): AsyncGenerator<MakeshopCatalogProduct[]> {
    const apps = appsConnection(conn);
    const counter: CallCounter = { calls: 0 };
    for (let page = 1, seen = 0; ; page++) {
      const data = await this.call(apps, 'searchProduct', { input: { page, limit: this.pageLimit } }, counter);
      const { searchedCount, products } = parseData(searchProductReply, data, 'searchProduct').searchProduct;
      if (products.length === 0) return;
      const quantities = new Map((await this.quantitiesOf(apps, products.map((p) => p.systemCode))).map((node) => [node.systemCode, node]));
      yield products.map((product) => catalogProduct(product, quantities.get(product.systemCode)));
      seen += products.length;
      if (seen >= searchedCount || products.length < this.pageLimit) return;
    }
  }

  private async quantitiesOf(conn: AppsConnection, systemCodes: string[]): Promise<ProductQuantityNode[]> {
    const nodes: ProductQuantityNode[] = [];
    for (let start = 0; start < systemCodes.length; start += this.pageLimit) {
      nodes.push(...(await this.productQuantities(conn, systemCodes.slice(start, start + this.pageLimit))));
    }
    return nodes;
  }

  /** searchProductQuantity, every page: a page shorter than the limit is the last. */
  private async productQuantities(conn: AppsConnection, systemCodes: string[] | undefined): Promise<ProductQuantityNode[]> {
    const nodes: ProductQuantityNode[] = [];
    const counter: CallCounter = { calls: 0 };
    for (let page = 1; ; page++) {
      const input = { page, limit: this.pageLimit, ...(systemCodes ? { systemCodes } : {}) };
      const data = await this.call(conn, 'searchProductQuantity', { input }, counter);
      const rows = parseData(productQuantitiesReply, data, 'searchProductQuantity').searchProductQuantity.productQuantities;
      nodes.push(...rows);
      if (rows.length < this.pageLimit) return nodes;
    }
  }

  /** searchOrder, paged until `searchedCount` orders were read (or a page comes back empty). */
  private async searchOrders(conn: AppsConnection, filter: Record<string, unknown>): Promise<MakeshopOrder[]> {
    const orders: MakeshopOrder[] = [];
    const counter: CallCounter = { calls: 0 };
    for (let page = 1; ; page++) {
      const data = await this.call(conn, 'searchOrder', { input: { ...filter, page, limit: this.pageLimit } }, counter);
      const { searchedCount, orders: nodes } = parseData(searchOrderReply, data, 'searchOrder').searchOrder;
      orders.push(...nodes.map(toMakeshopOrder));
      if (nodes.length === 0 || orders.length >= searchedCount) return orders;
    }
  }

  private async mutate(conn: AppsConnection, operation: 'updateProductQuantity' | 'updateVariationQuantity', input: Record<string, unknown>, counter: CallCounter): Promise<FailRow[]> {
    const data = await this.call(conn, operation, { input }, counter);
    const reply =
      operation === 'updateProductQuantity'
        ? parseData(updateProductReply, data, operation).updateProductQuantity
        : parseData(updateVariationReply, data, operation).updateVariationQuantity;
    return reply.failResult ?? [];
  }

  /** Rows in batches of at most `maxRowsPerCall` rows and below `maxRequestBytes` of JSON. */
  private *batches(rows: StockPushRow[]): Generator<StockPushRow[]> {
    let batch: StockPushRow[] = [];
    let bytes = ENVELOPE_BYTES;
    for (const row of rows) {
      const rowBytes = Buffer.byteLength(JSON.stringify(toQuantityInput(row))) + 1;
      if (batch.length > 0 && (batch.length >= this.maxRowsPerCall || bytes + rowBytes >= this.maxRequestBytes)) {
        yield batch;
        batch = [];
        bytes = ENVELOPE_BYTES;
      }
      batch.push(row);
      bytes += rowBytes;
    }
    if (batch.length > 0) yield batch;
  }

  /** One operation, retried while a retry can help; answers the reply's `data`. */
  private async call(conn: AppsConnection, operation: AppsOperation, variables: Record<string, unknown> | undefined, counter: CallCounter): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.paceShop(conn.shopId);
        counter.calls += 1;
        return await this.send(conn, operation, variables);
      } catch (error) {
        if (!(error instanceof PlatformError) || !error.retryable || attempt >= this.maxRetries) throw error;
        const backoffMs = error.details.retryAfterMs ?? this.retryBaseMs * 2 ** attempt;
        this.options.logger?.warn({ shopId: conn.shopId, operation, kind: error.kind, attempt: attempt + 1, backoffMs }, 'makeshop apps call failed, retrying');
        await this.sleep(backoffMs);
      }
    }
  }

  /**
   * The apps API's rate limit is not published (reference §9.1: one design note guesses 60 requests/minute,
   * "to be confirmed"). Assumed: a limit per shop of about that; each shop's requests are paced to
   * `requestsPerMinute` with bursts of `requestBurst`, so a sparse change still goes out at once while a busy
   * shop (push cycles, discovery, order look-ups, drift repair) stays under it. A 429 is still retried after
   * its Retry-After. Per process: the api and the worker pace separately.
   */
  private async paceShop(shopId: string): Promise<void> {
    let bucket = this.shopBuckets.get(shopId);
    if (!bucket) {
      bucket = new TokenBucket((this.options.requestsPerMinute ?? 60) / 60, this.options.requestBurst ?? 10, this.now);
      this.shopBuckets.set(shopId, bucket);
    }
    const waitMs = bucket.reserve();
    if (waitMs > 0) await this.sleep(waitMs);
  }

  private async send(conn: AppsConnection, operation: AppsOperation, variables: Record<string, unknown> | undefined): Promise<unknown> {
    const body = JSON.stringify({ query: APPS_DOCUMENTS[operation], operationName: operation, ...(variables ? { variables } : {}) });
    const startedAt = Date.now();
    let response: Response;
    try {
      response = await this.fetchImpl(this.options.graphqlUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${conn.token}`,
          'x-api-key': this.options.apiKey,
          // §9.1: valid for an hour, so a fresh one on every call (retries included).
          'x-timestamp': String(Math.floor(this.now() / 1000)),
          'content-type': 'application/json',
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw transportError(`apps ${operation}`, error);
    }
    const text = await response.text();
    this.options.logger?.debug({ shopId: conn.shopId, operation, status: response.status, ms: Date.now() - startedAt }, 'makeshop apps call');
    let envelope;
    try {
      envelope = graphqlEnvelope.parse(JSON.parse(text));
    } catch {
      envelope = undefined;
    }
    const errors = envelope?.errors ?? [];
    if (!response.ok || errors.length > 0) {
      const { kind, retryable } = classifyAppsError(response.status, errors);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const detail = errors.map((error) => error.message).join('; ') || text.slice(0, 200);
      throw new PlatformError(`MakeShop apps ${operation} failed (HTTP ${response.status}): ${detail}`, {
        platform: 'makeshop',
        status: response.status,
        retryable,
        kind,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (!envelope?.data) {
      // A proxy's error page or a truncated body: worth another try.
      throw new PlatformError(`MakeShop apps ${operation} answered no data`, { platform: 'makeshop', status: response.status, retryable: true, kind: 'protocol' });
    }
    return envelope.data;
  }
}

function appsConnection(conn: MakeshopConnection): AppsConnection {
  if (conn.mode !== 'apps') {
    throw new PlatformError(`the makeshop apps client was given a ${conn.mode} connection`, { platform: 'makeshop', retryable: false, kind: 'validation' });
  }
  return conn;
}

/** failResult rows become the same per-row failures as a legacy upload's. */
function attributeFailures(failed: FailRow[], batch: StockPushRow[], logger: Logger | undefined): StockPushResult['failures'] {
  const failures: StockPushResult['failures'] = [];
  const remaining = [...batch];
  for (const fail of failed) {
    const index = remaining.findIndex((row) => failureConcerns(fail, row));
    if (index < 0) {
      logger?.warn({ fail }, 'makeshop apps reported a failure for a row it was not sent');
      continue;
    }
    const [row] = remaining.splice(index, 1);
    failures.push({ row: row!, message: fail.message || 'MakeShopが在庫数の更新を拒否しました。' });
  }
  return failures;
}

function readingsFor(keys: StockRowKey[], nodes: ProductQuantityNode[]): StockReading[] {
  const bySystemCode = new Map(nodes.map((node) => [node.systemCode, node]));
  const byCustomCode = new Map<string, ProductQuantityNode[]>();
  for (const node of nodes) byCustomCode.set(node.customCode, [...(byCustomCode.get(node.customCode) ?? []), node]);
  const readings: StockReading[] = [];
  for (const key of keys) {
    const candidates = key.systemCode ? [bySystemCode.get(key.systemCode)] : (byCustomCode.get(key.customCode ?? '') ?? []);
    const node = candidates.length === 1 ? candidates[0] : undefined;
    if (!node) continue;
    if (key.kind === 'product') {
      readings.push({ key, quantity: node.quantity ?? null });
      continue;
    }
    const variations = (node.variationQuantities ?? []).filter((v) => v.variationCustomCode === key.optionCode);
    if (variations.length === 1) readings.push({ key, quantity: variations[0]!.variationQuantity ?? null });
  }
  return readings;
}

function catalogProduct(product: ReturnType<typeof searchProductReply.parse>['searchProduct']['products'][number], stock: ProductQuantityNode | undefined): MakeshopCatalogProduct {
  const variationStock = new Map((stock?.variationQuantities ?? []).map((v) => [v.variationCustomCode, v.variationQuantity ?? null]));
  return {
    systemCode: product.systemCode,
    customCode: product.customCode,
    jan: product.janCode,
    name: product.productName,
    quantity: stock?.quantity ?? null,
    variations: (product.variations ?? []).map((variation) => ({
      optionCode: variation.variationCustomCode,
      option1: variation.variation1ItemName,
      option2: variation.variation2ItemName,
      jan: variation.janCode,
      quantity: variation.variationCustomCode === '' ? null : (variationStock.get(variation.variationCustomCode) ?? null),
    })),
  };
}
