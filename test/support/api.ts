import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app';
import type { AppDeps } from '../../src/api/deps';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/lib/logger';
import { createMetrics } from '../../src/lib/metrics';

/** The real Koa app on a free port, wired to the test run's Temporal and FerretDB. */
export async function startTestApi(
  deps: Pick<AppDeps, 'db' | 'temporal'> & { config?: Partial<Config> } & Partial<Omit<AppDeps, 'config'>>,
): Promise<{ baseUrl: string; server: Server; deps: AppDeps; close(): Promise<void> }> {
  const config = { ...loadConfig(process.env), ...deps.config };
  const full: AppDeps = {
    ...deps,
    config,
    logger: deps.logger ?? createLogger('api-test', process.env.LOG_LEVEL ?? 'silent'),
    metrics: deps.metrics ?? createMetrics('api-test'),
    webhookTenants: deps.webhookTenants ?? noTenants,
  } as AppDeps;
  const server = createApp(full).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    server,
    deps: full,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const noTenants: AppDeps['webhookTenants'] = {
  byContractId: async () => null,
  byNotificationToken: async () => null,
  applySubscription: async () => false,
};
