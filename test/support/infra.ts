import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { MongoClient, type Db } from 'mongodb';

/** The servers `npm test` started for the whole run (real Temporal, real FerretDB). */
export function testInfra(): { temporalAddress: string; mongoUrl: string; bundlePath: string } {
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  const mongoUrl = process.env.MONGODB_URL;
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  if (!temporalAddress || !mongoUrl || !bundlePath) {
    throw new Error('run the tests through `npm test` (it starts Temporal and FerretDB and sets TEMPORAL_ADDRESS, MONGODB_URL)');
  }
  return { temporalAddress, mongoUrl, bundlePath };
}

let runtimeInstalled = false;
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

/**
 * Everything the Temporal runtime logs (workflow `log` calls included) goes to `lines`, at DEBUG. The
 * runtime is one per process: call this before anything connects to Temporal.
 */
export function captureTemporalRuntimeLogs(lines: string[]): void {
  if (runtimeInstalled) throw new Error('the Temporal runtime is already installed: capture its logs before connecting');
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => lines.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`)) });
}

export async function temporalClient(): Promise<{ client: Client; connection: Connection; native: NativeConnection }> {
  quietTemporalRuntime();
  const { temporalAddress } = testInfra();
  const connection = await Connection.connect({ address: temporalAddress });
  const native = await NativeConnection.connect({ address: temporalAddress });
  return { client: new Client({ connection }), connection, native };
}

/** A database of its own for each test file, so files run in parallel without seeing each other. */
export async function testDatabase(label: string): Promise<{ db: Db; client: MongoClient; name: string; drop(): Promise<void> }> {
  const { mongoUrl } = testInfra();
  const client = new MongoClient(mongoUrl);
  await client.connect();
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_')}_${randomUUID().slice(0, 8)}`;
  const db = client.db(name);
  return {
    db,
    client,
    name,
    async drop() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

export const uniqueTaskQueue = (label: string) => `test-${label}-${randomUUID().slice(0, 8)}`;

/** A worker on this run's workflow bundle with the given activities, polling `taskQueue` until stopped. */
export async function startBundleWorker(connection: NativeConnection, taskQueue: string, activities: object): Promise<{ stop(): Promise<void> }> {
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: { codePath: testInfra().bundlePath }, activities });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
