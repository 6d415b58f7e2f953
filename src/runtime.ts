import type { Client } from '@temporalio/client';
import { loadConfig, secretKeysOf, type Config } from './config';
import { createLogger, type Logger } from './lib/logger';
import { connectDatabase, type Database } from './storage/db';
import { connectTemporal } from './temporal/connection';
import { SecretBox } from './storage/crypto';
import { ensureIndexes } from './storage/indexes';

/** What both processes (api, worker) open at start-up. */
export interface Runtime {
  config: Config;
  logger: Logger;
  database: Database;
  temporal: Client;
  secretBox: SecretBox;
  close(): Promise<void>;
}

export async function openRuntime(processName: string, env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const config = loadConfig(env);
  const logger = createLogger(processName, config.LOG_LEVEL);
  const keys = secretKeysOf(config);
  if (keys.length === 0) {
    throw new Error('APP_SECRET_KEYS (or APP_SECRET_KEY) is required (32 random bytes, base64): openssl rand -base64 32');
  }
  const secretBox = new SecretBox(keys);
  const database = await connectDatabase(config.MONGODB_URL, config.MONGODB_DB, logger);
  await ensureIndexes(database.db);
  const { connection, client } = await connectTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
  return {
    config,
    logger,
    database,
    temporal: client,
    secretBox,
    async close() {
      await connection.close();
      await database.close();
    },
  };
}
