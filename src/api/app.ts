import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import type { AppDeps } from './deps';
import { errorMiddleware } from './middleware/errors';
import { HttpError } from './errors';
import { apiAuth } from './middleware/auth';
import { onboardingRouters } from './routes/onboarding-feature';
import { healthRoutes } from './routes/health';
import { syncRoutes } from './routes/sync';
import { smaregiWebhookGate, webhookRoutes } from './routes/webhooks';
import { apiContentTypes, csrfGuard, knownMethodsOnly, noStore } from './middleware/request-guards';
import { setPasswordHashCost } from './passwords';
import { webRoutes } from './routes/web';
import { catalogRoutes } from './routes/catalog';
import { makeshopAppsRoutes } from './routes/makeshop-apps';
import { alertRoutes } from './routes/alerts';
import { registerAlertMetrics, registerWorkflowHealthMetrics } from './alert-metrics';

/** One router per feature; the app only composes them. Does not listen: callers (main, tests) do. */
export function createApp(deps: AppDeps): Koa {
  // Behind the compose Caddy (TRUST_PROXY=true) the client address is the last X-Forwarded-For entry,
  // the one our own proxy appended; without a trusted proxy the header is ignored.
  const app = new Koa({ proxy: deps.config.TRUST_PROXY, maxIpsCount: 1 });
  setPasswordHashCost(deps.config.PASSWORD_HASH_LOG2N);
  app.use(requestMetrics(deps));
  app.use(errorMiddleware(deps.logger));
  app.use(noStore());
  app.use(knownMethodsOnly());
  // Everything up to the body parser decides without reading the body: refused requests stay unparsed.
  app.use(smaregiWebhookGate(deps));
  app.use(apiAuth(deps));
  app.use(csrfGuard(deps.config));
  app.use(apiContentTypes());
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb', encoding: 'utf-8', onError: refuseUnreadableBody }));
  registerAlertMetrics(deps);
  registerWorkflowHealthMetrics(deps);
  const routers: Router[] = [
    healthRoutes(deps),
    webhookRoutes(deps),
    makeshopAppsRoutes(deps),
    syncRoutes(deps),
    catalogRoutes(deps),
    alertRoutes(deps),
    ...onboardingRouters(deps),
    webRoutes(),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  return app;
}

/** A body that is not a JSON object or array, or too large: the client's fault (400/413), never a 500. */
function refuseUnreadableBody(err: Error): never {
  const status = (err as { status?: number }).status;
  if (status === 413) throw new HttpError(413, 'body_too_large', '送信データが大きすぎます。');
  throw new HttpError(400, 'invalid_json', '送信データを読み取れません。JSONオブジェクトを送信してください。');
}

function requestMetrics(deps: AppDeps): Koa.Middleware {
  return async (ctx, next) => {
    const end = deps.metrics.httpRequests.startTimer({ method: ctx.method });
    try {
      await next();
    } finally {
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      end({ route: String(route), status: String(ctx.status) });
    }
  };
}
