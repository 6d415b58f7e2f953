import Router from '@koa/router';
import type { AppDeps } from '../deps';
import { buildOpenApiDocument, documentedRoute, registerRoute } from '../openapi';

/** Routes owned by the foundation (health.ts): documented here so the document covers them too. */
function registerFoundationRoutes(): void {
  registerRoute({ method: 'get', path: '/healthz', summary: 'The process is up', tags: ['operations'] });
  registerRoute({
    method: 'get',
    path: '/readyz',
    summary: 'Temporal and MongoDB are reachable (503 when not); the error texts only with the operator token',
    tags: ['operations'],
  });
  registerRoute({ method: 'get', path: '/metrics', summary: 'Prometheus metrics (operator token)', tags: ['operations'], auth: 'operator', responseContentType: 'text/plain' });
}

export function openApiRoutes(deps: AppDeps): Router {
  registerFoundationRoutes();
  const router = new Router();
  documentedRoute(router, { method: 'get', path: '/api/v1/openapi.json', summary: 'This OpenAPI 3.1 document', tags: ['operations'], auth: 'none' }, (ctx) => {
    ctx.body = buildOpenApiDocument({ serverUrl: deps.config.PUBLIC_BASE_URL.replace(/\/+$/, '') });
  });
  return router;
}
