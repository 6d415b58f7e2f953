import type { AddressInfo } from 'node:net';
import { createLogger } from '../../lib/logger';
import { demoMakeshopShop } from '../demo-data';
import { createMakeshopSimulator } from './app';

/**
 * Runs the MakeShop simulator on its own (`npm run sim:makeshop`), seeded with the demo shop unless
 * SIM_SEED=none. MAKESHOP_SIM_MIN_INTERVAL_MS relaxes the 1 request/second rule (default 1000);
 * MAKESHOP_SIM_NOTIFICATION_URL pre-wires the demo shop's 更新通知 URL (else set it via the control API).
 * MAKESHOP_SIM_APP_WEBHOOK_BASE_URL (the service's address) wires the makeshop app's webhooks to the service,
 * with its MAKESHOP_APP_API_KEY and MAKESHOP_APP_LAUNCH_SECRET; MAKESHOP_SIM_ORDER_UPDATE_INTERVAL_MS sets the
 * 注文更新通知 cycle (default 120000, like MakeShop's).
 */
async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger('makeshop-sim');
  const port = Number(env.MAKESHOP_SIM_PORT ?? 3102);
  const host = env.HOST ?? '127.0.0.1';
  const sim = createMakeshopSimulator({ minIntervalMs: Number(env.MAKESHOP_SIM_MIN_INTERVAL_MS ?? 1000), logger });
  if (env.SIM_SEED !== 'none') {
    const shop = sim.state.replaceShop(demoMakeshopShop());
    shop.notificationUrl = env.MAKESHOP_SIM_NOTIFICATION_URL || null;
  }
  const appWebhooks = env.MAKESHOP_SIM_APP_WEBHOOK_BASE_URL?.replace(/\/+$/, '');
  if (appWebhooks) {
    sim.state.apps.configure({
      ...(env.MAKESHOP_APP_API_KEY ? { apiKey: env.MAKESHOP_APP_API_KEY } : {}),
      installUrl: `${appWebhooks}/webhooks/makeshop/apps/install`,
      uninstallUrl: `${appWebhooks}/webhooks/makeshop/apps/uninstall`,
      orderUpdateUrl: `${appWebhooks}/webhooks/makeshop/apps/orders`,
      orderUpdateIntervalMs: Number(env.MAKESHOP_SIM_ORDER_UPDATE_INTERVAL_MS ?? 120_000),
    });
    if (env.MAKESHOP_APP_LAUNCH_SECRET) sim.state.apps.launchSecret = env.MAKESHOP_APP_LAUNCH_SECRET;
  }
  const server = await sim.listen(port, host);
  const { address, port: boundPort } = server.address() as AddressInfo;
  logger.info({ url: `http://${address}:${boundPort}`, seeded: env.SIM_SEED !== 'none' }, 'makeshop simulator listening');
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('makeshop simulator failed to start:', err);
  process.exit(1);
});
