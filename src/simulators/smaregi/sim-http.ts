import type Koa from 'koa';
import type { z } from 'zod';
import type { Logger } from '../../lib/logger';

/** A platform API error, answered the way Smaregi does: RFC 7807 problem+json ([O] §4.3). */
export class SimProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string) => new SimProblem(400, 'Bad Request', detail);
export const notFoundProblem = (detail = '指定されたIDのリソースが見つかりません') =>
  new SimProblem(404, 'NotFound', detail);

/** A control-API (/__sim) error: `{error: {code, message}}`, like the service's own API. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// Large enough to seed a contract of several hundred thousand products (the catalog benchmark).
const BODY_LIMIT_BYTES = 128 * 1024 * 1024;

export async function readRawBody(ctx: Koa.Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES)
      throw new SimProblem(413, 'Payload Too Large', `request body exceeds ${BODY_LIMIT_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads and validates a JSON body; `fail` turns a message into the right error for the API. */
export async function readJsonBody<S extends z.ZodType>(
  ctx: Koa.Context,
  schema: S,
  fail: (message: string) => Error,
): Promise<z.output<S>> {
  const text = await readRawBody(ctx);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fail('request body must be JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw fail(parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  return parsed.data;
}

export function queryParam(ctx: Koa.Context, name: string): string | undefined {
  const value = ctx.query[name];
  return Array.isArray(value) ? value[0] : value;
}

export function routeParam(ctx: { params: Record<string, string | undefined> }, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no :${name} parameter`);
  return value;
}

export function sendProblem(ctx: Koa.Context, problem: SimProblem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = 'application/problem+json';
  ctx.body = { type: 'about:blank', title: problem.title, detail: problem.detail, status: problem.status };
}

export function isControlPath(path: string): boolean {
  return path === '/__sim' || path.startsWith('/__sim/');
}

/** Renders thrown errors in the format of the API the request was for. */
export function errorMiddleware(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw notFoundFor(ctx.path);
    } catch (err) {
      if (err instanceof SimProblem) {
        if (isControlPath(ctx.path))
          renderControlError(ctx, new ControlError(err.status, 'bad_request', err.detail));
        else sendProblem(ctx, err);
      } else if (err instanceof ControlError) {
        renderControlError(ctx, err);
      } else {
        logger.error({ err, path: ctx.path }, 'smaregi simulator failed');
        sendProblem(ctx, new SimProblem(500, 'Internal Server Error', 'simulator error'));
      }
    }
  };
}

function notFoundFor(path: string): Error {
  return isControlPath(path)
    ? new ControlError(404, 'not_found', `no such control endpoint: ${path}`)
    : notFoundProblem('リソースが見つかりません');
}

function renderControlError(ctx: Koa.Context, err: ControlError): void {
  ctx.status = err.status;
  ctx.body = { error: { code: err.code, message: err.message } };
}
