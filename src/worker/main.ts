import { NativeConnection, Worker, Runtime as TemporalRuntime, DefaultLogger } from '@temporalio/worker';
import { openRuntime } from '../runtime';
import { createActivities } from '../activities';
import { ensureSearchAttributes } from '../temporal/connection';
import { workflowSource } from './workflow-source';
import { createPlatformClients } from '../composition';
import { purgeExpired } from '../storage/indexes';

async function main(): Promise<void> {
  TemporalRuntime.install({ logger: new DefaultLogger('WARN') });
  const runtime = await openRuntime('worker');
  const { config, logger } = runtime;
  await ensureSearchAttributes(runtime.temporal.connection, config.TEMPORAL_NAMESPACE, logger);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(await workflowSource()),
    activities: createActivities({
      config,
      logger,
      db: runtime.database.db,
      temporal: runtime.temporal,
      secretBox: runtime.secretBox,
      platforms: createPlatformClients(config, logger),
    }),
  });
  // FerretDB has no TTL indexes: expire de-duplication records and old sync log entries here.
  const purge = setInterval(() => {
    purgeExpired(runtime.database.db).catch((err: unknown) => logger.warn({ err }, 'purge of expired records failed'));
  }, 60 * 60 * 1000);
  purge.unref();
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker polling');
  const stop = (signal: string) => {
    logger.info({ signal }, 'worker shutting down');
    worker.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await worker.run();
  await connection.close();
  await runtime.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
