import { z } from 'zod';
import { HttpError } from './errors';

/**
 * Request validation at the edge. Schemas carry Japanese messages a merchant can act on; this turns
 * every issue into one 400 answer that lists them all, with the field path of each in `details`.
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const message = [...new Set(details.map((d) => d.message))].join(' ');
  throw new HttpError(400, 'invalid_request', message, details);
}

/** A required string field whose messages name the field, e.g. label 「ショップ名」. */
export function requiredText(label: string, opts: { max: number; pattern?: RegExp; patternMessage?: string }) {
  let schema = z
    .string({ error: (issue) => (issue.input === undefined ? `${label}を入力してください。` : `${label}は文字列で入力してください。`) })
    .min(1, `${label}を入力してください。`)
    .max(opts.max, `${label}は${opts.max}文字以内で入力してください。`);
  if (opts.pattern) schema = schema.regex(opts.pattern, opts.patternMessage ?? `${label}の形式が正しくありません。`);
  return schema;
}

/** An object that refuses unknown fields, naming them (a typo must not be silently ignored). */
export function strictBody<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `不明な項目があります: ${issue.keys.join(', ')}。`;
      if (issue.code === 'invalid_type') return 'JSONオブジェクトを送信してください。';
      return undefined;
    },
  });
}

export const PRINTABLE_ASCII = /^[ -~]+$/;

/** `page` (from 1) and `limit` query parameters of a paged list, with Japanese messages. */
export function pageParams(opts: { maxLimit: number; defaultLimit: number }) {
  const pageMessage = 'page は1以上の整数で指定してください。';
  const limitMessage = `limit は1〜${opts.maxLimit}の整数で指定してください。`;
  return {
    page: z.coerce.number({ error: pageMessage }).int(pageMessage).min(1, pageMessage).default(1),
    limit: z.coerce.number({ error: limitMessage }).int(limitMessage).min(1, limitMessage).max(opts.maxLimit, limitMessage).default(opts.defaultLimit),
  };
}
