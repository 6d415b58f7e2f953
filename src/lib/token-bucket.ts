/**
 * Token bucket measured in requests per second. It can go into debt (`reserve`), which queues
 * callers in arrival order without a separate queue; or refuse (`tryTake`), which is what a server
 * enforcing the limit does.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, got ${ratePerSecond}`);
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes a token for the caller and returns how many ms it must wait before using it (0 = now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : this.msUntil(-this.tokens);
  }

  /** Takes a token only if one is free now; otherwise says when the next one will be. */
  tryTake(): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: this.msUntil(1 - this.tokens) };
  }

  private msUntil(tokens: number): number {
    return Math.ceil((tokens * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const at = this.now();
    const elapsedMs = Math.max(0, at - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
    this.updatedAt = at;
  }
}
