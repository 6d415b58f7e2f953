import { TokenBucket } from '../../lib/token-bucket';

export type RequestKind = 'read' | 'write';

export interface ContractRateLimiterOptions {
  readsPerSecond: number;
  writesPerSecond: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Smaregi limits each app per contract, reads and writes separately (smaregi-api.md §4.4). The
 * client spaces requests evenly (bucket capacity 1) rather than bursting: a server counting per
 * second then never sees more than the rate in any one-second window.
 */
export class ContractRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly opts: ContractRateLimiterOptions) {}

  async acquire(contractId: string, kind: RequestKind): Promise<void> {
    const waitMs = this.bucketFor(contractId, kind).reserve();
    if (waitMs > 0) await this.opts.sleep(waitMs);
  }

  private bucketFor(contractId: string, kind: RequestKind): TokenBucket {
    const key = `${kind}:${contractId}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const rate = kind === 'read' ? this.opts.readsPerSecond : this.opts.writesPerSecond;
      bucket = new TokenBucket(rate, 1, this.opts.now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
