import { checkpoint, livelySleep, requestSignal } from '../../lib/activity-liveness';
import type { Logger } from '../../lib/logger';
import { type FetchLike, isRetryableStatus, kindForStatus, parseRetryAfter, PlatformError } from '../http';
import type {
  ConnectionTestResult,
  MakeshopConnection,
  MakeshopCredentials,
  MakeshopGateway,
  MakeshopOrder,
  StockReading,
  StockPushResult,
  StockPushRow,
} from './gateway';
import {
  classifyOrderinfoError,
  ORDERINFO_PAGE_LIMIT,
  parseOrderinfoReply,
  toMakeshopDateTime,
} from './orderinfo';
import { ShopRequestQueue } from './request-queue';
import { decodeResponseText } from './response-text';
import {
  buildOptionStockCsv,
  buildProductStockCsv,
  type OptionStockRow,
  parseUploadReply,
  type ProductStockRow,
  UPLOAD_DEST,
  type UploadOutcome,
  partitionStockRows,
} from './stock-csv';

export interface LegacyMakeshopClientOptions {
  /** https://www.makeshop.jp in production, the simulator otherwise. */
  baseUrl: string;
  /** Gap between two requests of one shop (MakeShop: 1 request per second). */
  minIntervalMs?: number;
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** Extra attempts for retryable failures (throttled, 5xx, network, timeout). */
  maxRetries?: number;
  timeoutMs?: number;
  /** The orderinfo `service` parameter: a free-form caller name. */
  serviceName?: string;
}

interface CallCounter {
  calls: number;
}

interface HttpReply {
  status: number;
  text: string;
}

const WEBFTP_PATH = '/api/webftp/index.html';
const ORDERINFO_PATH = '/api/orderinfo/index.html';

/**
 * MakeShop's legacy ("従来") API: stock by webftp CSV upload (reference makeshop-api.md §6), orders by
 * orderinfo XML (§3). Every request of a shop goes through one serial queue (§2.2). One instance per
 * process: the queue only spaces out the requests that pass through it.
 */
export class LegacyMakeshopClient implements MakeshopGateway {
  private readonly baseUrl: string;
  private readonly minIntervalMs: number;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: Logger | undefined;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly serviceName: string;
  private readonly queue: ShopRequestQueue;
  private readonly now: () => number;

  constructor(options: LegacyMakeshopClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? livelySleep;
    this.logger = options.logger;
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.serviceName = options.serviceName ?? 'zaiko-sync';
    this.now = options.now ?? Date.now;
    this.queue = new ShopRequestQueue(this.minIntervalMs, this.now, this.sleep);
  }

  async pushStock(conn: MakeshopConnection, rows: StockPushRow[]): Promise<StockPushResult> {
    const creds = legacyCredentials(conn);
    const { writable, refused } = partitionStockRows(rows);
    const counter: CallCounter = { calls: 0 };
    const products = writable.filter((row): row is ProductStockRow => row.kind === 'product');
    const options = writable.filter((row): row is OptionStockRow => row.kind === 'option');
    const result: StockPushResult = { calls: 0, rowsSent: rows.length, rowsSucceeded: 0, failures: [...refused] };
    const uploads = [
      { dest: UPLOAD_DEST.products, rows: products, csv: () => buildProductStockCsv(products) },
      { dest: UPLOAD_DEST.options, rows: options, csv: () => buildOptionStockCsv(options) },
    ];
    for (const upload of uploads.filter((candidate) => candidate.rows.length > 0)) {
      const csv = upload.csv();
      const outcome = await this.withRetries(() => this.uploadCsv(creds, upload.dest, csv, upload.rows, counter));
      result.rowsSucceeded += Math.min(outcome.succeeded, upload.rows.length - outcome.failures.length);
      result.failures.push(...outcome.failures);
    }
    result.calls = counter.calls;
    this.logger?.info({ shopId: creds.shopId, calls: result.calls, rowsSent: result.rowsSent, failed: result.failures.length }, 'makeshop stock pushed');
    return result;
  }

  async getOrder(conn: MakeshopConnection, orderNumber: string): Promise<MakeshopOrder | null> {
    const creds = legacyCredentials(conn);
    const counter: CallCounter = { calls: 0 };
    const orders = await this.withRetries(() => this.fetchOrders(creds, { ordernum: orderNumber }, counter));
    return orders.find((order) => order.orderNumber === orderNumber) ?? null;
  }

