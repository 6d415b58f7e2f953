import { randomBytes } from 'node:crypto';
import type { Logger } from '../../lib/logger';
import type { FetchLike } from '../../platforms/http';
import { NO_SLOW_FAULTS, type SlowFaults } from '../slow-faults';
import { SimApps } from './apps-state';
import { compactJst } from './jst';
import { type ShopSeed, ShopInputError, SimShop, type SimOrder } from './shop';

export interface SimFaults extends SlowFaults {
  /** Share of legacy calls answered HTTP 500. */
  errorRate: number;
  /** Share of legacy calls refused as if the 1 request/second rule had been broken. */
  throttleRate: number;
  /** Added to every legacy call, inside the shop's one-at-a-time window. */
  latencyMs: number;
  /** Share of 更新通知 calls (and apps 注文更新通知 entries) silently not made (extra: for testing the reconciliation safety net). */
  notificationDropRate: number;
}

export const NO_FAULTS: SimFaults = { errorRate: 0, throttleRate: 0, latencyMs: 0, notificationDropRate: 0, ...NO_SLOW_FAULTS };

export interface MakeshopSimStateOptions {
  minIntervalMs: number;
  now: () => number;
  random: () => number;
  fetch: FetchLike;
  logger: Logger;
}

/** One-time upload keys (§6). ASSUMPTION (unconfirmed): valid 5 minutes, like the product API's access URL. */
const UPLOAD_KEY_TTL_MS = 5 * 60 * 1000;
const NOTIFICATION_TIMEOUT_MS = 10_000;

/** Everything the MakeShop simulator knows: shops, upload keys, the per-shop request rule, faults. */
export class MakeshopSimState {
  faults: SimFaults = { ...NO_FAULTS };
  /** The makeshop app (GraphQL API, install tokens, 注文更新通知) over the same shops. */
  readonly apps: SimApps;
  private readonly shops = new Map<string, SimShop>();
  private readonly uploadKeys = new Map<string, { shopId: string; expiresAt: number }>();
  private readonly lanes = new Map<string, { inFlight: number; lastStartedAt: number | undefined }>();
  private readonly pendingNotifications = new Set<Promise<void>>();
  private orderSequence = 0;

  constructor(private readonly options: MakeshopSimStateOptions) {
    this.apps = new SimApps({ now: options.now, fetch: options.fetch, logger: options.logger, shop: (shopId) => this.shops.get(shopId) });
  }

  get now(): () => number {
    return this.options.now;
  }

  get random(): () => number {
    return this.options.random;
  }

  /** Creates the shop, or replaces it wholesale when the shop ID exists. */
  replaceShop(seed: ShopSeed): SimShop {
    const shop = new SimShop(seed, this.options.now);
    const previous = this.shops.get(seed.shopId);
    if (previous) shop.notificationUrl = previous.notificationUrl;
    this.shops.set(seed.shopId, shop);
    return shop;
  }

  shop(shopId: string): SimShop | undefined {
    return this.shops.get(shopId);
  }

  requireShop(shopId: string): SimShop {
    const shop = this.shops.get(shopId);
    if (!shop) throw new ShopInputError(404, `no shop ${shopId}`);
    return shop;
  }

  shopByAccountId(accountId: string): SimShop | undefined {
    return [...this.shops.values()].find((shop) => shop.accountId === accountId);
  }

  issueUploadKey(shop: SimShop): string {
    const key = randomBytes(16).toString('hex');
    this.uploadKeys.set(key, { shopId: shop.shopId, expiresAt: this.options.now() + UPLOAD_KEY_TTL_MS });
    return key;
  }

  /** The key's shop; `usable` is false once expired. Either way the key is spent. */
  redeemUploadKey(key: string): { shop: SimShop; usable: boolean } | undefined {
    const entry = this.uploadKeys.get(key);
    const shop = entry && this.shops.get(entry.shopId);
    if (!entry || !shop) return undefined;
    this.uploadKeys.delete(key);
    return { shop, usable: entry.expiresAt > this.options.now() };
  }

