/**
 * The worker process's V8 heap settings, given as NODE_OPTIONS wherever a worker is started: docker-compose.yml,
 * `npm start` and the benches (a test keeps docker-compose.yml equal to this).
 *
 * Why a limit: V8 lets the old generation grow to a multiple of what survived the last full collection, and
 * that multiple is 4 when the heap limit is 2 GiB or more (the default limit on any machine with 8 GiB or
 * more), between 1.3 and 2 below it; the young generation is also sized from the limit. A 1 GiB limit keeps
 * the garbage of a 350,000-item catalog import from inflating the worker by hundreds of MiB (bench/RESULTS.md,
 * "catalog memory") and still leaves room for a full push of such a catalog.
 */
export const WORKER_NODE_OPTIONS = '--max-old-space-size=1024 --max-semi-space-size=4';
