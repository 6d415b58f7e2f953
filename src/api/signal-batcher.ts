/**
 * Groups webhook events per tenant for a few milliseconds and hands each group to Temporal as one
 * signal. Every request still waits until its own event is durably recorded (the promise resolves
 * only after the group's signal was accepted), but the Temporal server and MongoDB see one write per
 * group instead of one per request: that is what keeps p99 low at hundreds of webhooks per second.
 */
export type BatchOutcome = 'accepted' | 'duplicate';

export interface BatchFlush<T> {
  (key: string, items: T[]): Promise<BatchOutcome[]>;
}

interface Pending<T> {
  items: T[];
  waiters: { resolve(outcome: BatchOutcome): void; reject(err: unknown): void }[];
  timer: NodeJS.Timeout;
}

export class SignalBatcher<T> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(
    private readonly flush: BatchFlush<T>,
    private readonly options: { maxDelayMs: number; maxItems: number } = { maxDelayMs: 5, maxItems: 200 },
  ) {}

  /** Resolves with this item's outcome once its group is flushed; rejects if the flush failed. */
  add(key: string, item: T): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      let group = this.pending.get(key);
      if (!group) {
        group = { items: [], waiters: [], timer: setTimeout(() => this.flushGroup(key), this.options.maxDelayMs) };
        this.pending.set(key, group);
      }
      group.items.push(item);
      group.waiters.push({ resolve, reject });
      if (group.items.length >= this.options.maxItems) this.flushGroup(key);
    });
  }

  private flushGroup(key: string): void {
    const group = this.pending.get(key);
    if (!group) return;
    this.pending.delete(key);
    clearTimeout(group.timer);
    this.flush(key, group.items).then(
      (outcomes) => group.waiters.forEach((w, i) => w.resolve(outcomes[i] ?? 'accepted')),
      (err: unknown) => group.waiters.forEach((w) => w.reject(err)),
    );
  }
}
