import { z } from 'zod';
import { livelySleep } from '../../lib/activity-liveness';
import { createLogger, type Logger } from '../../lib/logger';
import { PlatformError } from '../http';
import { AppTokenProvider } from './app-token';
import { ContractRateLimiter, type RequestKind } from './rate-limiter';
import { SmaregiTransport, type SmaregiRequest, type SmaregiResponse } from './transport';
import {
  SMAREGI_DEFAULT_SCOPES,
  type SmaregiClientOptions,
  type SmaregiProduct,
  type SmaregiShipment,
  type SmaregiStockFilter,
  type SmaregiStockRow,
  type SmaregiStockWriteResult,
  type SmaregiStore,
} from './types';
import {
  formatSmaregiDateTime,
  wireProductSchema,
  wireShipmentSchema,
  wireStockChangeSchema,
  wireStockRowSchema,
  wireStockWriteSchema,
  wireStoreSchema,
} from './wire';

export * from './types';

/** Largest page the POS API serves ([O] §4.1). */
const PAGE_LIMIT = 1000;
/** The API allows an upd_date_time window of at most 31 days ([O] §5.3); 30 leaves room for rounding. */
const MAX_UPDATE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
const MEMO_MAX = 100;
const SHIPMENT_MEMO_MAX = 1000;
const IDENTIFICATION_NO_MAX = 32;

type Query = Record<string, string | undefined>;

interface ApiCall {
  kind: RequestKind;
  method: SmaregiRequest['method'];
  path: string;
  query?: Query;
  body?: unknown;
  idempotent: boolean;
}

/**
 * Smaregi Platform API client for one app, serving many contracts (merchants). Every method takes
 * the contract id; tokens and rate limits are kept per contract.
 */
