// The api's per-tenant grouping of webhook events (src/api/signal-batcher.ts): one group in flight per
// tenant, events arriving meanwhile go together as the next group, each caller gets its own outcome.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalBatcher, type BatchOutcome } from '../../src/api/signal-batcher';

/** A flush the test completes by hand, recording what each call received. */
function manualFlush() {
  const calls: { key: string; items: string[]; settle(outcome: BatchOutcome[] | Error): void }[] = [];
  const flush = (key: string, items: string[]) =>
    new Promise<BatchOutcome[]>((resolve, reject) => {
      calls.push({ key, items, settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)) });
    });
  return { calls, flush };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 1));
};

describe('SignalBatcher', () => {
  test('events that arrive while a tenant’s group is in flight go together as its next group', async () => {
    const { calls, flush } = manualFlush();
    const batcher = new SignalBatcher(flush, { maxDelayMs: 1, maxItems: 100 });
    const first = batcher.add('tenant-a', 'e1');
    await until(() => calls.length === 1);
    const later = ['e2', 'e3', 'e4'].map((e) => batcher.add('tenant-a', e));
    // Another tenant is not held up by tenant-a's flight.
    const other = batcher.add('tenant-b', 'f1');
    await until(() => calls.length === 2);
    assert.deepEqual(calls.map((c) => [c.key, c.items]), [['tenant-a', ['e1']], ['tenant-b', ['f1']]]);

    calls[0]!.settle(['accepted']);
    assert.equal(await first, 'accepted');
    await until(() => calls.length === 3);
    assert.deepEqual(calls[2]!.items, ['e2', 'e3', 'e4']);
    calls[2]!.settle(['accepted', 'duplicate', 'accepted']);
    assert.deepEqual(await Promise.all(later), ['accepted', 'duplicate', 'accepted']);
    calls[1]!.settle(['accepted']);
    assert.equal(await other, 'accepted');
  });

  test('a group never exceeds maxItems: the rest follows as soon as it returns', async () => {
    const { calls, flush } = manualFlush();
    const batcher = new SignalBatcher(flush, { maxDelayMs: 1, maxItems: 2 });
    const outcomes = ['e1', 'e2', 'e3', 'e4', 'e5'].map((e) => batcher.add('t', e));
    await until(() => calls.length === 1);
    assert.deepEqual(calls[0]!.items, ['e1', 'e2']);
    calls[0]!.settle(['accepted', 'accepted']);
    await until(() => calls.length === 2);
    assert.deepEqual(calls[1]!.items, ['e3', 'e4']);
    calls[1]!.settle(['accepted', 'accepted']);
    await until(() => calls.length === 3);
    assert.deepEqual(calls[2]!.items, ['e5']);
    calls[2]!.settle(['duplicate']);
    assert.deepEqual(await Promise.all(outcomes), ['accepted', 'accepted', 'accepted', 'accepted', 'duplicate']);
  });

  test('a failed flush fails only its own group; the next group is still sent', async () => {
    const { calls, flush } = manualFlush();
    const batcher = new SignalBatcher(flush, { maxDelayMs: 1, maxItems: 100 });
    const failing = batcher.add('t', 'e1');
    await until(() => calls.length === 1);
    const next = batcher.add('t', 'e2');
    calls[0]!.settle(new Error('Temporal unavailable'));
    await assert.rejects(failing, /Temporal unavailable/);
    await until(() => calls.length === 2);
    calls[1]!.settle(['accepted']);
    assert.equal(await next, 'accepted');
  });
});
