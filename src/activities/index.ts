import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../storage/crypto';

/** What activities may touch. Workflows never see these: they only call the activities by name. */
export interface ActivityDeps {
  config: Config;
  logger: Logger;
  db: Db;
  temporal: Client;
  secretBox: SecretBox;
}

/** All activities the worker registers, built from their dependencies (samples' DI pattern). */
export function createActivities(deps: ActivityDeps) {
  void deps;
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