export class SmaregiClient {
  private readonly transport: SmaregiTransport;
  private readonly tokens: AppTokenProvider;
  private readonly apiBaseUrl: string;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(opts: SmaregiClientOptions) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? createLogger('smaregi-client');
    this.apiBaseUrl = opts.apiBaseUrl.replace(/\/+$/, '');
    const sleep = opts.sleep ?? livelySleep;
    this.transport = new SmaregiTransport({
      fetch: opts.fetch ?? fetch,
      limiter: new ContractRateLimiter({
        readsPerSecond: opts.readsPerSecond ?? 50,
        writesPerSecond: opts.writesPerSecond ?? 20,
        now: this.now,
        sleep,
      }),
      sleep,
      now: this.now,
      logger: this.logger,
      maxRetries: opts.maxRetries ?? 3,
      retryBaseDelayMs: opts.retryBaseDelayMs ?? 250,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 10_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
    });
    this.tokens = new AppTokenProvider({
      transport: this.transport,
      idBaseUrl: opts.idBaseUrl.replace(/\/+$/, ''),
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      scopes: opts.scopes ?? SMAREGI_DEFAULT_SCOPES,
      now: this.now,
    });
  }

  async listStores(contractId: string): Promise<SmaregiStore[]> {
    const rows = await this.getAllPages(contractId, '/stores', {}, wireStoreSchema);
    return rows.map((s) => ({
      storeId: s.storeId,
      storeName: s.storeName,
      ...(s.division != null && { division: s.division }),
    }));
  }

  async listProducts(
    contractId: string,
    opts: { onPage?: (fetchedSoFar: number) => void; updatedFrom?: Date } = {},
  ): Promise<SmaregiProduct[]> {
    const all: SmaregiProduct[] = [];
    for await (const page of this.productPages(contractId, opts)) {
      all.push(...page);
      opts.onPage?.(all.length);
    }
    return all;
  }

  /** The products one page (1,000) at a time: a caller that keeps only what it needs never holds the whole list. */
  async *productPages(contractId: string, opts: { updatedFrom?: Date } = {}): AsyncGenerator<SmaregiProduct[]> {
    const query = { 'upd_date_time-from': opts.updatedFrom && formatSmaregiDateTime(opts.updatedFrom) };
    for await (const rows of this.pages(contractId, '/products', query, wireProductSchema)) yield rows.map(toProduct);
  }

  /** Exact match only: `"ABC "` is not `"ABC"`, whatever the API's filter does. */
  async findProductByCode(contractId: string, productCode: string): Promise<SmaregiProduct | null> {
    const found = await this.findInPages(
      contractId,
      '/products',
      { product_code: productCode },
      wireProductSchema,
      (p) => p.productCode === productCode,
    );
    return found ? toProduct(found) : null;
  }

  /**
   * Stock rows matching the filter. A product whose stock never changed has no row: read a missing
   * row as 0 (see stockAmountFor). Update windows longer than the API allows are split.
   */
  async listStock(contractId: string, filter: SmaregiStockFilter = {}): Promise<SmaregiStockRow[]> {
    const byKey = new Map<string, SmaregiStockRow>();
    for (const window of updateWindows(filter.updatedFrom, filter.updatedTo, this.now())) {
      const query = {
        store_id: filter.storeId,
        product_id: filter.productId,
        'upd_date_time-from': window.from && formatSmaregiDateTime(window.from),
        'upd_date_time-to': window.to && formatSmaregiDateTime(window.to, 'ceil'),
      };
      for (const row of await this.getAllPages(contractId, '/stock', query, wireStockRowSchema)) {
        byKey.set(`${row.productId}:${row.storeId}`, toStockRow(row));
      }
    }
    return [...byKey.values()];
  }

  /** Absolute update (PATCH /stock/{productId}); safe to repeat. */
  async setStock(
    contractId: string,
    input: { productId: string; storeId: string; amount: number; memo?: string },
  ): Promise<SmaregiStockWriteResult> {
    return this.writeStock(
      contractId,
      'PATCH',
      `/stock/${encodeURIComponent(input.productId)}`,
      input.storeId,
      input.amount,
      input.memo,
      true,
    );
  }

  /**
   * Relative update (POST /stock/{productId}/add); negative subtracts. NOT idempotent: it is retried
   * in-client only when the platform certainly did not apply it; any other retryable error may
   * mean it was applied, so callers must reconcile before sending it again.
   */
  async addStock(
    contractId: string,
    input: { productId: string; storeId: string; delta: number; memo?: string },
  ): Promise<SmaregiStockWriteResult> {
    return this.writeStock(
      contractId,
      'POST',
      `/stock/${encodeURIComponent(input.productId)}/add`,
      input.storeId,
      input.delta,
      input.memo,
      false,
    );
  }

  /**
   * Imports an order as a shipped 出荷. Not idempotent by itself: call findShipmentByIdentificationNo
   * first (and again after an ambiguous failure) to avoid a double import.
   * ASSUMPTION (unconfirmed): body per Asinoura [U] (§5.6): shipmentStoreId, recipientType 3 (other),
   * shipmentDivision 0 (shipment), status 2 (shipped, which decrements stock), identificationNo =
   * order number (≤32), details[{productId, quantity}]; numbers sent as strings like every other body.
   */
  async createShipment(
    contractId: string,
    input: {
      storeId: string;
      identificationNo: string;
      lines: { productId: string; quantity: number }[];
      memo?: string;
    },
  ): Promise<SmaregiShipment> {
    if (input.identificationNo.length === 0 || input.identificationNo.length > IDENTIFICATION_NO_MAX) {
      throw validationError(
        `identificationNo must be 1-${IDENTIFICATION_NO_MAX} characters, got ${input.identificationNo.length}`,
      );
    }
    if (input.lines.length === 0) throw validationError('a shipment needs at least one line');
    const body = {
      shipmentStoreId: input.storeId,
      recipientType: '3',
      shipmentDivision: '0',
      status: '2',
      identificationNo: input.identificationNo,
      ...(input.memo !== undefined && { memo: input.memo.slice(0, SHIPMENT_MEMO_MAX) }),
      details: input.lines.map((l) => ({ productId: l.productId, quantity: String(l.quantity) })),
    };
    const res = await this.call(contractId, {
      kind: 'write',
      method: 'POST',
      path: '/shipments',
      body,
      idempotent: false,
    });
    return toShipment(parseBody(res, wireShipmentSchema, 'POST /shipments'));
  }

  /**
   * ASSUMPTION (unconfirmed): `GET /shipments?identification_no=` filters by reference number
   * (Asinoura [U]). Matches are checked exactly here and pages are followed, so the lookup stays
   * correct even if the real API filters loosely or ignores the parameter.
   */
  async findShipmentByIdentificationNo(
    contractId: string,
    identificationNo: string,
  ): Promise<SmaregiShipment | null> {
    const found = await this.findInPages(
      contractId,
      '/shipments',
      { identification_no: identificationNo },
      wireShipmentSchema,
      (s) => s.identificationNo === identificationNo,
    );
    return found ? toShipment(found) : null;
  }

  /**
   * Reverses an imported order. A shipment that is already gone counts as cancelled, so a retry
   * after a lost response succeeds.
   * ASSUMPTION (unconfirmed): `DELETE /shipments/{id}` deletes the shipment and restores the stock
   * it took (Asinoura [U] lists the method; the stock effect is not documented anywhere). A 400 means
   * the platform will not delete a shipped 出荷 ('refused'): the caller gives the stock back itself.
   */
  async cancelShipment(contractId: string, shipmentId: string): Promise<'deleted' | 'refused'> {
    try {
      await this.call(contractId, {
        kind: 'write',
        method: 'DELETE',
        path: `/shipments/${encodeURIComponent(shipmentId)}`,
        idempotent: true,
      });
    } catch (err) {
      if (err instanceof PlatformError && err.status === 400) {
        this.logger.info({ contractId, shipmentId, reason: err.message }, 'smaregi refused to delete the shipment');
        return 'refused';
      }
      if (!(err instanceof PlatformError && err.kind === 'not-found')) throw err;
      this.logger.info({ contractId, shipmentId }, 'smaregi shipment already gone; treating cancel as done');
    }
    return 'deleted';
  }

  /**
   * The stock change this service made with `memo` on one product in one store since `since`, if any:
   * how a relative write whose answer was lost is settled (it landed, or it did not).
   * ASSUMPTION (unconfirmed): `GET /stock/changes` (§5.5 [U]) filters by product_id, store_id and
   * upd_date_time-from, pages like GET /stock and returns each row's `memo`; memos are matched exactly here.
   */
  async findStockChangeByMemo(
    contractId: string,
    input: { productId: string; storeId: string; memo: string; since: Date },
  ): Promise<{ stockHistoryId: string; amount: number } | null> {
    const memo = input.memo.slice(0, MEMO_MAX);
    const found = await this.findInPages(
      contractId,
      '/stock/changes',
      { product_id: input.productId, store_id: input.storeId, 'upd_date_time-from': formatSmaregiDateTime(input.since) },
      wireStockChangeSchema,
      (c) => c.memo === memo && c.productId === input.productId && c.storeId === input.storeId,
    );
    return found ? { stockHistoryId: found.id, amount: found.amount } : null;
  }

  private async writeStock(
    contractId: string,
    method: 'PATCH' | 'POST',
    path: string,
    storeId: string,
    amount: number,
    memo: string | undefined,
    idempotent: boolean,
  ): Promise<SmaregiStockWriteResult> {
    if (!Number.isSafeInteger(amount))
      throw validationError(`stock amount must be an integer, got ${amount}`);
    const body = {
      storeId,
      stockAmount: String(amount),
      ...(memo !== undefined && { stockHistory: { memo: memo.slice(0, MEMO_MAX) } }),
    };
    const res = await this.call(contractId, { kind: 'write', method, path, body, idempotent });
    const parsed = parseBody(res, wireStockWriteSchema, `${method} ${path}`);
    const stockHistoryId = parsed.stockHistory?.id ?? undefined;
    return { stockAmount: parsed.stockAmount, ...(stockHistoryId !== undefined && { stockHistoryId }) };
  }

  private async getAllPages<S extends z.ZodType>(contractId: string, path: string, query: Query, schema: S): Promise<z.output<S>[]> {
    const all: z.output<S>[] = [];
    for await (const rows of this.pages(contractId, path, query, schema)) all.push(...rows);
    return all;
  }

  /**
   * Pages from 1 until a short one. The next page is requested as soon as a full one arrives, so the
   * caller works on one page while the platform prepares the next (still one request in flight).
   */
  private async *pages<S extends z.ZodType>(contractId: string, path: string, query: Query, schema: S): AsyncGenerator<z.output<S>[]> {
    let next = this.getPage(contractId, path, query, schema, 1);
    for (let page = 1; ; page++) {
      const rows = await next;
      if (rows.length < PAGE_LIMIT) {
        yield rows;
        return;
      }
      next = this.getPage(contractId, path, query, schema, page + 1);
      // A caller that stops early never awaits it: its failure must not surface as an unhandled rejection.
      next.catch(() => undefined);
      yield rows;
    }
  }

  private async findInPages<S extends z.ZodType>(
    contractId: string,
    path: string,
    query: Query,
    schema: S,
    matches: (row: z.output<S>) => boolean,
  ): Promise<z.output<S> | undefined> {
    for (let page = 1; ; page++) {
      const rows = await this.getPage(contractId, path, query, schema, page);
      const found = rows.find(matches);
      if (found !== undefined || rows.length < PAGE_LIMIT) return found;
    }
  }

  private async getPage<S extends z.ZodType>(
    contractId: string,
    path: string,
    query: Query,
    schema: S,
    page: number,
  ): Promise<z.output<S>[]> {
    const res = await this.call(contractId, {
      kind: 'read',
      method: 'GET',
      path,
      query: { ...query, limit: String(PAGE_LIMIT), page: String(page) },
      idempotent: true,
    });
    return parseBody(res, z.array(schema), `GET ${path}`);
  }

  /** Sends an authenticated API call; a 401 drops the cached token and retries once with a fresh one. */
  private async call(contractId: string, call: ApiCall): Promise<SmaregiResponse> {
    for (let refreshed = false; ; refreshed = true) {
      const token = await this.tokens.get(contractId);
      try {
        return await this.transport.send(this.request(contractId, call, token));
      } catch (err) {
        if (refreshed || !(err instanceof PlatformError && err.status === 401)) throw err;
        this.logger.info({ contractId }, 'smaregi rejected the access token; fetching a new one');
        this.tokens.drop(contractId, token);
      }
    }
  }

  private request(contractId: string, call: ApiCall, token: string): SmaregiRequest {
    const url = new URL(`${this.apiBaseUrl}/${encodeURIComponent(contractId)}/pos${call.path}`);
    for (const [key, value] of Object.entries(call.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, value);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (call.body !== undefined) headers['Content-Type'] = 'application/json';
    return {
      contractId,
      kind: call.kind,
      method: call.method,
      url: url.toString(),
      headers,
      ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
      idempotent: call.idempotent,
    };
  }
}

