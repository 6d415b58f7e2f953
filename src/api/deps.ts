import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';

/** Everything the HTTP layer needs, injected so tests build the app against their own servers. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Db;
  temporal: Client;
}
