import type { Server } from 'node:http';
import Koa from 'koa';
import { createLogger, type Logger } from '../../lib/logger';
import type { FetchLike } from '../../platforms/http';
import { appsRouter } from './apps-api';
import { appsControlRouter } from './apps-control';
import { controlRouter } from './control-api';
import { BodyError } from './http-body';
import { legacyRouter } from './legacy-api';
import { ShopInputError } from './shop';
import { MakeshopSimState } from './state';

export interface MakeshopSimulatorOptions {
  /** The shop-wide gap between two legacy requests; MakeShop's rule is 1 request per second (§2.2). */
  minIntervalMs?: number;
  now?: () => number;
  /** Source for fault injection and notification drops; inject a scripted one for deterministic tests. */
  random?: () => number;
  /** Used to call the 更新通知 URL. */
  fetch?: FetchLike;
  logger?: Logger;
}

export interface MakeshopSimulator {
  app: Koa;
  state: MakeshopSimState;
  listen(port: number, host?: string): Promise<Server>;
}

/**
 * MakeShop's legacy API (webftp CSV upload + orderinfo + 更新通知) and the makeshop apps GraphQL API over
 * the same shops, in one Koa app, plus /__sim control.
 */
export function createMakeshopSimulator(opts: MakeshopSimulatorOptions = {}): MakeshopSimulator {
  const logger = opts.logger ?? createLogger('makeshop-sim');
  const state = new MakeshopSimState({
    minIntervalMs: opts.minIntervalMs ?? 1000,
    now: opts.now ?? Date.now,
    random: opts.random ?? Math.random,
    fetch: opts.fetch ?? fetch,
    logger,
  });
  const control = controlRouter(state);
  const legacy = legacyRouter(state);
  const app = new Koa();
  app.use(errorMiddleware(logger));
  app.use(control.routes());
  app.use(control.allowedMethods());
  app.use(legacy.routes());
  app.use(legacy.allowedMethods());
  for (const router of [appsControlRouter(state), appsRouter(state)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return {
    app,
    state,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        const server = app.listen(port, host);
        server.once('listening', () => resolve(server));
        server.once('error', reject);
      }),
  };
}

/** Control-API errors as `{error: {code, message}}`; legacy-API errors as plain text. */
function errorMiddleware(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) fail(ctx, 404, 'not_found', `no such endpoint: ${ctx.method} ${ctx.path}`);
    } catch (error) {
      if (error instanceof BodyError || error instanceof ShopInputError) {
        const code = { 400: 'bad_request', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large' }[error.status];
        fail(ctx, error.status, code, error.message);
      } else {
        logger.error({ err: error, path: ctx.path }, 'makeshop simulator failed');
        fail(ctx, 500, 'internal', 'simulator error');
      }
    }
  };
}

function fail(ctx: Koa.Context, status: number, code: string, message: string): void {
  ctx.status = status;
  if (ctx.path.startsWith('/__sim')) {
    ctx.body = { error: { code, message } };
  } else {
    ctx.type = 'text/plain; charset=UTF-8';
    ctx.body = message;
  }
}
