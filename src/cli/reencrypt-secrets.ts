// `npm run secrets:reencrypt` (production image: `node dist/cli/reencrypt-secrets.js`): reseals every
// secret at rest with the newest key of APP_SECRET_KEYS, printing one progress line per batch.
import { loadConfig, secretKeysOf } from '../config';
import { SecretBox } from '../storage/crypto';
import { connectDatabase } from '../storage/db';
import { reencryptSecrets } from '../storage/secrets';
import { createLogger } from '../lib/logger';

const PROGRESS_EVERY = 100;

async function main(): Promise<void> {
  const config = loadConfig();
  const keys = secretKeysOf(config);
  if (keys.length === 0) throw new Error('APP_SECRET_KEYS (newest first) or APP_SECRET_KEY is required');
  const secretBox = new SecretBox(keys);
  const database = await connectDatabase(config.MONGODB_URL, config.MONGODB_DB, createLogger('reencrypt', 'warn'));
  try {
    console.log(`[reencrypt] sealing with key ${secretBox.currentKeyId} (${keys.length} key(s) configured)`);
    const done = await reencryptSecrets(database.db, secretBox, (p) => {
      if (p.scanned % PROGRESS_EVERY === 0 || p.scanned === p.total) {
        console.log(`[reencrypt] ${p.scanned}/${p.total} documents scanned, ${p.resealed} resealed`);
      }
    });
    console.log(`[reencrypt] done: ${done.resealed} of ${done.total} documents resealed; keys other than ${secretBox.currentKeyId} may now be removed`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(`[reencrypt] FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
