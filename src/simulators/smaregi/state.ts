import { randomBytes } from 'node:crypto';
import { badRequest, notFoundProblem } from './sim-http';

export interface SimStore {
  storeId: string;
  storeName: string;
  /** 0 = store, 1 = warehouse. */
  division: string;
  updDateTime: number;
}

export interface SimProduct {
  productId: string;
  productCode: string;
  productName: string;
  /** 0 = stock-managed, 1 = not. */
  stockControlDivision: string;
  insDateTime: number;
  updDateTime: number;
}

export interface SimStockRow {
  productId: string;
  storeId: string;
  stockAmount: number;
  layawayStockAmount: number;
  updDateTime: number;
}

export interface SimStockHistory {
  id: string;
  productId: string;
  storeId: string;
  /** The change (delta). */
  amount: number;
  /** Stock after the change. */
  stockAmount: number;
  /** Reason code (smaregi-api.md §5.5): 09 adjustment, 10 shipment, 15 API. */
  stockDivision: string;
  memo: string;
  updDateTime: number;
}

export interface SimShipment extends NewShipment {
  shipmentId: string;
  shipmentDate: string;
  insDateTime: number;
  updDateTime: number;
  deletedAt?: number;
}

export interface SimContract {
  contractId: string;
  stores: Map<string, SimStore>;
  products: Map<string, SimProduct>;
  productIdByCode: Map<string, string>;
  /** Keyed by `${productId}:${storeId}`; a missing key means the stock never changed. */
  stock: Map<string, SimStockRow>;
  history: SimStockHistory[];
  /**
   * Every GET /pos/stock answer: when, which products it covered, its store_id when it asked for one store, and
   * whether it was filtered by update time (what changed, which no push sums) — for tests that trace what a push read.
   */
  stockReads: { at: number; productIds: string[]; storeId?: string; byUpdateTime?: boolean }[];
  shipments: Map<string, SimShipment>;
  nextHistoryId: number;
  nextShipmentId: number;
  options: ContractOptions;
}

/** Platform behaviour a contract can be switched to (PUT /__sim/contracts/{id}/options). */
export interface ContractOptions {
  /** A shipped 出荷 cannot be deleted (400), as a strict reading of the platform allows. */
  shipmentDeleteRefused: boolean;
}

export interface ContractSeed {
  contractId: string;
  stores: { storeId: string; storeName: string; division?: string }[];
  products: { productCode: string; productName: string; stockControlDivision?: string }[];
  stock: { storeId: string; productCode: string; amount: number }[];
}

export interface StockChange {
  productId: string;
  storeId: string;
  mode: 'set' | 'add';
  amount: number;
  memo: string;
  stockDivision: string;
}

export interface IssuedToken {
  value: string;
  contractId: string;
  scopes: ReadonlySet<string>;
  expiresAt: number;
}

export interface NewShipment {
  shipmentStoreId: string;
  recipientType: string;
  recipientName?: string;
  shipmentDivision: string;
  status: string;
  identificationNo?: string;
  memo?: string;
  shipmentDate?: string;
  details: { productId: string; quantity: number }[];
}

export type StockChangeListener = (contractId: string, change: SimStockHistory) => void;

/** Stock must stay within ±999,999,999 ([O] §5.4). */
export const STOCK_LIMIT = 999_999_999;
const SHIPPED = '2';
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** All simulated Smaregi data, in memory. Platform rules that concern data live here; HTTP lives in the routes. */
export class SmaregiSimState {
  private readonly contracts = new Map<string, SimContract>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly stockListeners: StockChangeListener[] = [];
  private readonly replaceListeners: ((contractId: string) => void)[] = [];
  tokensIssued = 0;
  /** Contracts whose owner stopped the app: the token endpoint and every API call answer 401. */
  private readonly revokedApps = new Set<string>();

  constructor(
    readonly now: () => number,
    private readonly tokenTtlSeconds: number,
  ) {}