  /**
   * ASSUMPTION (unconfirmed): MakeShop's "1 request per second, one at a time" (§2.2) is counted per shop
   * across all legacy endpoints, from the start of one accepted request to the start of the next; refused
   * requests do not move the clock. Returns the release function, or undefined when the rule is broken.
   */
  admitLegacyCall(shop: SimShop): (() => void) | undefined {
    let lane = this.lanes.get(shop.shopId);
    if (!lane) {
      lane = { inFlight: 0, lastStartedAt: undefined };
      this.lanes.set(shop.shopId, lane);
    }
    const now = this.options.now();
    const tooSoon = lane.lastStartedAt !== undefined && now - lane.lastStartedAt < this.options.minIntervalMs;
    if (lane.inFlight > 0 || tooSoon) return undefined;
    lane.inFlight += 1;
    lane.lastStartedAt = now;
    const admitted = lane;
    return () => {
      admitted.inFlight -= 1;
    };
  }

  placeOrder(shopId: string, lines: { code: string; quantity: number }[], extras: { orderedAt?: number; provisional?: boolean }): SimOrder {
    const shop = this.requireShop(shopId);
    const at = extras.orderedAt ?? this.options.now();
    this.orderSequence += 1;
    const orderNumber = `PB${compactJst(at)}${String(this.orderSequence).padStart(6, '0')}`;
    const order = shop.placeOrder(orderNumber, lines, at, extras.provisional ?? false);
    this.notify(shop, orderNumber, 0);
    if (order.status !== '99') this.recordAppsOrderUpdate(shopId, orderNumber);
    return order;
  }

  cancelOrder(shopId: string, orderNumber: string): SimOrder {
    const shop = this.requireShop(shopId);
    const order = shop.cancelOrder(orderNumber, this.options.now());
    this.notify(shop, orderNumber, 2);
    this.recordAppsOrderUpdate(shopId, orderNumber);
    return order;
  }

  editOrder(shopId: string, orderNumber: string, lines: { code: string; quantity: number }[]): SimOrder {
    const shop = this.requireShop(shopId);
    const order = shop.editOrder(orderNumber, lines, this.options.now());
    this.notify(shop, orderNumber, 1);
    this.recordAppsOrderUpdate(shopId, orderNumber);
    return order;
  }

  /** Resolves once every 更新通知 started so far has been attempted. */
  async notificationsSettled(): Promise<void> {
    while (this.pendingNotifications.size > 0) await Promise.all([...this.pendingNotifications]);
  }

  /** The order goes out with the next 注文更新通知, unless notificationDropRate loses it. */
  private recordAppsOrderUpdate(shopId: string, orderNumber: string): void {
    if (this.faults.notificationDropRate > 0 && this.options.random() < this.faults.notificationDropRate) return;
    this.apps.recordOrderUpdate(shopId, orderNumber);
  }

  private notify(shop: SimShop, orderNumber: string, cmd: number): void {
    const delivery = this.deliverNotification(shop, orderNumber, cmd).finally(() => this.pendingNotifications.delete(delivery));
    this.pendingNotifications.add(delivery);
  }

  /**
   * ASSUMPTION (unconfirmed): MakeShop calls the 更新通知API URL with a plain GET after substituting
   * [SHOPID], [ORDERNUM] and [CMD] (§4, §12.3), once, without retrying, and ignores the reply.
   */
  private async deliverNotification(shop: SimShop, orderNumber: string, cmd: number): Promise<void> {
    const at = this.options.now();
    const template = shop.notificationUrl;
    if (!template) {
      shop.notifications.push({ at, orderNumber, cmd, url: null, outcome: 'no-url' });
      return;
    }
    const url = expandNotificationUrl(template, shop.shopId, orderNumber, cmd);
    if (this.options.random() < this.faults.notificationDropRate) {
      shop.notifications.push({ at, orderNumber, cmd, url, outcome: 'dropped' });
      return;
    }
    try {
      const response = await this.options.fetch(url, { method: 'GET', signal: AbortSignal.timeout(NOTIFICATION_TIMEOUT_MS) });
      await response.arrayBuffer();
      shop.notifications.push({ at, orderNumber, cmd, url, outcome: response.ok ? 'delivered' : 'failed', status: response.status });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      shop.notifications.push({ at, orderNumber, cmd, url, outcome: 'failed', error: message });
      this.options.logger.warn({ shopId: shop.shopId, orderNumber, cmd, error: message }, 'makeshop sim notification failed');
    }
  }
}

export function expandNotificationUrl(template: string, shopId: string, orderNumber: string, cmd: number): string {
  return template
    .replaceAll('[SHOPID]', encodeURIComponent(shopId))
    .replaceAll('[ORDERNUM]', encodeURIComponent(orderNumber))
    .replaceAll('[CMD]', String(cmd));
}
