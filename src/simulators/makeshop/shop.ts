/**
 * One simulated MakeShop shop: catalog (products + option variations), orders, and the logs the control
 * API exposes. Pure in-memory logic; HTTP lives in legacy-api.ts and control-api.ts.
 */
export interface SimProduct {
  systemCode: string;
  customCode: string;
  name: string;
  jan: string;
  /** null = 在庫管理しない (stock not managed, unlimited). */
  quantity: number | null;
  /** オプション１名称 / オプション２名称; non-empty marks a product whose stock lives in its options. */
  optionNames: string[];
  price: number;
  /** カテゴリーパス, "¥"-separated (0x5C in CP932). */
  categoryPath: string;
}

export interface SimOption {
  systemCode: string;
  optionCode: string;
  option1: string;
  option2: string;
  jan: string;
  quantity: number | null;
  price: number;
}

/** 1 通常, 0 キャンセル, 99 仮注文 (reference makeshop-api.md §3.6). */
export type SimOrderStatus = '1' | '0' | '99';

export interface SimOrderLine {
  systemCode: string;
  customCode: string;
  optionCode: string;
  jan: string;
  name: string;
  /** "カラー:ブラック,サイズ:M" */
  optionText: string;
  price: number;
  quantity: number;
}

export interface SimOrder {
  orderNumber: string;
  status: SimOrderStatus;
  orderedAt: number;
  updatedAt: number;
  lines: SimOrderLine[];
}

export type LegacyEndpoint = 'webftp' | 'upload' | 'orderinfo';
export type SimEndpoint = LegacyEndpoint | 'graphql';

export interface CallLogEntry {
  endpoint: SimEndpoint;
  startedAt: number;
  finishedAt: number;
  status: number;
  /** accepted: the rule was kept; throttled: the rule was broken (or a throttle fault); fault: injected error. */
  outcome: 'accepted' | 'throttled' | 'fault';
}

export interface NotificationLogEntry {
  at: number;
  orderNumber: string;
  cmd: number;
  url: string | null;
  outcome: 'delivered' | 'failed' | 'dropped' | 'no-url';
  status?: number;
  error?: string;
}

/** A quantity written through the API (CSV upload or GraphQL mutation), for tests that watch pushes land. */
export interface StockWriteLogEntry {
  at: number;
  /** When the call that wrote it reached MakeShop (before a slow call's hold): what it wrote was computed before then. */
  requestedAt: number;
  /** オプション独自コード for an option, 独自商品コード for a product. */
  code: string;
  quantity: number | null;
}

export interface ShopSeed {
  shopId: string;
  accountId: string;
  password: string;
  orderAuthCode: string;
  /** 外部システム連携 approved; orderinfo refuses the shop when false. */
  externalIntegrationEnabled?: boolean;
  products: (Omit<SimProduct, 'optionNames' | 'price' | 'categoryPath'> & { optionNames?: string[]; price?: number; categoryPath?: string })[];
  options: (Omit<SimOption, 'price'> & { price?: number })[];
}

export class ShopInputError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

type StockItem = { product: SimProduct; option?: SimOption };

export class SimShop {
  readonly shopId: string;
  readonly accountId: string;
  readonly password: string;
  readonly orderAuthCode: string;
  readonly externalIntegrationEnabled: boolean;
  /** In registration order (the CSV downloads' order); change them through the methods below. */
  readonly products: SimProduct[] = [];
  readonly options: SimOption[];
  readonly orders = new Map<string, SimOrder>();
  readonly calls: CallLogEntry[] = [];
  readonly notifications: NotificationLogEntry[] = [];
  readonly stockWrites: StockWriteLogEntry[] = [];
  /** Set while a platform call is handled (synchronously): when it arrived. */
  callArrivedAt: number | null = null;
  notificationUrl: string | null = null;
  /** The orderinfo "since the last fetch" mode's cursor (§3.2). */
  lastDifferentialFetchAt = 0;
  private readonly bySystemCode = new Map<string, SimProduct>();
  private readonly byCustomCode = new Map<string, SimProduct[]>();
  private readonly optionsByProduct = new Map<string, SimOption[]>();
  private readonly optionsByCode = new Map<string, SimOption[]>();

