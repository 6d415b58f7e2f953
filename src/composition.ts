// Builds the collaborators both processes share from the configuration: the platform clients, the
// tenant-settings port of the sync engine and the webhook tenant look-ups. One place, so the api, the
// worker and the tests wire the same things the same way.
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from './config';
import type { Logger } from './lib/logger';
import { LegacyMakeshopClient } from './platforms/makeshop/legacy-client';
import { createMakeshopGateway, type MakeshopGateway } from './platforms/makeshop/gateway';
import { MakeshopAppsClient } from './platforms/makeshop/apps-client';
import { SmaregiClient } from './platforms/smaregi/client';
import type { SecretBox } from './storage/crypto';
import { createTenantSettings } from './storage/tenant-settings';
import { findTenantByContractId, findTenantByNotificationToken } from './storage/tenants';
import { applySubscriptionNotification } from './sync/subscription';
import type { WebhookTenantLookup } from './api/deps';
import type { AppDeps } from './api/deps';
import { createMetrics, type Metrics } from './lib/metrics';

export interface PlatformClients {
  smaregi: SmaregiClient;
  makeshop: MakeshopGateway;
  /** The apps client itself, for what only apps mode has (install check, catalog read); from config when absent. */
  makeshopApps?: MakeshopAppsClient;
}

export function createMakeshopAppsClient(config: Config, logger: Logger): MakeshopAppsClient {
  return new MakeshopAppsClient({
    graphqlUrl: config.MAKESHOP_GRAPHQL_URL,
    apiKey: config.MAKESHOP_APP_API_KEY,
    maxRowsPerCall: config.MAKESHOP_APPS_ROWS_PER_CALL,
    requestsPerMinute: config.MAKESHOP_APPS_REQUESTS_PER_MINUTE,
    logger: logger.child({ platform: 'makeshop-apps' }),
  });
}

export function createPlatformClients(config: Config, logger: Logger): PlatformClients {
  const makeshopApps = createMakeshopAppsClient(config, logger);
  return {
    smaregi: new SmaregiClient({
      idBaseUrl: config.SMAREGI_ID_BASE_URL,
      apiBaseUrl: config.SMAREGI_API_BASE_URL,
      clientId: config.SMAREGI_CLIENT_ID,
      clientSecret: config.SMAREGI_CLIENT_SECRET,
      readsPerSecond: config.SMAREGI_READS_PER_SECOND,
      writesPerSecond: config.SMAREGI_WRITES_PER_SECOND,
      logger: logger.child({ platform: 'smaregi' }),
    }),
    makeshop: createMakeshopGateway({
      legacy: new LegacyMakeshopClient({
        baseUrl: config.MAKESHOP_BASE_URL,
        minIntervalMs: config.MAKESHOP_MIN_INTERVAL_MS,
        logger: logger.child({ platform: 'makeshop' }),
      }),
      apps: makeshopApps,
    }),
    makeshopApps,
  };
}

/**
 * Webhooks arrive hundreds per second for few tenants: their tenant look-ups are cached briefly. A
 * rotated notification token or a changed subscription takes effect within TENANT_CACHE_MS.
 */
const TENANT_CACHE_MS = 10_000;

export function webhookTenantLookup(deps: { db: Db; temporal: Client; taskQueue: string; logger: Logger }): WebhookTenantLookup {
  const byContract = shortLivedCache((contractId: string) => findTenantByContractId(deps.db, contractId));
  const byToken = shortLivedCache((token: string) => findTenantByNotificationToken(deps.db, token));
  return {
    async byContractId(contractId) {
      const tenant = await byContract.get(contractId);
      return tenant && { tenantId: tenant.tenantId, active: tenant.active };
    },
    async byNotificationToken(token) {
      const tenant = await byToken.get(token);
      return tenant && { tenantId: tenant.tenantId, makeshopShopId: tenant.makeshopShopId };
    },
    async applySubscription(contractId, action) {
      byContract.forget(contractId);
      return (await applySubscriptionNotification(deps, { contractId, action })) !== null;
    },
  };
}

function shortLivedCache<V>(load: (key: string) => Promise<V>, ttlMs = TENANT_CACHE_MS, maxEntries = 10_000) {
  const entries = new Map<string, { value: Promise<V>; until: number }>();
  return {
    get(key: string): Promise<V> {
      const hit = entries.get(key);
      if (hit && hit.until > Date.now()) return hit.value;
      if (entries.size >= maxEntries) entries.clear();
      const value = load(key);
      entries.set(key, { value, until: Date.now() + ttlMs });
      // Only hits are kept: a tenant created a moment ago must be found at once.
      value.then(
        (v) => v === null && entries.delete(key),
        () => entries.delete(key),
      );
      return value;
    },
    forget(key: string): void {
      entries.delete(key);
    },
  };
}

/** Everything createApp needs, from the opened infrastructure. */
export function createAppDeps(base: {
  config: Config;
  logger: Logger;
  db: Db;
  temporal: Client;
  secretBox: SecretBox;
  metrics?: Metrics;
  platforms?: PlatformClients;
}): AppDeps {
  const { config, logger, db, temporal, secretBox } = base;
  const platforms = base.platforms ?? createPlatformClients(config, logger);
  return {
    config,
    logger,
    metrics: base.metrics ?? createMetrics('api'),
    db,
    temporal,
    sync: { db, logger, smaregi: platforms.smaregi, makeshop: platforms.makeshop, tenants: createTenantSettings(db, secretBox) },
    webhookTenants: webhookTenantLookup({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger }),
    onboarding: { secretBox, smaregi: platforms.smaregi, makeshop: platforms.makeshop },
    makeshopApps: platforms.makeshopApps ?? createMakeshopAppsClient(config, logger),
  };
}
