import busboy from 'busboy';
import type Koa from 'koa';
import type { z } from 'zod';

/** Request-body readers for the simulator (no body-parser middleware: each route reads what it expects). */
const BODY_LIMIT_BYTES = 64 * 1024 * 1024;

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

export async function readRawBody(ctx: Koa.Context): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) throw new BodyError(413, `request body exceeds ${BODY_LIMIT_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Query string merged with an application/x-www-form-urlencoded body (form fields win). */
export async function readQueryAndForm(ctx: Koa.Context): Promise<Record<string, string>> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(ctx.querystring)) params[name] = value;
  if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
    for (const [name, value] of new URLSearchParams((await readRawBody(ctx)).toString('utf8'))) params[name] = value;
  }
  return params;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: Record<string, Buffer>;
}

export function readMultipart(ctx: Koa.Context): Promise<MultipartBody> {
  if (!ctx.is('multipart/form-data')) return Promise.reject(new BodyError(400, 'expected multipart/form-data'));
  return new Promise((resolve, reject) => {
    const body: MultipartBody = { fields: {}, files: {} };
    const parser = busboy({ headers: ctx.req.headers, limits: { fileSize: BODY_LIMIT_BYTES } });
    parser.on('field', (name, value) => (body.fields[name] = value));
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => reject(new BodyError(413, `file ${name} exceeds ${BODY_LIMIT_BYTES} bytes`)));
      stream.on('end', () => (body.files[name] = Buffer.concat(chunks)));
    });
    parser.on('error', (error: Error) => reject(new BodyError(400, `unreadable multipart body: ${error.message}`)));
    parser.on('close', () => resolve(body));
    ctx.req.pipe(parser);
  });
}

/** A JSON body validated by `schema`; every problem in one 400 message. */
export async function readJson<S extends z.ZodType>(ctx: Koa.Context, schema: S): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse((await readRawBody(ctx)).toString('utf8'));
  } catch {
    throw new BodyError(400, 'request body must be JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new BodyError(400, parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}
