import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/logger';

export interface WebhookTarget {
  url: string;
  /** The custom header set in the developer console; the service uses it as a shared secret. */
  header?: { name: string; value: string };
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped' | 'no-endpoint';

export interface WebhookDelivery {
  eventId: string;
  contractId: string;
  event: string;
  body: Record<string, unknown>;
  url?: string;
  outcome?: DeliveryOutcome;
  status?: number;
  error?: string;
  queuedAt: number;
  finishedAt?: number;
}

export interface WebhookSenderOptions {
  target?: WebhookTarget;
  /** Chance in [0, 1] that a delivery is silently lost (the platform does not resend, §6.4 [U]). */
  dropRate: () => number;
  random: () => number;
  now: () => number;
  logger: Logger;
  timeoutMs?: number;
  concurrency?: number;
  maxRecords?: number;
}

/** User-Agent observed on real sandbox webhooks (smaregi-api.md §6.2). */
const USER_AGENT = 'Smaregi-Platform-Api-Webhook/1.2.4(sandbox)';

/**
 * Sends webhooks like the platform: asynchronously, once, never retried (§6.4 [U]). Every attempt
 * is recorded, including failures and deliberate drops, so tests can see what was lost.
 */
export class WebhookSender {
  private target: WebhookTarget | undefined;
  private readonly queue: WebhookDelivery[] = [];
  private readonly records: WebhookDelivery[] = [];
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: WebhookSenderOptions) {
    this.target = opts.target;
  }

  setTarget(target: WebhookTarget | undefined): void {
    this.target = target;
  }

  currentTarget(): WebhookTarget | undefined {
    return this.target;
  }

  send(contractId: string, event: string, body: Record<string, unknown>): void {
    const delivery: WebhookDelivery = {
      eventId: randomUUID(),
      contractId,
      event,
      body: { contractId, event, ...body },
      queuedAt: this.opts.now(),
    };
    this.remember(delivery);
    this.queue.push(delivery);
    setImmediate(() => this.pump());
  }

  deliveries(contractId?: string): WebhookDelivery[] {
    return contractId === undefined
      ? [...this.records]
      : this.records.filter((d) => d.contractId === contractId);
  }

  /** Drops the delivery records of a contract (it was replaced); queued webhooks are still sent. */
  forgetContract(contractId: string): void {
    const kept = this.records.filter((d) => d.contractId !== contractId);
    this.records.splice(0, this.records.length, ...kept);
  }

  /** Resolves once every queued webhook has been attempted. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const concurrency = this.opts.concurrency ?? 16;
    while (this.active < concurrency && this.queue.length > 0) {
      const delivery = this.queue.shift()!;
      this.active++;
      void this.deliver(delivery).finally(() => {
        this.active--;
        this.pump();
        this.notifyIfIdle();
      });
    }
  }

  private notifyIfIdle(): void {
    if (this.queue.length > 0 || this.active > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    const target = this.target;
    if (!target) return this.finish(delivery, 'no-endpoint');
    delivery.url = target.url;
    if (this.opts.random() < this.opts.dropRate()) return this.finish(delivery, 'dropped');
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: this.headers(delivery, target),
        body: JSON.stringify(delivery.body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 3000),
      });
      await res.arrayBuffer();
      delivery.status = res.status;
      this.finish(delivery, res.ok ? 'delivered' : 'failed');
    } catch (err) {
      delivery.error = err instanceof Error ? err.message : String(err);
      this.finish(delivery, 'failed');
    }
  }

  private headers(delivery: WebhookDelivery, target: WebhookTarget): Record<string, string> {
    return {
      'Content-Type': 'application/json',
      'Smaregi-Contract-Id': delivery.contractId,
      'Smaregi-Event': delivery.event,
      'Smaregi-Event-Id': delivery.eventId,
      'User-Agent': USER_AGENT,
      ...(target.header && { [target.header.name]: target.header.value }),
    };
  }

  private finish(delivery: WebhookDelivery, outcome: DeliveryOutcome): void {
    delivery.outcome = outcome;
    delivery.finishedAt = this.opts.now();
    if (outcome === 'failed') {
      this.opts.logger.warn(
        { eventId: delivery.eventId, url: delivery.url, status: delivery.status, error: delivery.error },
        'smaregi simulator webhook delivery failed (not retried)',
      );
    }
  }

  private remember(delivery: WebhookDelivery): void {
    this.records.push(delivery);
    const max = this.opts.maxRecords ?? 10_000;
    if (this.records.length > max) this.records.splice(0, this.records.length - max);
  }
}