  constructor(
    seed: ShopSeed,
    private readonly now: () => number = Date.now,
  ) {
    this.shopId = seed.shopId;
    this.accountId = seed.accountId;
    this.password = seed.password;
    this.orderAuthCode = seed.orderAuthCode;
    this.externalIntegrationEnabled = seed.externalIntegrationEnabled ?? true;
    for (const p of seed.products) this.addProduct({ ...p, optionNames: p.optionNames ?? [], price: p.price ?? 0, categoryPath: p.categoryPath ?? '' });
    this.options = seed.options.map((o) => ({ ...o, price: o.price ?? 0 }));
    for (const option of this.options) this.indexOption(option);
  }

  addProduct(product: SimProduct): void {
    if (this.bySystemCode.has(product.systemCode)) throw new ShopInputError(400, `duplicate システム商品コード ${product.systemCode}`);
    this.products.push(product);
    this.bySystemCode.set(product.systemCode, product);
    pushTo(this.byCustomCode, product.customCode, product);
  }

  changeCustomCode(product: SimProduct, customCode: string): void {
    const holders = this.byCustomCode.get(product.customCode) ?? [];
    const index = holders.indexOf(product);
    if (index >= 0) holders.splice(index, 1);
    product.customCode = customCode;
    pushTo(this.byCustomCode, customCode, product);
  }

  productBySystemCode(systemCode: string): SimProduct | undefined {
    return this.bySystemCode.get(systemCode);
  }

  productsByCustomCode(customCode: string): SimProduct[] {
    return this.byCustomCode.get(customCode) ?? [];
  }

  optionsOf(product: SimProduct): SimOption[] {
    return this.optionsByProduct.get(product.systemCode) ?? [];
  }

  nextSystemCode(): string {
    const highest = this.products.reduce((max, product) => Math.max(max, Number(product.systemCode) || 0), 0);
    return String(highest + 1).padStart(12, '0');
  }

  /** Every stock-bearing row, as GET /__sim/shops/{shopId}/stock answers it. */
  stockRows() {
    return [
      ...this.products.map((p) => ({ systemCode: p.systemCode, customCode: p.customCode, optionCode: null, jan: p.jan, quantity: p.quantity })),
      ...this.options.map((o) => ({
        systemCode: o.systemCode,
        customCode: this.productBySystemCode(o.systemCode)?.customCode ?? '',
        optionCode: o.optionCode,
        jan: o.jan,
        quantity: o.quantity,
      })),
    ];
  }

  /** A web sale: all lines or none; MakeShop never sells managed stock below 0. */
  placeOrder(orderNumber: string, lines: { code: string; quantity: number }[], at: number, provisional: boolean): SimOrder {
    const resolved = lines.map((line) => ({ item: this.itemForCode(line.code), quantity: line.quantity }));
    const wanted = new Map<SimProduct | SimOption, number>();
    for (const { item, quantity } of resolved) {
      const holder = item.option ?? item.product;
      wanted.set(holder, (wanted.get(holder) ?? 0) + quantity);
    }
    for (const [holder, quantity] of wanted) {
      if (holder.quantity !== null && holder.quantity < quantity) {
        const code = 'optionCode' in holder ? holder.optionCode : holder.customCode;
        throw new ShopInputError(409, `stock of ${JSON.stringify(code)} is ${holder.quantity}, cannot sell ${quantity}`);
      }
    }
    for (const [holder, quantity] of wanted) if (holder.quantity !== null) holder.quantity -= quantity;
    const order: SimOrder = {
      orderNumber,
      status: provisional ? '99' : '1',
      orderedAt: at,
      updatedAt: at,
      lines: resolved.map(({ item, quantity }) => this.orderLine(item, quantity)),
    };
    this.orders.set(orderNumber, order);
    return order;
  }

  cancelOrder(orderNumber: string, at: number): SimOrder {
    const order = this.openOrder(orderNumber);
    for (const line of order.lines) {
      const holder = this.holderOfLine(line);
      if (holder && holder.quantity !== null) holder.quantity += line.quantity;
    }
    order.status = '0';
    order.updatedAt = at;
    return order;
  }