  /** Creates the contract, or replaces it entirely. Product ids are assigned 1, 2, … in seed order. */
  replaceContract(seed: ContractSeed): SimContract {
    const at = this.now();
    const contract: SimContract = {
      contractId: seed.contractId,
      stores: new Map(
        seed.stores.map((s) => [s.storeId, { ...s, division: s.division ?? '0', updDateTime: at }]),
      ),
      products: new Map(),
      productIdByCode: new Map(),
      stock: new Map(),
      history: [],
      stockReads: [],
      shipments: new Map(),
      nextHistoryId: 1,
      nextShipmentId: 1,
      options: { shipmentDeleteRefused: false },
    };
    seed.products.forEach((p, i) => {
      if (contract.productIdByCode.has(p.productCode))
        throw badRequest(`productCode ${p.productCode} appears twice; codes are unique per contract`);
      const productId = String(i + 1);
      contract.products.set(productId, {
        ...p,
        productId,
        stockControlDivision: p.stockControlDivision ?? '0',
        insDateTime: at,
        updDateTime: at,
      });
      contract.productIdByCode.set(p.productCode, productId);
    });
    for (const s of seed.stock) {
      const productId = contract.productIdByCode.get(s.productCode);
      if (productId === undefined) throw badRequest(`stock names unknown productCode ${s.productCode}`);
      if (!contract.stores.has(s.storeId)) throw badRequest(`stock names unknown storeId ${s.storeId}`);
      if (contract.stock.has(stockKey(productId, s.storeId)))
        throw badRequest(`stock for ${s.productCode} in store ${s.storeId} appears twice`);
      contract.stock.set(stockKey(productId, s.storeId), {
        productId,
        storeId: s.storeId,
        stockAmount: s.amount,
        layawayStockAmount: 0,
        updDateTime: at,
      });
    }
    this.contracts.set(seed.contractId, contract);
    for (const listener of this.replaceListeners) listener(seed.contractId);
    return contract;
  }

  setAppRevoked(contractId: string, revoked: boolean): void {
    if (revoked) this.revokedApps.add(contractId);
    else this.revokedApps.delete(contractId);
  }

  appRevoked(contractId: string): boolean {
    return this.revokedApps.has(contractId);
  }

  contract(contractId: string): SimContract | undefined {
    return this.contracts.get(contractId);
  }

  issueToken(contractId: string, scopes: Iterable<string>): IssuedToken {
    this.pruneExpiredTokens();
    const token: IssuedToken = {
      value: randomBytes(24).toString('base64url'),
      contractId,
      scopes: new Set(scopes),
      expiresAt: this.now() + this.tokenTtlSeconds * 1000,
    };
    this.tokens.set(token.value, token);
    this.tokensIssued++;
    return token;
  }

  get tokenTtl(): number {
    return this.tokenTtlSeconds;
  }

  /** The token if it exists and has not expired. */
  activeToken(value: string): IssuedToken | undefined {
    const token = this.tokens.get(value);
    return token && this.now() < token.expiresAt ? token : undefined;
  }

  /** Called after a contract is created or replaced, so per-contract records elsewhere can restart too. */
  onContractReplaced(listener: (contractId: string) => void): void {
    this.replaceListeners.push(listener);
  }

  onStockChange(listener: StockChangeListener): void {
    this.stockListeners.push(listener);
  }

  /**
   * Applies all changes or none: every change is checked (store, product, resulting range) before
   * the first is applied. Each records one stock-history row and notifies the listeners.
   */
  changeStock(contractId: string, changes: readonly StockChange[]): SimStockHistory[] {
    const contract = this.requireContract(contractId);
    const planned = planStockChanges(contract, changes);
    const at = this.now();
    const history = planned.map(({ change, before, after }) => {
      const row = contract.stock.get(stockKey(change.productId, change.storeId));
      contract.stock.set(stockKey(change.productId, change.storeId), {
        productId: change.productId,
        storeId: change.storeId,
        stockAmount: after,
        layawayStockAmount: row?.layawayStockAmount ?? 0,
        updDateTime: at,
      });
      const entry: SimStockHistory = {
        id: String(contract.nextHistoryId++),
        productId: change.productId,
        storeId: change.storeId,
        amount: after - before,
        stockAmount: after,
        stockDivision: change.stockDivision,
        memo: change.memo,
        updDateTime: at,
      };
      contract.history.push(entry);
      return entry;
    });
    for (const entry of history) for (const listener of this.stockListeners) listener(contractId, entry);
    return history;
  }

