import type { AddressInfo } from 'node:net';
import { createLogger } from '../../lib/logger';
import { demoSmaregiContract } from '../demo-data';
import { createSmaregiSimulator } from './app';

/** Runs the Smaregi simulator on its own (`npm run sim:smaregi`), wired to the local service by default. */
async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger('smaregi-sim');
  const port = Number(env.SMAREGI_SIM_PORT ?? 3101);
  const host = env.HOST ?? '127.0.0.1';
  const sim = createSmaregiSimulator({
    clientId: env.SMAREGI_CLIENT_ID ?? 'sim-client-id',
    clientSecret: env.SMAREGI_CLIENT_SECRET ?? 'sim-client-secret',
    webhook: {
      url:
        env.SMAREGI_SIM_WEBHOOK_URL ?? `${env.PUBLIC_BASE_URL ?? 'http://127.0.0.1:3000'}/webhooks/smaregi`,
      header: {
        name: env.SMAREGI_WEBHOOK_HEADER_NAME ?? 'X-Zaiko-Webhook-Secret',
        value: env.SMAREGI_WEBHOOK_HEADER_VALUE ?? 'sim-webhook-secret',
      },
    },
    logger,
  });
  if (env.SIM_SEED !== 'none') sim.state.replaceContract(demoSmaregiContract());
  const server = await sim.listen(port, host);
  const { address, port: boundPort } = server.address() as AddressInfo;
  logger.info(
    { url: `http://${address}:${boundPort}`, webhookUrl: sim.webhooks.currentTarget()?.url },
    'smaregi simulator listening',
  );
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('smaregi simulator failed to start:', err);
  process.exit(1);
});
