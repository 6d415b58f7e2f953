import type { Server } from 'node:http';
import { openRuntime } from '../runtime';
import { createApp } from './app';
import { createAppDeps } from '../composition';

async function main(): Promise<void> {
  const runtime = await openRuntime('api');
  const { config, logger } = runtime;
  const app = createApp(
    createAppDeps({ config, logger, db: runtime.database.db, temporal: runtime.temporal, secretBox: runtime.secretBox }),
  );
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api listening');
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'api shutting down');
    server.close();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