  /**
   * The merchant changes an order's lines in the admin (更新通知 cmd 1): stock moves by the difference, and
   * an increase MakeShop cannot cover is refused, as a new order would be.
   */
  editOrder(orderNumber: string, lines: { code: string; quantity: number }[], at: number): SimOrder {
    const order = this.openOrder(orderNumber);
    const resolved = lines.map((line) => ({ item: this.itemForCode(line.code), quantity: line.quantity }));
    const change = new Map<SimProduct | SimOption, number>();
    for (const line of order.lines) {
      const holder = this.holderOfLine(line);
      if (holder) change.set(holder, (change.get(holder) ?? 0) + line.quantity);
    }
    for (const { item, quantity } of resolved) {
      const holder = item.option ?? item.product;
      change.set(holder, (change.get(holder) ?? 0) - quantity);
    }
    for (const [holder, delta] of change) {
      if (holder.quantity !== null && holder.quantity + delta < 0) {
        const code = 'optionCode' in holder ? holder.optionCode : holder.customCode;
        throw new ShopInputError(409, `stock of ${JSON.stringify(code)} is ${holder.quantity}, cannot add ${-delta} to the order`);
      }
    }
    for (const [holder, delta] of change) if (holder.quantity !== null) holder.quantity += delta;
    order.lines = resolved.map(({ item, quantity }) => this.orderLine(item, quantity));
    order.updatedAt = at;
    return order;
  }

  /** Runs a platform call's (synchronous) handling, its writes stamped with when the call arrived. */
  handlingCallFrom<T>(arrivedAt: number, handle: () => T): T {
    this.callArrivedAt = arrivedAt;
    try {
      return handle();
    } finally {
      this.callArrivedAt = null;
    }
  }

  /** A quantity written through the API (upload row or GraphQL mutation), logged in stockWrites. */
  writeStock(holder: SimProduct | SimOption, quantity: number | null): void {
    holder.quantity = quantity;
    const code = 'optionCode' in holder ? holder.optionCode : holder.customCode;
    this.stockWrites.push({ at: this.now(), requestedAt: this.callArrivedAt ?? this.now(), code, quantity });
  }

  /** An edit of 数量 in the MakeShop admin (no notification is sent for it). */
  setStock(code: string, quantity: number | null): void {
    const item = this.itemForCode(code);
    (item.option ?? item.product).quantity = quantity;
  }

  private openOrder(orderNumber: string): SimOrder {
    const order = this.orders.get(orderNumber);
    if (!order) throw new ShopInputError(404, `no order ${orderNumber} in shop ${this.shopId}`);
    if (order.status === '0') throw new ShopInputError(409, `order ${orderNumber} is already cancelled`);
    return order;
  }

  private holderOfLine(line: SimOrderLine): SimProduct | SimOption | undefined {
    const product = this.productBySystemCode(line.systemCode);
    return line.optionCode && product ? this.optionsOf(product).find((o) => o.optionCode === line.optionCode) : product;
  }

  private itemForCode(code: string): StockItem {
    const options = this.optionsByCode.get(code) ?? [];
    if (options.length > 1) throw new ShopInputError(400, `オプション独自コード ${JSON.stringify(code)} is used by several variations`);
    const option = options[0];
    if (option) {
      const product = this.productBySystemCode(option.systemCode);
      if (product) return { product, option };
    }
    const products = this.productsByCustomCode(code);
    if (products.length !== 1) {
      throw new ShopInputError(400, `no single product or option has the code ${JSON.stringify(code)}`);
    }
    const product = products[0]!;
    if (product.optionNames.length > 0) {
      throw new ShopInputError(400, `product ${JSON.stringify(code)} has options: order one of its オプション独自コード instead`);
    }
    return { product };
  }

  private orderLine({ product, option }: StockItem, quantity: number): SimOrderLine {
    const optionValues = option ? [option.option1, option.option2] : [];
    const optionText = product.optionNames
      .map((name, index) => (optionValues[index] ? `${name}:${optionValues[index]}` : ''))
      .filter(Boolean)
      .join(',');
    return {
      systemCode: product.systemCode,
      customCode: product.customCode,
      optionCode: option?.optionCode ?? '',
      jan: option ? option.jan : product.jan,
      name: product.name,
      optionText,
      price: option?.price || product.price,
      quantity,
    };
  }

  private indexOption(option: SimOption): void {
    const parent = this.productBySystemCode(option.systemCode);
    if (!parent || parent.optionNames.length === 0) {
      throw new ShopInputError(400, `option ${JSON.stringify(option.optionCode)} needs a product ${option.systemCode} with optionNames`);
    }
    const siblings = this.optionsOf(parent);
    if (option.optionCode && siblings.some((sibling) => sibling.optionCode === option.optionCode)) {
      throw new ShopInputError(400, `duplicate オプション独自コード ${option.optionCode}`);
    }
    pushTo(this.optionsByProduct, option.systemCode, option);
    if (option.optionCode) pushTo(this.optionsByCode, option.optionCode, option);
  }
}

function pushTo<T>(index: Map<string, T[]>, key: string, value: T): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}
