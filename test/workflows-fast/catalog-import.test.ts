// The catalog import workflow's steps on the time-skipping server: import → activate → tell sync and
// onboarding → complete → prune, and what a refused, superseded, failed or cancelled import does instead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { catalogImportWorkflow, type CatalogImportInput } from '../../src/workflows/catalog-import';
import { onboardingWorkflow } from '../../src/workflows/onboarding';
import { onboardingStatusQuery, onboardingWorkflowId } from '../../src/workflows/messages';
import { SMAREGI_FAILURE_TYPE } from '../../src/domain/catalog-upload';
import type { ImportUploadResult } from '../../src/workflows/activity-types';
import { idleOnboardingActivities, startFastLayer, type FastLayer } from './time-skipping';


const COUNTS = { stockItems: 2, matched: 2, unmatched: 0, conflicts: 0, unlimited: 0, errorCount: 0 };

/** Stubs of every step, recording the order they ran in; `overrides` replace single steps. */
function catalogSteps(overrides: Record<string, (input: never) => Promise<unknown>> = {}) {
  const steps: { name: string; input: Record<string, unknown> }[] = [];
  const step =
    <O>(name: string, answer: () => O | Promise<O>) =>
    async (input: Record<string, unknown>) => {
      steps.push({ name, input });
      return answer();
    };
  const activities: Record<string, (input: never) => Promise<unknown>> = {
    fetchMakeshopCatalog: step('fetchMakeshopCatalog', () => ({ products: 2, variations: 0 })),
    importCatalogUpload: step('importCatalogUpload', (): ImportUploadResult => ({ outcome: 'ready', version: 7, counts: COUNTS })),
    activateCatalog: step('activateCatalog', () => ({ activated: true, version: 7 })),
    notifySyncOfCatalog: step('notifySyncOfCatalog', () => undefined),
    completeCatalogUpload: step('completeCatalogUpload', () => undefined),
    failCatalogUpload: step('failCatalogUpload', () => undefined),
    pruneCatalogVersions: step('pruneCatalogVersions', () => ({ purgedVersions: [] })),
  };
  for (const [name, answer] of Object.entries(overrides)) activities[name] = step(name, () => answer(undefined as never));
  return { activities, steps, names: () => steps.map((s) => s.name) };
}

const CATALOG_STEPS = Object.keys(catalogSteps().activities);

let fast: FastLayer;
let env: TestWorkflowEnvironment;
before(async () => {
  fast = await startFastLayer([...CATALOG_STEPS, ...Object.keys(idleOnboardingActivities)]);
  env = fast.env;
});
after(async () => fast?.close());

const importOf = (tenantId: string, extra: Partial<CatalogImportInput> = {}) => ({
  workflowId: `catalog-${tenantId}-upload-1`,
  args: [{ tenantId, uploadId: 'upload-1', ...extra }] as [CatalogImportInput],
});

test('an accepted pair is imported, activated, announced to sync and onboarding, completed, then old versions pruned', async () => {
  const { activities, steps, names } = catalogSteps();
  await fast.run({ ...activities, ...idleOnboardingActivities }, async (taskQueue) => {
    const onboarding = await env.client.workflow.start(onboardingWorkflow, { taskQueue, workflowId: onboardingWorkflowId('cat-1'), args: [{ tenantId: 'cat-1' }] });
    const result = await env.client.workflow.execute(catalogImportWorkflow, { taskQueue, ...importOf('cat-1') });
    assert.deepEqual(result, { uploadId: 'upload-1', phase: 'done', outcome: 'activated', version: 7 });
    // (Queried even after the skipped clock passed the test server's default run timeout.)
    const status = await onboarding.query(onboardingStatusQuery);
    assert.match(status.steps.find((s) => s.key === 'catalog')?.detail ?? '', /バージョン7/);
  });
  assert.deepEqual(names(), ['importCatalogUpload', 'activateCatalog', 'notifySyncOfCatalog', 'completeCatalogUpload', 'pruneCatalogVersions']);
  assert.deepEqual(steps[2]!.input, { tenantId: 'cat-1', uploadId: 'upload-1', version: 7 });
});

