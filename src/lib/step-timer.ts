import { performance } from 'node:perf_hooks';

/** Milliseconds spent per named step of one operation, for the log line that says where its time went. */
export class StepTimer {
  private last = performance.now();
  private readonly started = this.last;
  readonly ms: Record<string, number> = {};

  /** Charges the time since the previous lap (or the start) to `step`. */
  lap(step: string): void {
    const now = performance.now();
    this.ms[step] = (this.ms[step] ?? 0) + Math.round(now - this.last);
    this.last = now;
  }

  get totalMs(): number {
    return Math.round(performance.now() - this.started);
  }
}