  async listOrders(conn: MakeshopConnection, window: { from: Date; to: Date }): Promise<MakeshopOrder[]> {
    const creds = legacyCredentials(conn);
    const fromSecond = Math.floor(window.from.getTime() / 1000);
    const toSecond = Math.floor(window.to.getTime() / 1000);
    if (!(fromSecond <= toSecond)) {
      throw new PlatformError('listOrders needs from ≤ to', { platform: 'makeshop', retryable: false, kind: 'validation' });
    }
    const orders = await this.fetchWindow(creds, fromSecond, toSecond, { calls: 0 });
    return [...new Map(orders.map((order) => [order.orderNumber, order])).values()];
  }

  /** The legacy API has no stock read: drift repair falls back to a full push. */
  readStock(): Promise<StockReading[] | null> {
    return Promise.resolve(null);
  }

  async testConnection(conn: MakeshopConnection): Promise<ConnectionTestResult> {
    const creds = legacyCredentials(conn);
    const counter: CallCounter = { calls: 0 };
    try {
      await this.withRetries(() => this.requestUploadTarget(creds, counter));
    } catch (error) {
      return credentialsFailure(error);
    }
    try {
      const end = this.now();
      await this.withRetries(() => this.fetchOrders(creds, windowParams(new Date(end - 60_000), new Date(end)), counter));
      return { ok: true };
    } catch (error) {
      return orderApiFailure(error);
    }
  }

  /** Narrows the window by halves while a reply is full (orderinfo returns at most 100 orders, §3.2). */
  private async fetchWindow(creds: MakeshopCredentials, fromSecond: number, toSecond: number, counter: CallCounter): Promise<MakeshopOrder[]> {
    const params = windowParams(new Date(fromSecond * 1000), new Date(toSecond * 1000));
    const orders = await this.withRetries(() => this.fetchOrders(creds, params, counter));
    if (orders.length < ORDERINFO_PAGE_LIMIT) return orders;
    if (fromSecond === toSecond) {
      this.logger?.warn({ shopId: creds.shopId, second: params.start }, 'makeshop returned a full page for a one-second window; later orders of that second may be missing');
      return orders;
    }
    const middle = Math.floor((fromSecond + toSecond) / 2);
    const earlier = await this.fetchWindow(creds, fromSecond, middle, counter);
    const later = await this.fetchWindow(creds, middle + 1, toSecond, counter);
    return [...earlier, ...later];
  }

  private async fetchOrders(creds: MakeshopCredentials, params: Record<string, string>, counter: CallCounter): Promise<MakeshopOrder[]> {
    const query = new URLSearchParams({
      cmd: 'get',
      shopid: creds.shopId,
      token: creds.orderAuthCode,
      service: this.serviceName,
      canceled: '1',
      ...params,
    });
    const reply = await this.send(creds.shopId, 'orderinfo', counter, `${this.baseUrl}${ORDERINFO_PATH}?${query}`, { method: 'GET' });
    const parsed = parseOrderinfoReply(reply.text);
    if (parsed.kind === 'orders') return parsed.orders;
    if (parsed.kind === 'unreadable') throw protocolError(`MakeShop orderinfo reply unreadable: ${parsed.reason}`);
    const errorClass = classifyOrderinfoError(parsed.code);
    throw new PlatformError(`MakeShop orderinfo error ${parsed.code}: ${parsed.message}`, {
      platform: 'makeshop',
      status: reply.status,
      retryable: errorClass.retryable,
      kind: errorClass.kind,
    });
  }

  /**
   * webftp step 1 (§6): main admin id + password → upload URL (line 1) and one-time key (line 2).
   * ASSUMPTION (unconfirmed): `id` is the 主管理者 login the merchant types in (accountId), which §6 equates
   * with the shop ID; a sub-admin login is refused.
   */
  private async requestUploadTarget(creds: MakeshopCredentials, counter: CallCounter): Promise<{ url: string; key: string }> {
    const body = new URLSearchParams({ id: creds.accountId, pw: creds.password });
    const reply = await this.send(creds.shopId, 'webftp', counter, `${this.baseUrl}${WEBFTP_PATH}`, { method: 'POST', body });
    const [url, key] = reply.text.trim().split(/\r?\n/).map((line) => line.trim());
    if (url === 'FAILURE') {
      throw new PlatformError('MakeShop rejected the admin ID or password (webftp FAILURE)', {
        platform: 'makeshop',
        status: reply.status,
        retryable: false,
        kind: 'auth',
      });
    }
    if (!url || !key) throw protocolError('MakeShop webftp reply lacks the upload URL or key');
    return { url: new URL(url, `${this.baseUrl}/`).toString(), key };
  }

