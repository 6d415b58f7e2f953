import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const url = (fallback: string) => z.url({ message: 'must be an absolute URL such as http://host:port' }).default(fallback);
const duration = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');
const secretKey = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 random bytes, base64-encoded (openssl rand -base64 32)');

/** The embedded stack's simulator credentials: fine on a laptop, never in production. */
export const SIMULATOR_DEFAULTS = {
  SMAREGI_CLIENT_ID: 'sim-client-id',
  SMAREGI_CLIENT_SECRET: 'sim-client-secret',
  SMAREGI_WEBHOOK_HEADER_VALUE: 'sim-webhook-secret',
  MAKESHOP_APP_API_KEY: 'sim-app-api-key',
  MAKESHOP_APP_LAUNCH_SECRET: 'sim-app-launch-secret',
} as const;
/** scrypt N = 2^17 for merchant passwords (OWASP's recommendation); lower only in tests. */
export const PRODUCTION_PASSWORD_HASH_LOG2N = 17;

/**
 * Every environment variable the service reads, with its default. `.env.example` mirrors this list;
 * keep the two in step.
 */
export const configSchema = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),

  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(3000),
  PUBLIC_BASE_URL: url('http://127.0.0.1:3000'),
  /** Behind a reverse proxy (compose: Caddy): take the client address and scheme from X-Forwarded-*. */
  TRUST_PROXY: flag(false),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('zaiko-sync'),
  TEMPORAL_CATALOG_TASK_QUEUE: z.string().min(1).default('zaiko-sync-catalog'),
  CATALOG_IMPORTS_PER_WORKER: z.coerce.number().int().min(1).default(2),
  /** Workflow runs one worker process keeps in memory (Temporal's sticky cache); unset or empty: the SDK's default from the heap limit. */
  WORKER_CACHED_WORKFLOWS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(100_000).optional()),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),

  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').default('mongodb://127.0.0.1:27017/'),
  MONGODB_DB: z.string().min(1).default('zaiko_sync'),
  MONGODB_PORT: port(27017),

  APP_SECRET_KEY: secretKey.optional(),
  /** Key rotation: comma-separated keys, newest first; the newest seals, all of them open. */
  APP_SECRET_KEYS: z
    .string()
    .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(secretKey))
    .optional()
    .transform((keys) => (keys && keys.length > 0 ? keys : undefined)),
  PASSWORD_HASH_LOG2N: z.coerce.number().int().min(10).max(20).default(PRODUCTION_PASSWORD_HASH_LOG2N),
  OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How merchants reach the operator; shown on pages that need one (e.g. a contract held by another account). */
  SUPPORT_CONTACT: z.string().min(1).default('support@zaiko-sync.example'),

  SMAREGI_ID_BASE_URL: url('http://127.0.0.1:3101'),
  SMAREGI_API_BASE_URL: url('http://127.0.0.1:3101'),
  SMAREGI_CLIENT_ID: z.string().min(1).default(SIMULATOR_DEFAULTS.SMAREGI_CLIENT_ID),
  SMAREGI_CLIENT_SECRET: z.string().min(1).default(SIMULATOR_DEFAULTS.SMAREGI_CLIENT_SECRET),
  SMAREGI_WEBHOOK_HEADER_NAME: z.string().min(1).default('X-Zaiko-Webhook-Secret'),
  SMAREGI_WEBHOOK_HEADER_VALUE: z.string().min(8).default(SIMULATOR_DEFAULTS.SMAREGI_WEBHOOK_HEADER_VALUE),
  SMAREGI_READS_PER_SECOND: z.coerce.number().positive().default(50),
  SMAREGI_WRITES_PER_SECOND: z.coerce.number().positive().default(20),

  MAKESHOP_BASE_URL: url('http://127.0.0.1:3102'),
  MAKESHOP_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
  MAKESHOP_GRAPHQL_URL: url('http://127.0.0.1:3102/v1/graphql'),
  MAKESHOP_APP_API_KEY: z.string().min(1).default(SIMULATOR_DEFAULTS.MAKESHOP_APP_API_KEY),
  MAKESHOP_APP_LAUNCH_SECRET: z.string().min(8).default(SIMULATOR_DEFAULTS.MAKESHOP_APP_LAUNCH_SECRET),
  MAKESHOP_APPS_ROWS_PER_CALL: z.coerce.number().int().min(1).max(10_000).default(500),
  MAKESHOP_APPS_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),

  SMAREGI_SIM_PORT: port(3101),
  MAKESHOP_SIM_PORT: port(3102),

  CATALOG_MAX_FILE_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
  CATALOG_MAX_ROWS: z.coerce.number().int().positive().default(500_000),
  CATALOG_MAX_FIELD_CHARS: z.coerce.number().int().positive().default(1000),
  SYNC_DEBOUNCE_MS: duration(300),
  SYNC_MAX_DELAY_MS: duration(2000),
  SYNC_RECONCILE_INTERVAL_MS: duration(10 * 60 * 1000),
  SYNC_DRIFT_REPAIR_INTERVAL_MS: duration(60 * 60 * 1000),

  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps:// (smtp://user:pass@host:587)').default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('zaiko-sync <no-reply@zaiko-sync.localhost>'),
  // Empty (compose's `${OPERATOR_ALERT_EMAIL:-}`) means unset.
  OPERATOR_ALERT_EMAIL: z.preprocess((v) => (v === '' ? undefined : v), z.email({ message: 'must be an email address' }).optional()),
  ALERT_STALL_MS: duration(15 * 60 * 1000),
  ALERT_MAIL_INTERVAL_MS: duration(60 * 60 * 1000),
  WORKFLOW_HEALTH_CHECK_INTERVAL_MS: duration(60 * 1000),
  MAILPIT_SMTP_PORT: port(1025),
  MAILPIT_UI_PORT: port(8025),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Reads and validates the environment; one message lists every problem so start-up fails once, clearly. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  const problems = result.success
    ? productionProblems(result.data)
    : result.error.issues.map((i) => ({ name: i.path.join('.'), message: i.message }));
  if (problems.length > 0 || !result.success) {
    const list = problems.map((p) => `  - ${p.name}: ${p.message}`).join('\n');
    throw new ConfigError(`Invalid configuration (fix these environment variables):\n${list}`);
  }
  return result.data;
}

