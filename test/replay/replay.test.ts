// Replays every recorded history (test/replay/histories, recorded by `npm run replay:record`) against
// today's workflow code: a change that would break a running workflow fails here, not in production.
// And a proof that it would: the sync loop with two steps swapped, not gated by patched(), fails.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import * as workflows from '../../src/workflows';
import { PUSH_BESIDE_IMPORT_PATCH } from '../../src/workflows/sync';
import { quietTemporalRuntime, testInfra } from '../support/infra';
import { patchesOf, recordedHistories } from './history-files';

const ROOT = join(__dirname, '..', '..');
const histories = recordedHistories();
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

async function replayFailures(source: Pick<ReplayWorkerOptions, 'workflowBundle'>, only?: string): Promise<{ file: string; error: string }[]> {
  quietTemporalRuntime();
  const failures: { file: string; error: string }[] = [];
  const chosen = histories.filter((h) => only === undefined || h.workflowType === only);
  const results = Worker.runReplayHistories(
    { ...source, replayName: 'zaiko-replay' },
    chosen.map((h) => ({ workflowId: h.file, history: h.history })),
  );
  for await (const result of results) {
    if (result.error) failures.push({ file: result.workflowId, error: `${result.error.name}: ${result.error.message}` });
  }
  return failures;
}

describe('replay of recorded histories', () => {
  test('every workflow type the worker runs has a recorded history', () => {
    const recorded = new Set(histories.map((h) => h.workflowType));
    assert.deepEqual(Object.keys(workflows).filter((type) => !recorded.has(type)), []);
  });

  test("today's workflow code replays every recorded history", { timeout: 300_000 }, async () => {
    assert.deepEqual(await replayFailures({ workflowBundle: { codePath: testInfra().bundlePath } }), []);
  });

  const scratch = mkdtempSync(join(__dirname, '.modified-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('an ungated reordering of the sync loop (push beside the imports) fails the replay', { timeout: 300_000 }, async () => {
    // The histories recorded before the sync-push-beside-import patch import orders, then push, in one cycle.
    const before = histories.filter((h) => h.workflowType === 'syncWorkflow' && !patchesOf(h.history).includes(PUSH_BESIDE_IMPORT_PATCH));
    assert.ok(before.length > 0, 'a sync history recorded before the patch');
    assert.ok(histories.some((h) => patchesOf(h.history).includes(PUSH_BESIDE_IMPORT_PATCH)), 'a sync history past the patch (replayed above)');
    for (const h of before) {
      const scheduled = (h.history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
      const imports = scheduled.includes('processOrder') || scheduled.includes('processQueuedOrder');
      const pushes = scheduled.includes('pushStock') || scheduled.includes('pushQueuedStock');
      assert.ok(imports && pushes, `${h.file} imports an order and pushes`);
    }

    // A copy of the sources (inside the repository, so its imports resolve) with the change's gate removed.
    cpSync(join(ROOT, 'src'), join(scratch, 'src'), { recursive: true });
    const syncFile = join(scratch, 'src', 'workflows', 'sync.ts');
    const original = readFileSync(syncFile, 'utf8');
    const gated = '    } else if (pushBesideImport) {\n      await Promise.all([pushStock(), importOrders()]);\n';
    assert.ok(original.includes(gated), 'the sync loop pushes beside the imports behind the patch (update this test with the loop)');
    writeFileSync(syncFile, original.replace(gated, gated.replace('if (pushBesideImport)', 'if (true as boolean)')));
    const bundle = await bundleWorkflowCode({ workflowsPath: join(scratch, 'src', 'workflows'), logger: silent });

    const failures = await replayFailures({ workflowBundle: bundle }, 'syncWorkflow');
    assert.deepEqual(failures.map((f) => f.file).sort(), before.map((h) => h.file).sort());
    for (const failure of failures) assert.match(failure.error, /DeterminismViolation|Nondeterminism/i);
  });
});
