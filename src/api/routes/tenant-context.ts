import type { Context } from 'koa';
import { unauthorized } from '../errors';

/** The tenant the authenticated merchant belongs to (set by the auth middleware); the only tenant it may see. */
export function tenantIdOf(ctx: Context): string {
  const tenantId = (ctx.state as { tenantId?: unknown }).tenantId;
  if (typeof tenantId !== 'string' || tenantId === '') throw unauthorized();
  return tenantId;
}