  /** webftp step 2 (§6): the multipart upload. A fresh key per attempt: keys are one-time. */
  private async uploadCsv(
    creds: MakeshopCredentials,
    dest: string,
    csv: Buffer,
    rows: readonly StockPushRow[],
    counter: CallCounter,
  ): Promise<UploadOutcome> {
    const target = await this.requestUploadTarget(creds, counter);
    const form = new FormData();
    form.append('key', target.key);
    form.append('src', '1');
    form.append('dest', dest);
    form.append('upload_file', new Blob([csv], { type: 'text/csv' }), dest === UPLOAD_DEST.products ? 'products.csv' : 'options.csv');
    const reply = await this.send(creds.shopId, 'upload', counter, target.url, { method: 'POST', body: form });
    if (reply.text.trim() === 'FAILURE') {
      throw protocolError('MakeShop refused the upload key (expired or already used)');
    }
    const outcome = parseUploadReply(reply.text, rows);
    if (!outcome) throw protocolError('MakeShop upload reply is not a row-count report');
    if (outcome.total !== rows.length) {
      this.logger?.warn({ shopId: creds.shopId, dest, sent: rows.length, counted: outcome.total }, 'makeshop counted a different number of rows than sent');
    }
    return outcome;
  }

  /** One HTTP request in the shop's serial queue; non-2xx and transport failures become PlatformErrors. */
  private send(shopId: string, call: string, counter: CallCounter, url: string, init: RequestInit): Promise<HttpReply> {
    return this.queue.run(shopId, async () => {
      // The last safe point: once a request is sent, it is never abandoned half-way by a cancellation.
      checkpoint({ makeshop: call });
      counter.calls += 1;
      const startedAt = Date.now();
      let response: Response;
      try {
        response = await this.fetchImpl(url, { ...init, signal: requestSignal(this.timeoutMs, init.method === 'GET') });
      } catch (error) {
        throw transportError(call, error);
      }
      const text = decodeResponseText(new Uint8Array(await response.arrayBuffer()), response.headers.get('content-type'));
      this.logger?.debug({ shopId, call, status: response.status, ms: Date.now() - startedAt }, 'makeshop call');
      if (!response.ok) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        throw new PlatformError(`MakeShop ${call} answered HTTP ${response.status}: ${text.slice(0, 200)}`, {
          platform: 'makeshop',
          status: response.status,
          retryable: isRetryableStatus(response.status),
          kind: kindForStatus(response.status),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }
      return { status: response.status, text };
    });
  }

  private async withRetries<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof PlatformError) || !error.retryable || attempt >= this.maxRetries) throw error;
        const backoffMs = error.details.retryAfterMs ?? this.minIntervalMs * 2 ** attempt;
        this.logger?.warn({ kind: error.kind, attempt: attempt + 1, backoffMs }, 'makeshop call failed, retrying');
        await this.sleep(backoffMs);
      }
    }
  }
}

function windowParams(from: Date, to: Date): { start: string; end: string } {
  return { start: toMakeshopDateTime(from), end: toMakeshopDateTime(to) };
}

function protocolError(message: string): PlatformError {
  // Retryable: an unreadable reply is most often a maintenance page or a truncated body.
  return new PlatformError(message, { platform: 'makeshop', retryable: true, kind: 'protocol' });
}

export function transportError(call: string, error: unknown): PlatformError {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  const cause = error instanceof Error ? error.message : String(error);
  return new PlatformError(`MakeShop ${call} ${timedOut ? 'timed out' : `unreachable: ${cause}`}`, {
    platform: 'makeshop',
    retryable: true,
    kind: timedOut ? 'timeout' : 'network',
  });
}

function credentialsFailure(error: unknown): ConnectionTestResult {
  if (!(error instanceof PlatformError)) throw error;
  if (error.kind === 'auth') {
    return { ok: false, reason: 'credentials', message: 'MakeShopの主管理者IDまたはパスワードが正しくありません。' };
  }
  return unreachable(error);
}

function orderApiFailure(error: unknown): ConnectionTestResult {
  if (!(error instanceof PlatformError)) throw error;
  if (error.kind === 'auth') {
    return { ok: false, reason: 'order-auth-code', message: 'ショップIDまたは注文データ連携認証コードが正しくありません。' };
  }
  if (error.kind === 'forbidden') {
    return { ok: false, reason: 'not-enabled', message: 'MakeShopの外部システム連携（注文データ連携）が有効になっていません。' };
  }
  return unreachable(error);
}

function unreachable(error: PlatformError): ConnectionTestResult {
  return { ok: false, reason: 'unreachable', message: `MakeShopに接続できませんでした（${error.message}）。` };
}

function legacyCredentials(conn: MakeshopConnection): MakeshopCredentials {
  if (conn.mode !== 'legacy') {
    throw new PlatformError(`the legacy MakeShop client was given a ${conn.mode} connection`, { platform: 'makeshop', retryable: false, kind: 'validation' });
  }
  return conn;
}
