import type { Router, RouterMiddleware } from '@koa/router';
import { z } from 'zod';

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with. Every
 * feature registers its routes here (registerRoute) when its module loads; GET /api/v1/openapi.json
 * serves what is registered.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type RouteAuth = 'merchant' | 'operator' | 'none';

export interface RouteDoc {
  method: HttpMethod;
  /** `/api/v1/catalog/uploads/{uploadId}` (OpenAPI style) or `/api/v1/catalog/uploads/:uploadId` (router style). */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Default: merchant for /api/v1 paths, none elsewhere. */
  auth?: RouteAuth;
  /** The JSON body (or the multipart fields, with requestContentType). */
  request?: z.ZodType;
  requestContentType?: string;
  query?: z.ZodObject;
  response?: z.ZodType;
  /** The success status; default 200. */
  status?: number;
  /** Non-JSON success bodies, e.g. 'text/plain'. */
  responseContentType?: string;
}

const registry = new Map<string, RouteDoc>();

/** Idempotent: registering the same method and path again replaces the entry. */
export function registerRoute(doc: RouteDoc): void {
  const path = openApiPath(doc.path);
  registry.set(`${doc.method} ${path}`, { ...doc, path });
}

/** The documented route a request is for (paths compared case-insensitively, as the router does). */
export function findRegisteredRoute(method: string, path: string): RouteDoc | undefined {
  const wanted = `${method.toLowerCase()} ${path.toLowerCase().replace(/\/+$/, '')}`;
  return [...registry].find(([key]) => routePattern(key).test(wanted))?.[1];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const routePattern = (key: string) => new RegExp(`^${key.toLowerCase().split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+')}$`);

export function registeredRoutes(): RouteDoc[] {
  return [...registry.values()];
}

/** Registers the route on the router and in the document at once, so neither can drift. */
export function documentedRoute(router: Router, doc: RouteDoc, ...middleware: RouterMiddleware[]): void {
  registerRoute(doc);
  router.register(routerPath(doc.path), [doc.method.toUpperCase()], middleware);
}

export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
export const routerPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('stable, English: for programs'),
    message: z.string().describe('Japanese: for the person reading it'),
    details: z.unknown().optional(),
  }),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

function defaultAuth(doc: RouteDoc): RouteAuth {
  return doc.auth ?? (doc.path.startsWith('/api/v1/') ? 'merchant' : 'none');
}

const SECURITY: Record<RouteAuth, Record<string, string[]>[]> = {
  merchant: [{ bearerAuth: [] }, { sessionCookie: [] }],
  operator: [{ operatorToken: [] }],
  none: [],
};

function operation(doc: RouteDoc): Record<string, unknown> {
  const auth = defaultAuth(doc);
  const pathParameters = [...doc.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const queryParameters = doc.query
    ? Object.entries((jsonSchema(doc.query, 'input').properties ?? {}) as Record<string, unknown>).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema,
      }))
    : [];
  const status = String(doc.status ?? 200);
  const success = doc.response
    ? { description: 'OK', content: { [doc.responseContentType ?? 'application/json']: { schema: jsonSchema(doc.response, 'output') } } }
    : { description: 'OK' };
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  return {
    summary: doc.summary,
    ...(doc.description && { description: doc.description }),
    ...(doc.tags && { tags: doc.tags }),
    ...(pathParameters.length + queryParameters.length > 0 && { parameters: [...pathParameters, ...queryParameters] }),
    ...(doc.request && {
      requestBody: { required: true, content: { [doc.requestContentType ?? 'application/json']: { schema: jsonSchema(doc.request, 'input') } } },
    }),
    security: SECURITY[auth],
    responses: {
      [status]: success,
      ...(doc.request || doc.query ? { 400: errorResponse('入力内容に誤りがあります') } : {}),
      ...(auth !== 'none' ? { 401: errorResponse('認証されていません') } : {}),
      default: errorResponse('エラー'),
    },
  };
}

export function buildOpenApiDocument(info: { serverUrl: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const routes = registeredRoutes().sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const doc of routes) (paths[doc.path] ??= {})[doc.method] = operation(doc);
  return {
    openapi: '3.1.0',
    info: {
      title: 'zaiko-sync API',
      version: '1.0.0',
      description: 'Smaregi POS → MakeShop stock sync. Errors are `{ "error": { "code", "message", "details"? } }`.',
    },
    servers: [{ url: info.serverUrl }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorSchema, 'output') },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Merchant session token from POST /api/v1/accounts or /sessions' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'zaiko_session' },
        operatorToken: { type: 'http', scheme: 'bearer', description: 'OPERATOR_TOKEN' },
      },
    },
  };
}
