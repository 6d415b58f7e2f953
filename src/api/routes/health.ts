import Router from '@koa/router';
import type { AppDeps } from '../deps';
import { pingDatabase } from '../../storage/db';
import { isOperator, requireOperator } from '../middleware/auth';

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: AppDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const [mongodb, temporal] = await Promise.all([
      withTimeout(pingDatabase(deps.db), 2000).then(
        () => ({ ok: true }),
        (err: Error) => ({ ok: false, error: err.message }),
      ),
      withTimeout(deps.temporal.connection.workflowService.getSystemInfo({}), 2000).then(
        () => ({ ok: true }),
        (err: Error) => ({ ok: false, error: err.message }),
      ),
    ]);
    const ready = mongodb.ok && temporal.ok;
    ctx.status = ready ? 200 : 503;
    // Error texts name hosts and ports: only the operator sees them.
    const checks = isOperator(deps.config, ctx) ? { mongodb, temporal } : { mongodb: { ok: mongodb.ok }, temporal: { ok: temporal.ok } };
    ctx.body = { status: ready ? 'ready' : 'not-ready', checks };
  });
  router.get('/metrics', async (ctx) => {
    requireOperator(deps.config, ctx);
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}
