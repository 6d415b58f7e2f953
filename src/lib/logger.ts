import pino, { type Logger } from 'pino';

/**
 * One structured logger for every process. Secrets must never be passed to it; the redact list is a
 * second line of defence for fields that carry them by name.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'orderAuthCode',
        '*.orderAuthCode',
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'req.headers.authorization',
        'req.headers.cookie',
        'secret',
        '*.secret',
        'accessToken',
        '*.accessToken',
      ],
      censor: '[redacted]',
    },
  });
}

export type { Logger };

/**
 * A request path fit for a log line: path segments that are secrets (the MakeShop 更新通知 token) are
 * replaced. Every logger call that names a request path goes through this.
 */
const SECRET_PATH_SEGMENTS = [/^(\/webhooks\/makeshop\/orders\/)[^/]+/i];
export function redactPath(path: string): string {
  return SECRET_PATH_SEGMENTS.reduce((p, pattern) => p.replace(pattern, '$1[redacted]'), path);
}
