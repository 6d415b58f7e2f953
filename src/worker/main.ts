import { getHeapStatistics } from 'node:v8';
import { NativeConnection, Runtime as TemporalRuntime, DefaultLogger } from '@temporalio/worker';
import { openRuntime } from '../runtime';
import { createActivities } from '../activities';
import { ensureSearchAttributes } from '../temporal/connection';
import { workflowSource } from './workflow-source';
import { createPlatformClients } from '../composition';
import { periodicPurge, PURGE_INTERVAL_MS } from './periodic-purge';
import { createAlertCenter } from '../alerts/center';
import { scheduleWorkflowHealthChecks } from '../alerts/workflow-health';
import { createServiceWorkers, runWorkers, shutdownWorkers } from './service-workers';

async function main(): Promise<void> {
  TemporalRuntime.install({ logger: new DefaultLogger('WARN') });
  const runtime = await openRuntime('worker');
  const { config, logger } = runtime;
  await ensureSearchAttributes(runtime.temporal.connection, config.TEMPORAL_NAMESPACE, logger);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const workers = await createServiceWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    config,
    workflows: await workflowSource(),
    activities: createActivities({
      config,
      logger,
      db: runtime.database.db,
      temporal: runtime.temporal,
      secretBox: runtime.secretBox,
      platforms: createPlatformClients(config, logger),
    }),
  });
  const purge = setInterval(() => {
    periodicPurge(runtime.database.db, logger).catch((err: unknown) => logger.warn({ err }, 'periodic purge failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const stopHealthChecks = scheduleWorkflowHealthChecks(
    {
      client: runtime.temporal,
      alerts: createAlertCenter({ db: runtime.database.db, temporal: runtime.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger }),
      logger,
    },
    config.WORKFLOW_HEALTH_CHECK_INTERVAL_MS,
  );
  // The heap limit shows whether the V8 settings of src/worker/node-options.ts reached this process.
  const heapLimitMiB = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  logger.info({ taskQueues: [config.TEMPORAL_TASK_QUEUE, config.TEMPORAL_CATALOG_TASK_QUEUE], heapLimitMiB }, 'worker polling');
  const stop = (signal: string) => {
    logger.info({ signal }, 'worker shutting down');
    shutdownWorkers(workers);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await runWorkers(workers);
  stopHealthChecks();
  await connection.close();
  await runtime.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
