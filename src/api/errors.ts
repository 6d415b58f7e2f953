/**
 * An error the API answers as-is: `{ error: { code, message, details? } }`. Messages that a merchant
 * reads are Japanese and say what to do; `code` is stable and English for programs.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (message = '見つかりません。') => new HttpError(404, 'not_found', message);
export const conflict = (code: string, message: string, details?: unknown) => new HttpError(409, code, message, details);
export const badRequest = (code: string, message: string, details?: unknown) => new HttpError(400, code, message, details);
export const unauthorized = (message = 'ログインしてください。') => new HttpError(401, 'unauthorized', message);
