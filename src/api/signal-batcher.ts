/**
 * Groups webhook events per tenant and hands each group to Temporal as one signal. Every request still
 * waits until its own event is durably recorded (the promise resolves only after its group's signal was
 * accepted), but the Temporal server and MongoDB see one write per group instead of one per request.
 *
 * A tenant has at most one group in flight: events that arrive meanwhile gather and go as the next group
 * the moment it returns. Under load the groups therefore grow with the time a signal takes, instead of
 * every few milliseconds adding one more signal (and one more workflow task) to a server that is already
 * slow — that queueing was the tail of the webhook latency. A quiet tenant's event waits only
 * `maxDelayMs`.
 */
export type BatchOutcome = 'accepted' | 'duplicate';

export interface BatchFlush<T> {
  (key: string, items: T[]): Promise<BatchOutcome[]>;
}

interface Waiter {
  resolve(outcome: BatchOutcome): void;
  reject(err: unknown): void;
}

interface Pending<T> {
  items: T[];
  waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
}

export class SignalBatcher<T> {
  private readonly pending = new Map<string, Pending<T>>();
  /** Keys whose group is being flushed: their next group waits for it. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly flush: BatchFlush<T>,
    private readonly options: { maxDelayMs: number; maxItems: number } = { maxDelayMs: 5, maxItems: 200 },
  ) {}

  /** Resolves with this item's outcome once its group is flushed; rejects if the flush failed. */
  add(key: string, item: T): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      let group = this.pending.get(key);
      if (!group) {
        group = { items: [], waiters: [], timer: undefined };
        this.pending.set(key, group);
        // With a flush in flight, its end starts this group: no timer needed.
        if (!this.inFlight.has(key)) group.timer = setTimeout(() => this.flushGroup(key), this.options.maxDelayMs);
      }
      group.items.push(item);
      group.waiters.push({ resolve, reject });
      if (group.items.length >= this.options.maxItems) this.flushGroup(key);
    });
  }

  private flushGroup(key: string): void {
    const group = this.pending.get(key);
    if (!group || this.inFlight.has(key)) return;
    clearTimeout(group.timer);
    // At most maxItems per signal; the rest goes as the next group once this one returns.
    const items = group.items.splice(0, this.options.maxItems);
    const waiters = group.waiters.splice(0, items.length);
    if (group.items.length === 0) this.pending.delete(key);
    else group.timer = undefined;
    this.inFlight.add(key);
    this.flush(key, items)
      .then(
        (outcomes) => waiters.forEach((w, i) => w.resolve(outcomes[i] ?? 'accepted')),
        (err: unknown) => waiters.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        this.inFlight.delete(key);
        this.flushGroup(key);
      });
  }
}
