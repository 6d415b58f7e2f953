import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../storage/crypto';
import { createOnboardingActivities } from './onboarding';
import { createSyncActivities } from './sync';
import { createCatalogActivities } from './catalog';
import type { PlatformClients } from '../composition';
import { createTenantSettings } from '../storage/tenant-settings';

/** What activities may touch. Workflows never see these: they only call the activities by name. */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  db: Db;
  temporal: Client;
  secretBox: SecretBox;
  platforms: PlatformClients;
}

/** All activities the worker registers, built from their dependencies (samples' DI pattern). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCatalogActivities({
      db: deps.db,
      logger: deps.logger,
      smaregi: deps.platforms.smaregi,
      temporal: deps.temporal,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      limits: { maxRows: deps.config.CATALOG_MAX_ROWS, maxFieldChars: deps.config.CATALOG_MAX_FIELD_CHARS },
    }),
    ...createSyncActivities({
      db: deps.db,
      logger: deps.logger,
      smaregi: deps.platforms.smaregi,
      makeshop: deps.platforms.makeshop,
      tenants: createTenantSettings(deps.db, deps.secretBox),
      timing: {
        debounceMs: deps.config.SYNC_DEBOUNCE_MS,
        maxDelayMs: deps.config.SYNC_MAX_DELAY_MS,
        reconcileIntervalMs: deps.config.SYNC_RECONCILE_INTERVAL_MS,
      },
    }),
    ...createOnboardingActivities({ db: deps.db, temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, logger: deps.logger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
