import type { Middleware } from 'koa';
import { ZodError } from 'zod';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  ServiceError,
  WorkflowFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { redactPath, type Logger } from '../../lib/logger';
import { HttpError } from '../errors';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** The one place that turns thrown errors into HTTP answers. */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const { status, body } = toHttp(err);
      if (status >= 500) logger.error({ err, path: redactPath(ctx.path), method: ctx.method }, 'request failed');
      else logger.debug({ status, code: body.error.code, path: redactPath(ctx.path) }, 'request rejected');
      ctx.status = status;
      ctx.body = body;
    }
  };
}

export function toHttp(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, details: err.details } } };
  }
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const fields = details.map((d) => d.path || '(本文)').join(', ');
    return {
      status: 400,
      body: { error: { code: 'invalid_request', message: `入力内容に誤りがあります: ${fields}`, details } },
    };
  }
  if (isKoaHttpError(err)) {
    return { status: err.status, body: { error: { code: 'invalid_request', message: err.message } } };
  }
  if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0];
      return {
        status: 409,
        body: { error: { code: cause.type ?? 'rejected', message: cause.message, details: details ?? undefined } },
      };
    }
    return { status: 409, body: { error: { code: 'rejected', message: cause?.message ?? err.message } } };
  }
  if (err instanceof WorkflowNotFoundError) {
    return { status: 404, body: { error: { code: 'not_found', message: '見つかりません。' } } };
  }
  if (err instanceof ServiceError || isConnectionError(err)) {
    return {
      status: 503,
      body: { error: { code: 'unavailable', message: '一時的に処理できません。しばらくしてから再度お試しください。' } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: 'サーバーでエラーが発生しました。しばらくしてから再度お試しください。' } },
  };
}

function isKoaHttpError(err: unknown): err is { status: number; message: string; expose: boolean } {
  return typeof err === 'object' && err !== null && 'expose' in err && (err as { expose: unknown }).expose === true && 'status' in err;
}

function isConnectionError(err: unknown): boolean {
  const text = String((err as Error)?.message ?? err);
  return /ECONNREFUSED|Failed to connect|TransportError|UNAVAILABLE|MongoServerSelectionError|MongoNetworkError/.test(text);
}
