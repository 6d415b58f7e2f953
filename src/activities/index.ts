import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../storage/crypto';
import { createOnboardingActivities } from './onboarding';
import { createSyncActivities, driftRepairPort } from './sync';
import { createCatalogActivities } from './catalog';
import { createMakeshopCatalogActivities } from './makeshop-catalog';
import { createMakeshopAppsClient, type PlatformClients } from '../composition';
import { createTenantSettings } from '../storage/tenant-settings';
import { createAlertCenter } from '../alerts/center';
import { createSmtpMailer, type Mailer } from '../alerts/mailer';
import { createSyncAlerts } from '../alerts/sync-alerts';
import { createAlertActivities } from './alerts';
import { makeshopTokenRefusedHandler } from './makeshop-link';
import type { AlertMailActivities, CatalogImportActivities, SyncWorkflowActivities } from '../workflows/activity-types';
import type { OnboardingActivities } from '../workflows/onboarding';

/** What activities may touch. Workflows never see these: they only call the activities by name. */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  db: Db;
  temporal: Client;
  secretBox: SecretBox;
  platforms: PlatformClients;
  /** Default: nodemailer over SMTP_URL. */
  mailer?: Mailer;
}

/** What the workflows call (their own contracts): the worker must register all of it, with these signatures. */
type WorkflowActivities = SyncWorkflowActivities & CatalogImportActivities & AlertMailActivities & OnboardingActivities;

/** All activities the worker registers, built from their dependencies (samples' DI pattern). */
export function createActivities(deps: ActivityDeps) {
  const tenants = createTenantSettings(deps.db, deps.secretBox);
  const taskQueue = deps.config.TEMPORAL_TASK_QUEUE;
  const alertDeps = { db: deps.db, temporal: deps.temporal, taskQueue, logger: deps.logger };
  const alerts = createAlertCenter(alertDeps);
  return {
    ...createMakeshopCatalogActivities({
      db: deps.db,
      logger: deps.logger,
      tenants,
      makeshopApps: deps.platforms.makeshopApps ?? createMakeshopAppsClient(deps.config, deps.logger),
    }),
    ...createCatalogActivities({
      db: deps.db,
      logger: deps.logger,
      smaregi: deps.platforms.smaregi,
      temporal: deps.temporal,
      taskQueue,
      alerts,
      limits: { maxRows: deps.config.CATALOG_MAX_ROWS, maxFieldChars: deps.config.CATALOG_MAX_FIELD_CHARS },
    }),
    ...createSyncActivities({
      db: deps.db,
      logger: deps.logger,
      smaregi: deps.platforms.smaregi,
      makeshop: deps.platforms.makeshop,
      tenants,
      alerts: createSyncAlerts({ db: deps.db, center: alerts, logger: deps.logger, stallMs: deps.config.ALERT_STALL_MS }),
      makeshopTokenRefused: makeshopTokenRefusedHandler({ ...deps, tenants, makeshop: deps.platforms.makeshop }),
      driftRepair: driftRepairPort(deps.temporal, taskQueue, deps.config.SYNC_DRIFT_REPAIR_INTERVAL_MS),
      timing: {
        debounceMs: deps.config.SYNC_DEBOUNCE_MS,
        maxDelayMs: deps.config.SYNC_MAX_DELAY_MS,
        reconcileIntervalMs: deps.config.SYNC_RECONCILE_INTERVAL_MS,
      },
    }),
    ...createOnboardingActivities({ ...alertDeps, alerts }),
    ...createAlertActivities({ ...alertDeps, config: deps.config, mailer: deps.mailer ?? createSmtpMailer(deps.config) }),
  } satisfies WorkflowActivities;
}

export type Activities = ReturnType<typeof createActivities>;
