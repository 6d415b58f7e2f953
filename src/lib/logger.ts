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
