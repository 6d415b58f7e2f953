import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';

/** Flat asset names only: no slashes, no dot segments, so a request can never leave the folder. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(?:js|css|svg)$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Everything the admin UI loads comes from this origin; the API is same-origin JSON. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface WebRoutesOptions {
  /** The folder holding index.html and assets/; defaults to src/web (also found from dist/). */
  root?: string;
}

/** The merchant admin UI: `/` is index.html, `/assets/<name>` its scripts, styles and icons. */
export function webRoutes(options: WebRoutesOptions = {}): Router {
  const root = options.root ?? defaultWebRoot();
  const assets = join(root, 'assets');
  const router = new Router();
  router.get('/', (ctx) => sendFile(ctx, join(root, 'index.html')));
  router.get('/assets/:name', async (ctx) => {
    const name = ctx.params.name ?? '';
    if (!ASSET_NAME.test(name)) return;
    const file = resolve(assets, name);
    if (!file.startsWith(assets + sep)) return;
    await sendFile(ctx, file);
  });
  return router;
}

/** src/web when running from source; the built layout (dist/api/routes) looks for dist/web, then the source tree. */
function defaultWebRoot(): string {
  const candidates = [resolve(__dirname, '..', '..', 'web'), resolve(__dirname, '..', '..', '..', 'src', 'web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

/** Leaves ctx untouched (so the request ends as a 404) when the file does not exist. */
async function sendFile(ctx: Context, file: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return;
  const body = await readFile(file);
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  if (extname(file) === '.html') {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Frame-Options', 'DENY');
  }
  ctx.type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  ctx.etag = createHash('sha1').update(body).digest('base64url');
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.body = body;
}