test('on the apps path the pair is first read from MakeShop; no onboarding workflow does not stop the activation', async () => {
  const { activities, names } = catalogSteps();
  const result = await fast.run(activities, (taskQueue) =>
    env.client.workflow.execute(catalogImportWorkflow, { taskQueue, ...importOf('cat-2', { source: 'makeshop' }) }),
  );
  assert.equal(result.outcome, 'activated');
  assert.deepEqual(names(), ['fetchMakeshopCatalog', 'importCatalogUpload', 'activateCatalog', 'notifySyncOfCatalog', 'completeCatalogUpload', 'pruneCatalogVersions']);
});

test('a refused pair activates nothing; a pair a newer upload overtook is not announced', async () => {
  const refused = catalogSteps({ importCatalogUpload: async () => ({ outcome: 'rejected', counts: COUNTS }) });
  const superseded = catalogSteps({ activateCatalog: async () => ({ activated: false, version: 3 }) });
  await fast.run({ ...refused.activities }, async (taskQueue) => {
    const result = await env.client.workflow.execute(catalogImportWorkflow, { taskQueue, ...importOf('cat-3') });
    assert.deepEqual(result, { uploadId: 'upload-1', phase: 'done', outcome: 'rejected', version: null });
  });
  assert.deepEqual(refused.names(), ['importCatalogUpload']);
  await fast.run({ ...superseded.activities }, async (taskQueue) => {
    const result = await env.client.workflow.execute(catalogImportWorkflow, { taskQueue, ...importOf('cat-4') });
    assert.equal(result.outcome, 'superseded');
  });
  assert.deepEqual(superseded.names(), ['importCatalogUpload', 'activateCatalog']);
});

test('Smaregi down after every retry: the upload fails with smaregi_unavailable and the old catalog stays active', async () => {
  let attempts = 0;
  const { activities, steps, names } = catalogSteps({
    importCatalogUpload: async () => {
      attempts++;
      throw ApplicationFailure.retryable('Smaregi answered 503', SMAREGI_FAILURE_TYPE);
    },
  });
  const result = await fast.run(activities, (taskQueue) => env.client.workflow.execute(catalogImportWorkflow, { taskQueue, ...importOf('cat-5') }));
  assert.equal(result.outcome, 'failed');
  assert.equal(attempts, 5, 'the import activity is retried up to its 5 attempts');
  assert.deepEqual(names().filter((n) => n !== 'importCatalogUpload'), ['failCatalogUpload']);
  assert.equal(steps.at(-1)!.input.error, 'smaregi_unavailable');
});

test('a transient failure is retried and the import still activates', async () => {
  let attempts = 0;
  const { activities } = catalogSteps({
    importCatalogUpload: async () => {
      if (++attempts < 3) throw new Error('connection reset');
      return { outcome: 'ready', version: 8, counts: COUNTS };
    },
  });
  const result = await fast.run(activities, (taskQueue) => env.client.workflow.execute(catalogImportWorkflow, { taskQueue, ...importOf('cat-6') }));
  assert.deepEqual([result.outcome, result.version, attempts], ['activated', 8, 3]);
});

test('a newer upload cancelling the import marks the upload superseded once the activity has stopped', async () => {
  let stopped = false;
  let importStarted!: () => void;
  const started = new Promise<void>((resolve) => (importStarted = resolve));
  const { activities, steps, names } = catalogSteps({
    importCatalogUpload: async () => {
      importStarted();
      try {
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      } finally {
        stopped = true;
      }
    },
  });
  await fast.run(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(catalogImportWorkflow, { taskQueue, ...importOf('cat-7') });
    await started;
    await handle.cancel();
    await assert.rejects(handle.result(), (err) => err instanceof WorkflowFailedError && /cancel/i.test(String(err.cause?.message)));
  });
  assert.ok(stopped, 'the activity stopped before the upload was failed');
  assert.deepEqual(names(), ['importCatalogUpload', 'failCatalogUpload']);
  assert.equal(steps[1]!.input.error, 'superseded');
});
