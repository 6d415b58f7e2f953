import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { MakeshopAppsClient } from '../platforms/makeshop/apps-client';
import type { SyncDeps } from '../sync/ports';
import type { WebhookTenantLookup } from './routes/webhooks';
import type { OnboardingDeps } from './onboarding-deps';
import type { Mailer } from '../alerts/mailer';

/** Everything the HTTP layer needs, injected so tests build the app against their own servers. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Db;
  temporal: Client;
  /** The sync engine's collaborators (platform clients, tenant settings), for the dry run. */
  sync: Omit<SyncDeps, 'heartbeat'>;
  webhookTenants: WebhookTenantLookup;
  /** Accounts and set-up steps: secret box, Smaregi stores, MakeShop connection test (routes answer 500 without it). */
  onboarding?: OnboardingDeps;
  /** makeshop apps: checks install tokens with MakeShop; built from config when absent. */
  makeshopApps?: Pick<MakeshopAppsClient, 'shopIdOfToken'>;
  /** Sends the address confirmation mails; default: nodemailer over SMTP_URL. */
  mailer?: Mailer;
}