  /**
   * ASSUMPTION (unconfirmed): a shipment with status 2 (shipped) takes its lines out of the
   * shipping store's stock at once, recorded as stock division 10 (出荷); other statuses do not
   * touch stock. Unknown store or product ids are a 400 like the stock endpoints.
   */
  createShipment(contractId: string, input: NewShipment): SimShipment {
    const contract = this.requireContract(contractId);
    if (!contract.stores.has(input.shipmentStoreId))
      throw badRequest('指定された店舗IDのリソースが見つかりません');
    for (const line of input.details) {
      if (!contract.products.has(line.productId))
        throw badRequest(`指定された商品ID[${line.productId}]のリソースが見つかりません`);
    }
    const at = this.now();
    const shipmentId = String(contract.nextShipmentId);
    if (input.status === SHIPPED)
      this.changeStock(contractId, shipmentStockChanges(input, -1, `出荷 ${shipmentId}`));
    contract.nextShipmentId++;
    const { shipmentDate, ...rest } = input;
    const shipment: SimShipment = {
      ...rest,
      shipmentId,
      shipmentDate: shipmentDate ?? jstDate(at),
      insDateTime: at,
      updDateTime: at,
    };
    contract.shipments.set(shipmentId, shipment);
    return shipment;
  }

  /** ASSUMPTION (unconfirmed): deleting a shipped shipment puts its stock back (division 10, positive). */
  deleteShipment(contractId: string, shipmentId: string): SimShipment {
    const contract = this.requireContract(contractId);
    const shipment = contract.shipments.get(shipmentId);
    if (!shipment || shipment.deletedAt !== undefined) throw notFoundProblem();
    if (shipment.status === SHIPPED && contract.options.shipmentDeleteRefused) {
      throw badRequest('出荷済みの出荷は削除できません');
    }
    if (shipment.status === SHIPPED) {
      this.changeStock(contractId, shipmentStockChanges(shipment, 1, `出荷取消 ${shipmentId}`));
    }
    shipment.deletedAt = this.now();
    shipment.updDateTime = shipment.deletedAt;
    return shipment;
  }

  /** Stock per store of one product; stores without a row count 0. */
  stockOf(contractId: string, productId: string): { storeId: string; amount: number }[] {
    const contract = this.requireContract(contractId);
    return [...contract.stores.keys()].map((storeId) => ({
      storeId,
      amount: contract.stock.get(stockKey(productId, storeId))?.stockAmount ?? 0,
    }));
  }

  private requireContract(contractId: string): SimContract {
    const contract = this.contracts.get(contractId);
    if (!contract) throw notFoundProblem(`契約[${contractId}]が見つかりません`);
    return contract;
  }

  private pruneExpiredTokens(): void {
    const at = this.now();
    for (const [value, token] of this.tokens) if (token.expiresAt <= at) this.tokens.delete(value);
  }
}

export function stockKey(productId: string, storeId: string): string {
  return `${productId}:${storeId}`;
}

function planStockChanges(contract: SimContract, changes: readonly StockChange[]) {
  const running = new Map<string, number>();
  return changes.map((change) => {
    if (!contract.stores.has(change.storeId)) throw badRequest('指定された店舗IDのリソースが見つかりません');
    if (!contract.products.has(change.productId)) throw notFoundProblem();
    const key = stockKey(change.productId, change.storeId);
    const before = running.get(key) ?? contract.stock.get(key)?.stockAmount ?? 0;
    const after = change.mode === 'set' ? change.amount : before + change.amount;
    if (after > STOCK_LIMIT) throw badRequest(`更新後の在庫数は[${STOCK_LIMIT}]以下である必要があります`);
    if (after < -STOCK_LIMIT) throw badRequest(`更新後の在庫数は[${-STOCK_LIMIT}]以上である必要があります`);
    running.set(key, after);
    return { change, before, after };
  });
}

function shipmentStockChanges(
  shipment: Pick<NewShipment, 'shipmentStoreId' | 'details'>,
  sign: 1 | -1,
  memo: string,
): StockChange[] {
  return shipment.details.map((line) => ({
    productId: line.productId,
    storeId: shipment.shipmentStoreId,
    mode: 'add',
    amount: sign * line.quantity,
    memo,
    stockDivision: '10',
  }));
}

function jstDate(at: number): string {
  return new Date(at + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** `YYYY-MM-DDThh:mm:ss+09:00` ([O] §4.2). */
export function formatJst(at: number): string {
  return `${new Date(at + JST_OFFSET_MS).toISOString().slice(0, 19)}+09:00`;
}
