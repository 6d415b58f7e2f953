import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import type { AppDeps } from './deps';
import { errorMiddleware } from './middleware/errors';
import { apiAuth } from './middleware/auth';
import { onboardingRouters } from './routes/onboarding-feature';
import { healthRoutes } from './routes/health';
import { syncRoutes } from './routes/sync';
import { webhookRoutes } from './routes/webhooks';
import { webRoutes } from './routes/web';
import { catalogRoutes } from './routes/catalog';
import { makeshopAppsRoutes } from './routes/makeshop-apps';
import { alertRoutes } from './routes/alerts';
import { registerAlertMetrics } from './alert-metrics';

/** One router per feature; the app only composes them. Does not listen: callers (main, tests) do. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: true });
  app.use(requestMetrics(deps));
  app.use(errorMiddleware(deps.logger));
  app.use(apiAuth(deps)); // before the body is read: unauthenticated requests are refused unparsed
  app.use(bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '1mb', encoding: 'utf-8' }));
  registerAlertMetrics(deps);
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
