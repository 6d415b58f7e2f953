/**
 * The worker process's V8 heap settings, given as NODE_OPTIONS wherever a worker is started: docker-compose.yml,
 * `npm start` and the benches (a test keeps docker-compose.yml equal to this).
 *
 * Why a limit: V8 lets the old generation grow to a multiple of what survived the last full collection; its heap
 * controller allows a multiple of up to 4 when the heap limit is large (Node's default limit is ~4 GiB on this
 * project's 24 GiB machines) and 1.3–2 when the limit is under ~2 GiB. A 1 GiB limit keeps the garbage of a 350,000-item catalog import from
 * inflating the worker by hundreds of MiB (bench/RESULTS.md, "catalog memory") and still leaves room for a full
 * push of such a catalog. `--max-semi-space-size=4` took another ~25 MiB off the import's peak but cost ~25 %
 * more CPU in its parse (more scavenges), so it is not used.
 */
export const WORKER_NODE_OPTIONS = '--max-old-space-size=1024';