/** Stock of one product in one store; a missing row means the stock never changed, i.e. 0. */
export function stockAmountFor(rows: readonly SmaregiStockRow[], productId: string, storeId: string): number {
  return rows.find((r) => r.productId === productId && r.storeId === storeId)?.stockAmount ?? 0;
}

function updateWindows(
  from: Date | undefined,
  to: Date | undefined,
  now: number,
): { from?: Date; to?: Date }[] {
  if (!from) return [{ ...(to && { to }) }];
  const end = (to ?? new Date(now)).getTime();
  const windows: { from: Date; to: Date }[] = [];
  for (let start = from.getTime(); start < end; start += MAX_UPDATE_WINDOW_MS) {
    windows.push({ from: new Date(start), to: new Date(Math.min(end, start + MAX_UPDATE_WINDOW_MS)) });
  }
  return windows.length > 0 ? windows : [{ from, to: new Date(end) }];
}

function parseBody<S extends z.ZodType>(res: SmaregiResponse, schema: S, what: string): z.output<S> {
  const parsed = schema.safeParse(res.body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PlatformError(
    `Smaregi ${what} answered with an unexpected body: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
    {
      platform: 'smaregi',
      status: res.status,
      retryable: false,
      kind: 'protocol',
    },
  );
}

function validationError(message: string): PlatformError {
  return new PlatformError(`Smaregi request not sent: ${message}`, {
    platform: 'smaregi',
    retryable: false,
    kind: 'validation',
  });
}

function toProduct(p: z.output<typeof wireProductSchema>): SmaregiProduct {
  return {
    productId: p.productId,
    productCode: p.productCode,
    productName: p.productName,
    ...(p.stockControlDivision != null && { stockControlDivision: p.stockControlDivision }),
  };
}

function toStockRow(r: z.output<typeof wireStockRowSchema>): SmaregiStockRow {
  return {
    storeId: r.storeId,
    productId: r.productId,
    stockAmount: r.stockAmount,
    ...(r.layawayStockAmount != null && { layawayStockAmount: r.layawayStockAmount }),
    ...(r.updDateTime != null && { updDateTime: r.updDateTime }),
  };
}

function toShipment(s: z.output<typeof wireShipmentSchema>): SmaregiShipment {
  return {
    shipmentId: s.shipmentId,
    ...(s.identificationNo != null && { identificationNo: s.identificationNo }),
    storeId: s.shipmentStoreId,
    status: s.status,
    lines: (s.details ?? []).map((d) => ({ productId: d.productId, quantity: d.quantity })),
  };
}
