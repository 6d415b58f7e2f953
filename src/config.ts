import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const url = (fallback: string) => z.url({ message: 'must be an absolute URL such as http://host:port' }).default(fallback);
const duration = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every environment variable the service reads, with its default. `.env.example` mirrors this list;
 * keep the two in step.
 */
export const configSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),

  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(3000),
  PUBLIC_BASE_URL: url('http://127.0.0.1:3000'),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('zaiko-sync'),
  TEMPORAL_CATALOG_TASK_QUEUE: z.string().min(1).default('zaiko-sync-catalog'),
  CATALOG_IMPORTS_PER_WORKER: z.coerce.number().int().min(1).default(2),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),

  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').default('mongodb://127.0.0.1:27017/'),
  MONGODB_DB: z.string().min(1).default('zaiko_sync'),
  MONGODB_PORT: port(27017),

  APP_SECRET_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 random bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How merchants reach the operator; shown on pages that need one (e.g. a contract held by another account). */
  SUPPORT_CONTACT: z.string().min(1).default('support@zaiko-sync.example'),

  SMAREGI_ID_BASE_URL: url('http://127.0.0.1:3101'),
  SMAREGI_API_BASE_URL: url('http://127.0.0.1:3101'),
  SMAREGI_CLIENT_ID: z.string().min(1).default('sim-client-id'),
  SMAREGI_CLIENT_SECRET: z.string().min(1).default('sim-client-secret'),
  SMAREGI_WEBHOOK_HEADER_NAME: z.string().min(1).default('X-Zaiko-Webhook-Secret'),
  SMAREGI_WEBHOOK_HEADER_VALUE: z.string().min(8).default('sim-webhook-secret'),
  SMAREGI_READS_PER_SECOND: z.coerce.number().positive().default(50),
  SMAREGI_WRITES_PER_SECOND: z.coerce.number().positive().default(20),

  MAKESHOP_BASE_URL: url('http://127.0.0.1:3102'),
  MAKESHOP_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
  MAKESHOP_GRAPHQL_URL: url('http://127.0.0.1:3102/v1/graphql'),
  MAKESHOP_APP_API_KEY: z.string().min(1).default('sim-app-api-key'),
  MAKESHOP_APP_LAUNCH_SECRET: z.string().min(8).default('sim-app-launch-secret'),
  MAKESHOP_APPS_ROWS_PER_CALL: z.coerce.number().int().min(1).max(10_000).default(500),

  SMAREGI_SIM_PORT: port(3101),
  MAKESHOP_SIM_PORT: port(3102),

  CATALOG_MAX_FILE_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
  CATALOG_MAX_ROWS: z.coerce.number().int().positive().default(500_000),
  CATALOG_MAX_FIELD_CHARS: z.coerce.number().int().positive().default(1000),
  SYNC_DEBOUNCE_MS: duration(300),
  SYNC_MAX_DELAY_MS: duration(2000),
  SYNC_RECONCILE_INTERVAL_MS: duration(10 * 60 * 1000),

  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps:// (smtp://user:pass@host:587)').default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('zaiko-sync <no-reply@zaiko-sync.localhost>'),
  // Empty (compose's `${OPERATOR_ALERT_EMAIL:-}`) means unset.
  OPERATOR_ALERT_EMAIL: z.preprocess((v) => (v === '' ? undefined : v), z.email({ message: 'must be an email address' }).optional()),
  ALERT_STALL_MS: duration(15 * 60 * 1000),
  ALERT_MAIL_INTERVAL_MS: duration(60 * 60 * 1000),
  MAILPIT_SMTP_PORT: port(1025),
  MAILPIT_UI_PORT: port(8025),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Reads and validates the environment; one message lists every problem so start-up fails once, clearly. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid configuration (fix these environment variables):\n${problems}`);
  }
  return result.data;
}
