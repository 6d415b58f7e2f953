// The fast layer's environment: the real Temporal time-skipping test server (installed by the scripts,
// path in TEMPORAL_TEST_SERVER_PATH) and a real Worker on the suite's workflow bundle. Only our own
// activities are stubbed here: these tests check workflow logic (timers, debounce, continue-as-new), so
// a week of workflow time passes in milliseconds.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { INDEXED_VALUE_TYPES } from '../../src/temporal/connection';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import type { OnboardingActivities } from '../../src/workflows/onboarding';
import { quietTemporalRuntime } from '../support/infra';

export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  if (!path || !bundlePath) throw new Error('run the fast layer through `npm test -- fast` (it sets TEMPORAL_TEST_SERVER_PATH and WORKFLOW_BUNDLE_PATH)');
  quietTemporalRuntime();
  // The SDK would download the server otherwise: this machine has no internet.
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  // The workflows set the service's search attributes, which this server must be told (it lists none).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a.name, INDEXED_VALUE_TYPES[a.cliType]])),
  });
  return env;
}

/**
 * The time-skipping server and one worker per test file, polling its own task queue on the workflow
 * bundle (building a worker costs seconds on a loaded machine; a stub swap costs nothing). Each test
 * names the stubs its workflows call through `run`; the activities proxy to them.
 */
export async function startFastLayer(activityNames: readonly string[]) {
  const env = await startTimeSkippingEnvironment();
  let stubs: Record<string, unknown> = {};
  const activities = Object.fromEntries(
    activityNames.map((name) => [
      name,
      (input: unknown) => {
        const stub = stubs[name];
        if (typeof stub !== 'function') throw ApplicationFailure.nonRetryable(`the test gave no stub for ${name}`);
        return stub(input) as unknown;
      },
    ]),
  );
  const taskQueue = `fast-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
    activities,
    // Heartbeats reach the server at once, so a cancellation reaches a stubbed activity without waiting.
    maxHeartbeatThrottleInterval: '50 milliseconds',
  });
  const running = worker.run();
  return {
    env,
    taskQueue,
    /** Runs `body` with these stubs answering the workflows' activity calls. */
    async run<T>(activityStubs: object, body: (taskQueue: string) => Promise<T>): Promise<T> {
      stubs = activityStubs as Record<string, unknown>;
      return body(taskQueue);
    },
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

export type FastLayer = Awaited<ReturnType<typeof startFastLayer>>;

/** One call of a stubbed activity: its input and the workflow time (server clock) it was scheduled at. */
export interface Call<I = unknown> {
  input: I;
  at: number;
}

/**
 * Records every call of a stubbed activity with the server's (skipped) clock, and lets a test wait for
 * the n-th call without sleeping.
 */
export function recorder<I, O>(answer: (input: I, call: number) => O | Promise<O>) {
  const calls: Call<I>[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const activity = async (input: I): Promise<O> => {
    const n = calls.length;
    calls.push({ input, at: Context.current().info.currentAttemptScheduledTimestampMs });
    for (const w of waiters.filter((w) => calls.length >= w.count)) w.resolve();
    return answer(input, n);
  };
  /** Resolves once the activity was called `count` times (fails after `timeoutMs` of real time). */
  const called = (count: number, timeoutMs = 10_000) =>
    new Promise<Call<I>[]>((resolve, reject) => {
      if (calls.length >= count) return resolve(calls);
      const timer = setTimeout(() => reject(new Error(`expected ${count} calls, got ${calls.length}`)), timeoutMs);
      waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(calls)) });
    });
  return { activity, calls, called };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** An onboarding workflow that persists nowhere: enough for workflows that only signal it. */
export const idleOnboardingActivities: OnboardingActivities = {
  loadOnboardingProgress: async () => null,
  saveOnboardingProgress: async () => undefined,
  publishReadiness: async () => undefined,
  reportApplicationWaitingTooLong: async () => undefined,
};