/** The secret keys, newest first: APP_SECRET_KEYS when set, else the single APP_SECRET_KEY. */
export function secretKeysOf(config: Pick<Config, 'APP_SECRET_KEY' | 'APP_SECRET_KEYS'>): string[] {
  return config.APP_SECRET_KEYS ?? (config.APP_SECRET_KEY ? [config.APP_SECRET_KEY] : []);
}

/** With NODE_ENV=production the embedded stack's conveniences are refused, each with its own message. */
function productionProblems(config: Config): { name: string; message: string }[] {
  if (config.NODE_ENV !== 'production') return [];
  const problems: { name: string; message: string }[] = [];
  for (const [name, value] of Object.entries(SIMULATOR_DEFAULTS)) {
    if (config[name as keyof typeof SIMULATOR_DEFAULTS] === value) {
      problems.push({ name, message: `is the simulator's default (${value}); set the real value (Smaregi developer console, MakeShop app settings)` });
    }
  }
  if (new URL(config.PUBLIC_BASE_URL).protocol !== 'https:') {
    problems.push({ name: 'PUBLIC_BASE_URL', message: 'must be an https:// URL in production (merchants log in and MakeShop sends order notifications there)' });
  }
  if (secretKeysOf(config).length === 0) {
    problems.push({ name: 'APP_SECRET_KEYS', message: 'is required in production (or APP_SECRET_KEY): 32 random bytes, base64 (openssl rand -base64 32)' });
  }
  if (!config.OPERATOR_TOKEN) {
    problems.push({ name: 'OPERATOR_TOKEN', message: 'is required in production: the operator API, /metrics and /readyz details need it' });
  }
  if (config.PASSWORD_HASH_LOG2N < PRODUCTION_PASSWORD_HASH_LOG2N) {
    problems.push({ name: 'PASSWORD_HASH_LOG2N', message: `must be at least ${PRODUCTION_PASSWORD_HASH_LOG2N} in production (lower values are for tests only)` });
  }
  return problems;
}
