// bench:webhooks — sustained Smaregi webhook ingestion with autocannon against the real api, its own
// process (each request: secret check, tenant look-up, de-duplication insert, signal-with-start into
// Temporal), and where the api's time goes, from its own stage histogram.
// Prints the rate, latency percentiles, and events lost: accepted (200) but absent from the stored work (each
// request names a product of its own) or from the counts the sync workflow was signalled.
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { OPERATOR_TOKEN, onboardMerchant, startStack, syncHistories, type Stack } from '../test/support/stack';
import { syncWorkRecordedSignal } from '../src/workflows/messages';
import { benchWorld, machine, reportFigures } from './support';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
/** Offered load in requests per second (open loop); 0 = as fast as the connections allow. */
const RATE = Number(process.env.BENCH_RATE ?? 300);

async function main(): Promise<void> {
  // The api in its own process: the load generator must not share its event loop (Smaregi does not).
  const stack = await startStack('webhooks', { workerMode: 'process', apiMode: 'process' });
  const world = benchWorld('webhooks', 20);
  try {
    const { tenantId } = await onboardMerchant(stack, world, { run: false, catalog: false });
    const sent = new Set<string>();
    const headers = {
      'content-type': 'application/json',
      'smaregi-contract-id': world.contractId,
      'smaregi-event': 'pos:stock',
      [stack.config.SMAREGI_WEBHOOK_HEADER_NAME.toLowerCase()]: stack.config.SMAREGI_WEBHOOK_HEADER_VALUE,
    };
    let accepted = 0;
    const result = await autocannon({
      url: `${stack.apiUrl}/webhooks/smaregi`,
      method: 'POST',
      connections: CONNECTIONS,
      duration: DURATION_S,
      ...(RATE > 0 && { overallRate: RATE }),
      headers,
      requests: [
        {
          setupRequest: (req) => {
            const eventId = randomUUID();
            sent.add(eventId);
            // A product of its own per request: what reached the store is then counted per request.
            const body = { contractId: world.contractId, event: 'pos:stock', action: 'edited', ids: [{ id: String(sent.size), productId: `b${sent.size}`, storeId: '1' }] };
            return { ...req, headers: { ...headers, 'smaregi-event-id': eventId }, body: JSON.stringify(body) };
          },
          onResponse: (status) => {
            if (status === 200) accepted++;
          },
        },
      ],
    });
    const received = await storedProducts(stack, tenantId);
    const signalled = await productsSignalled(stack, tenantId);
    const stages = await stageBreakdown(stack);
    console.log(`\nbench:webhooks — ${DURATION_S} s, ${CONNECTIONS} connections, offered ${RATE > 0 ? `${RATE} req/s` : 'as fast as possible'}`);
    console.log(`  rate ${result.requests.average.toFixed(0)} req/s (total ${result.requests.total}), non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`);
    console.log(`  latency p50 ${result.latency.p50} ms  p90 ${result.latency.p90} ms  p99 ${result.latency.p99} ms  max ${result.latency.max} ms`);
    console.log(`  accepted ${accepted}, changes stored ${received}, signalled to the sync workflow ${signalled} (more than accepted = requests still in flight when autocannon stopped), lost ${Math.max(0, accepted - Math.min(received, signalled))}`);
    console.log(`  goals ≥ 300 req/s, p99 ≤ 100 ms, 0 lost: ${result.requests.average >= 300 ? 'rate met' : 'rate MISSED'}, ${result.latency.p99 <= 100 ? 'p99 met' : 'p99 MISSED'}, ${Math.min(received, signalled) >= accepted ? 'none lost' : 'LOST EVENTS'}`);
    console.log(`  where the api's time goes (upper bucket bounds, ms): ${Object.entries(stages).map(([stage, q]) => `${stage} p50 ≤${q.p50} p99 ≤${q.p99}`).join('; ')}`);
    reportFigures('webhooks', {
      rate: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      lost: Math.max(0, accepted - Math.min(received, signalled)),
      accepted,
      stored: received,
      signalled,
      ...Object.fromEntries(Object.entries(stages).flatMap(([stage, q]) => [[`${camel(stage)}P50Ms`, q.p50], [`${camel(stage)}P99Ms`, q.p99]])),
    });
    console.log(`  machine: ${machine()}`);
  } finally {
    await stack.close();
  }
}

/**
 * The api's own stage histogram (zaiko_webhook_stage_duration_seconds, read from /metrics): p50 and p99
 * of each stage as the upper bound of the bucket they fall in, in ms.
 */
async function stageBreakdown(stack: Stack): Promise<Record<string, { p50: number; p99: number }>> {
  const res = await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  const buckets = new Map<string, [number, number][]>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^zaiko_webhook_stage_duration_seconds_bucket\{.*le="([^"]+)".*stage="([^"]+)".*\} (\d+)/.exec(line) ?? /^zaiko_webhook_stage_duration_seconds_bucket\{.*stage="([^"]+)".*le="([^"]+)".*\} (\d+)/.exec(line);
    if (!m) continue;
    const [le, stage] = line.indexOf('le=') < line.indexOf('stage=') ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
    buckets.set(stage, [...(buckets.get(stage) ?? []), [le === '+Inf' ? Infinity : Number(le) * 1000, Number(m[3])]]);
  }
  const quantile = (cumulative: [number, number][], q: number) => cumulative.find(([, n]) => n >= q * cumulative.at(-1)![1])?.[0] ?? NaN;
  return Object.fromEntries([...buckets].map(([stage, cumulative]) => [stage, { p50: quantile(cumulative, 0.5), p99: quantile(cumulative, 0.99) }]));
}

const camel = (stage: string) => stage.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** Distinct products in the tenant's stored changes (the tenant is not 稼働, so no push takes them). */
async function storedProducts(stack: Stack, tenantId: string): Promise<number> {
  const docs = await stack.database.db.collection<{ tenantId: string; productIds: string[] }>('sync_changed_products').find({ tenantId }).toArray();
  return new Set(docs.flatMap((d) => d.productIds)).size;
}

/** Products counted in syncWorkRecorded hints across every run of the tenant's sync workflow (it continues-as-new under load). */
async function productsSignalled(stack: Stack, tenantId: string): Promise<number> {
  let count = 0;
  for (const run of await syncHistories(stack, tenantId)) {
    for (const e of run.events) {
      const attrs = e.workflowExecutionSignaledEventAttributes;
      if (attrs?.signalName !== syncWorkRecordedSignal.name) continue;
      count += (JSON.parse(Buffer.from(attrs.input!.payloads![0]!.data!).toString('utf8')) as { products: number }).products;
    }
  }
  return count;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
