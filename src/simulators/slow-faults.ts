import { z } from 'zod';

/**
 * Fault knobs both simulators share (extra fields of `PUT /__sim/faults`, DESIGN §6): slow platform calls
 * and injected throttles that ask for a long wait. They stand in for a platform under load.
 */
export interface SlowFaults {
  /** Share of platform calls held between slowMinMs and slowMaxMs before they are handled. */
  slowRate: number;
  slowMinMs: number;
  slowMaxMs: number;
  /** An injected throttle answers Retry-After: a whole number of seconds drawn from 1..retryAfterMaxSeconds. */
  retryAfterMaxSeconds: number;
}

export const NO_SLOW_FAULTS: SlowFaults = { slowRate: 0, slowMinMs: 20_000, slowMaxMs: 40_000, retryAfterMaxSeconds: 1 };

/** The zod fields of SlowFaults, with their defaults, for each simulator's faults body. */
export const slowFaultsShape = {
  slowRate: z.number().min(0).max(1).default(NO_SLOW_FAULTS.slowRate),
  slowMinMs: z.number().int().min(0).max(120_000).default(NO_SLOW_FAULTS.slowMinMs),
  slowMaxMs: z.number().int().min(0).max(120_000).default(NO_SLOW_FAULTS.slowMaxMs),
  retryAfterMaxSeconds: z.number().int().min(1).max(120).default(NO_SLOW_FAULTS.retryAfterMaxSeconds),
};

/** How long this call is held: 0 for most, a random 20–40 s (by default) for a slowRate share. */
export function slowCallDelayMs(faults: SlowFaults, random: () => number): number {
  if (faults.slowRate <= 0 || random() >= faults.slowRate) return 0;
  const span = Math.max(0, faults.slowMaxMs - faults.slowMinMs);
  return faults.slowMinMs + Math.floor(random() * (span + 1));
}

/** Retry-After (seconds) for an injected throttle. */
export function injectedRetryAfterSeconds(faults: SlowFaults, random: () => number): number {
  // No draw for the default, so scripted random sources of existing tests keep their meaning.
  return faults.retryAfterMaxSeconds <= 1 ? 1 : 1 + Math.floor(random() * faults.retryAfterMaxSeconds);
}

/** Holds a call for the fault's latency plus, now and then, a slow call's delay. */
export async function holdCall(latencyMs: number, faults: SlowFaults, random: () => number): Promise<void> {
  const delayMs = latencyMs + slowCallDelayMs(faults, random);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
}
