import { randomBytes } from 'node:crypto';
import type { Logger } from '../../lib/logger';
import type { FetchLike } from '../../platforms/http';
import { ShopInputError, type SimShop } from './shop';

/** The makeshop app as registered in its 開発申請 (DESIGN §6 `PUT /__sim/apps`). */
export interface SimAppSettings {
  apiKey: string;
  installUrl: string | null;
  uninstallUrl: string | null;
  orderUpdateUrl: string | null;
  /** MakeShop sends 注文更新通知 in 2-minute cycles (§9.4). */
  orderUpdateIntervalMs: number;
  /** Extra: APIs not granted to the app answer FORBIDDEN (§9.1). */
  deniedApis: string[];
}

export const SIM_APP_ID = 'sim-zaiko-sync';
export const DEFAULT_SIM_APP_SETTINGS: SimAppSettings = {
  apiKey: 'sim-app-api-key',
  installUrl: null,
  uninstallUrl: null,
  orderUpdateUrl: null,
  orderUpdateIntervalMs: 120_000,
  deniedApis: [],
};

export interface WebhookLogEntry {
  at: number;
  event: 'install' | 'uninstall' | 'order-update';
  url: string | null;
  status?: number;
  error?: string;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * The app side of the simulator: the app's settings, each shop's 永続トークン, the order updates waiting
 * for the next 注文更新通知 cycle, and the webhook deliveries. One app (ours) is enough for the service.
 */
export class SimApps {
  settings: SimAppSettings = { ...DEFAULT_SIM_APP_SETTINGS };
  /** Where the app is opened from the shop admin (default: the install URL's origin + /makeshop/apps/launch). */
  launchUrl: string | null = null;
  /** Signs the launch URL (see signedLaunchUrl). */
  launchSecret = 'sim-app-launch-secret';
  readonly webhooks: WebhookLogEntry[] = [];
  private readonly tokens = new Map<string, string>(); // token → shopId
  private readonly revoked = new Set<string>();
  private readonly pendingOrderUpdates = new Map<string, Set<string>>(); // shopId → system order numbers
  private cycle: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { now: () => number; fetch: FetchLike; logger: Logger; shop: (shopId: string) => SimShop | undefined },
  ) {}

  configure(settings: Partial<SimAppSettings>): SimAppSettings {
    this.settings = { ...this.settings, ...settings };
    this.restartCycle();
    return this.settings;
  }

  /** The shop whose live token this is; undefined for an unknown token, 'revoked' for an uninstalled one. */
  shopForToken(token: string): SimShop | 'revoked' | undefined {
    if (this.revoked.has(token)) return 'revoked';
    const shopId = this.tokens.get(token);
    return shopId === undefined ? undefined : this.deps.shop(shopId);
  }

  tokenOf(shopId: string): string | undefined {
    return [...this.tokens].find(([, holder]) => holder === shopId)?.[0];
  }

  /**
   * Installs the app in the shop: a new 永続トークン is POSTed to the install URL; any answer but 200
   * fails the installation (§9.4) and the token stops working.
   */
  async install(shop: SimShop): Promise<{ status: 'installed' | 'failed'; httpStatus?: number }> {
    if (this.tokenOf(shop.shopId)) throw new ShopInputError(409, `the app is already installed in shop ${shop.shopId}`);
    const token = `PAT.${randomBytes(24).toString('base64url')}`;
    const body = { app_id: SIM_APP_ID, plan_id: 'standard', app_name: 'zaiko-sync', shop_id: shop.shopId, token };
    // ASSUMPTION (unconfirmed): the token already works while the install webhook is being answered (the
    // service checks it with getShop before answering 200).
    this.tokens.set(token, shop.shopId);
    const status = await this.post('install', this.settings.installUrl, body);
    if (status === 200) return { status: 'installed', httpStatus: status };
    this.tokens.delete(token);
    return { status: 'failed', ...(status !== undefined ? { httpStatus: status } : {}) };
  }

  /** Revokes the shop's token, then tells the app (its answer changes nothing). */
  async uninstall(shop: SimShop): Promise<{ status: 'uninstalled' }> {
    const token = this.tokenOf(shop.shopId);
    if (!token) throw new ShopInputError(409, `the app is not installed in shop ${shop.shopId}`);
    this.tokens.delete(token);
    this.revoked.add(token);
    this.pendingOrderUpdates.delete(shop.shopId);
    await this.post('uninstall', this.settings.uninstallUrl, { app_id: SIM_APP_ID, shop_id: shop.shopId });
    return { status: 'uninstalled' };
  }

  /** An order of an installed shop changed: it goes out with the next 注文更新通知 cycle. */
  recordOrderUpdate(shopId: string, orderNumber: string): void {
    if (!this.tokenOf(shopId)) return;
    const pending = this.pendingOrderUpdates.get(shopId) ?? new Set<string>();
    pending.add(orderNumber);
    this.pendingOrderUpdates.set(shopId, pending);
  }

  /**
   * One 注文更新通知 cycle: one POST per shop with changed orders.
   * ASSUMPTION (unconfirmed, §9.4 / §12.4): the payload is `{shop_id, orders:[{system_order_number}]}`,
   * sent once without retry. The service treats it as a hint only.
   */
  async flushOrderUpdates(): Promise<{ shops: number; orders: number }> {
    const batches = [...this.pendingOrderUpdates];
    this.pendingOrderUpdates.clear();
    let orders = 0;
    for (const [shopId, numbers] of batches) {
      orders += numbers.size;
      const body = { app_id: SIM_APP_ID, shop_id: shopId, orders: [...numbers].map((n) => ({ system_order_number: n })) };
      await this.post('order-update', this.settings.orderUpdateUrl, body);
    }
    return { shops: batches.length, orders };
  }

  stop(): void {
    clearInterval(this.cycle);
    this.cycle = undefined;
  }

  private restartCycle(): void {
    this.stop();
    if (!this.settings.orderUpdateUrl) return;
    this.cycle = setInterval(() => void this.flushOrderUpdates().catch(() => undefined), this.settings.orderUpdateIntervalMs);
    this.cycle.unref();
  }

  /** POSTs JSON to an app webhook URL; the HTTP status, or undefined when nothing answered. */
  private async post(event: WebhookLogEntry['event'], url: string | null, body: unknown): Promise<number | undefined> {
    const at = this.deps.now();
    if (!url) {
      this.webhooks.push({ at, event, url });
      return undefined;
    }
    try {
      const response = await this.deps.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      this.webhooks.push({ at, event, url, status: response.status });
      return response.status;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.webhooks.push({ at, event, url, error: message });
      this.deps.logger.warn({ event, url, error: message }, 'makeshop sim app webhook failed');
      return undefined;
    }
  }
}
