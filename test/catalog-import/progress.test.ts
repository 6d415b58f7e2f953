// The upload's progress as the merchant polls it: saved at most once per interval, never two saves at
// once, percent over the pair (the import reads it once), and the last state always saved at the end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadProgressReporter } from '../../src/activities/catalog-progress';
import { initialUploadProgress, type CatalogUploadProgress } from '../../src/domain/catalog-upload';

function reporter(opts: { everyMs: number; saveMs?: number }) {
  let clock = 0;
  const saved: CatalogUploadProgress[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const progress = new UploadProgressReporter({
    initial: initialUploadProgress(1000),
    fileBytes: { productCsv: 400, optionCsv: 600 },
    now: () => clock,
    everyMs: opts.everyMs,
    onSaveError: () => assert.fail('no save fails here'),
    save: async (p) => {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((r) => setTimeout(r, opts.saveMs ?? 0));
      saved.push(p);
      concurrent -= 1;
    },
  });
  return { progress, saved, tick: (ms: number) => (clock += ms), maxConcurrent: () => maxConcurrent };
}

describe('upload progress', () => {
  test('percent runs over the pair: the option file follows the product file, 99 at its end', () => {
    const { progress } = reporter({ everyMs: 1_000_000 });
    progress.fileProgress({ file: 'productCsv', rows: 10, bytes: 200, done: false });
    assert.equal(progress.current.percent, 20);
    progress.fileProgress({ file: 'optionCsv', rows: 10, bytes: 300, done: false });
    assert.equal(progress.current.percent, 70);
    progress.fileProgress({ file: 'optionCsv', rows: 50, bytes: 600, done: true });
    assert.deepEqual({ pass: progress.current.pass, bytes: progress.current.bytes, percent: progress.current.percent }, { pass: 1, bytes: 1000, percent: 99 });
  });

  test('saves at most once per interval and one at a time, then flushes the latest state', async () => {
    const { progress, saved, tick, maxConcurrent } = reporter({ everyMs: 1000, saveMs: 5 });
    progress.enterPhase('writing', 1);
    for (let rows = 1; rows <= 50; rows++) {
      tick(100);
      progress.fileProgress({ file: 'productCsv', rows, bytes: rows, done: false });
      await new Promise((r) => setTimeout(r, 1));
    }
    await progress.flush();
    assert.equal(maxConcurrent(), 1);
    assert.ok(saved.length >= 5 && saved.length <= 7, `${saved.length} saves for 5 s of progress`);
    assert.equal(saved.at(-1)?.rows, 50);
  });

  test('a new pass starts its row count again', () => {
    const { progress } = reporter({ everyMs: 1_000_000 });
    progress.fileProgress({ file: 'optionCsv', rows: 300, bytes: 600, done: true });
    progress.enterPhase('writing', 2);
    assert.deepEqual({ phase: progress.current.phase, pass: progress.current.pass, rows: progress.current.rows, file: progress.current.file }, { phase: 'writing', pass: 2, rows: 0, file: null });
  });
});
