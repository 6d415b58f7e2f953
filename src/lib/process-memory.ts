const MIB = 2 ** 20;

/** This process's memory in MiB, for log lines that say where it went. */
export interface ProcessMemory {
  /** Resident now. */
  rss: number;
  /** The highest resident size the process has had so far (VmHWM). */
  peakRss: number;
  /** Live and not yet collected JavaScript objects of the main thread. */
  heapUsed: number;
  /** What V8 has reserved for the main thread's heap. */
  heapTotal: number;
  /** Buffers and other memory outside the JavaScript heap that objects hold. */
  external: number;
}

export function processMemory(): ProcessMemory {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const mib = (bytes: number) => Math.round(bytes / MIB);
  // maxRSS is in KiB.
  return { rss: mib(rss), peakRss: Math.round(process.resourceUsage().maxRSS / 1024), heapUsed: mib(heapUsed), heapTotal: mib(heapTotal), external: mib(external) };
}
