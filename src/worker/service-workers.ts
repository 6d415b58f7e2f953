import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';

type WorkflowCode = { workflowBundle: { code: string } | { codePath: string } } | { workflowsPath: string };

/**
 * The worker polls two task queues: the onboarding and sync workflows' queue, and the catalog imports'
 * own queue with a few activity slots. A huge import then only ever takes catalog slots, never the ones
 * every tenant's sync needs (a dedicated catalog worker can be run by giving it only that queue's load).
 */
export async function createServiceWorkers(options: {
  connection: NativeConnection;
  namespace?: string;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'TEMPORAL_CATALOG_TASK_QUEUE' | 'CATALOG_IMPORTS_PER_WORKER' | 'WORKER_CACHED_WORKFLOWS'>;
  workflows: WorkflowCode;
  activities: object;
}): Promise<Worker[]> {
  const { connection, namespace, config, activities } = options;
  // Bundled once for both workers.
  const workflows = 'workflowsPath' in options.workflows ? { workflowBundle: await bundleWorkflowCode({ workflowsPath: options.workflows.workflowsPath }) } : options.workflows;
  const sync = await Worker.create({
    connection,
    namespace,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflows,
    activities,
    ...(config.WORKER_CACHED_WORKFLOWS !== undefined && { maxCachedWorkflows: config.WORKER_CACHED_WORKFLOWS }),
  });
  const catalog = await Worker.create({
    connection,
    namespace,
    taskQueue: config.TEMPORAL_CATALOG_TASK_QUEUE,
    ...workflows,
    activities,
    maxConcurrentActivityTaskExecutions: config.CATALOG_IMPORTS_PER_WORKER,
  });
  return [sync, catalog];
}

/** Runs the workers until all have stopped; one failing stops the others. */
export async function runWorkers(workers: readonly Worker[]): Promise<void> {
  try {
    await Promise.all(workers.map((worker) => worker.run()));
  } catch (err) {
    shutdownWorkers(workers);
    throw err;
  }
}

export function shutdownWorkers(workers: readonly Worker[]): void {
  for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
}
