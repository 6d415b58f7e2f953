import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The sample 商品データCSV / オプションデータCSV pair as the MakeShop admin screen downloads them
 * (CP932, CRLF), kept in the repository: test/fixtures/makeshop-samples/README.md says what each row exercises.
 */
export const SAMPLES_DIR = join(__dirname, '..', 'fixtures', 'makeshop-samples');

export function sampleCsv(name: 'products' | 'options'): Buffer {
  return readFileSync(join(SAMPLES_DIR, `${name}.csv`));
}
