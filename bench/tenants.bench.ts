// bench:tenants — service scale (issue 13). BENCH_TENANTS merchants (1,000 for the recorded figure) are
// onboarded in parallel through the public API and the simulators (legacy MakeShop path, 200 SKUs each,
// 稼働), the api and the worker each in their own process. Then, with every tenant in step:
//   1. idle: BENCH_IDLE_SECONDS with nothing happening — what idle tenants cost (workflow and activity
//      tasks per second, from the Temporal server's own counters);
//   2. events: BENCH_EVENT_SECONDS of mixed events across random tenants at BENCH_EVENT_RATE per second,
//      open loop — POS sales and receipts (Smaregi stock changes, which send the pos:stock webhook),
//      MakeShop orders (更新通知 → imported into Smaregi) and cancellations of imported orders.
// An event is applied once both platforms hold its outcome for its SKU (every event gets a SKU of its own
// tenant that no other event in flight touches): MakeShop at the new Smaregi total for a sale or receipt,
// Smaregi at MakeShop's new quantity for an order or cancellation (MakeShop moves its own stock for those).
import { performance } from 'node:perf_hooks';
import { postJson } from '../test/support/platforms';
import { onboardMerchant, startStack, type MerchantWorld, type Stack } from '../test/support/stack';
import { onboardingWorkflowId, syncWorkflowId } from '../src/workflows/messages';
import { DEFAULT_SYNC_TIMING } from '../src/domain/sync-workflow-state';
import { benchWorld, cpuSecondsOfTree, ferretdbCursorSeconds, inParallel, load, machine, peakRssOfTree, percentile, reportFigures, serverPids, temporalTaskCounts, useWorkerNodeOptions } from './support';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const SKUS = Number(process.env.BENCH_TENANT_SKUS ?? 200);
const EVENT_RATE = Number(process.env.BENCH_EVENT_RATE ?? 50);
const EVENT_SECONDS = Number(process.env.BENCH_EVENT_SECONDS ?? 300);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 120);
const ONBOARD_PARALLEL = Number(process.env.BENCH_ONBOARD_PARALLEL ?? 8);
/** The worker's workflow cache (WORKER_CACHED_WORKFLOWS); unset, the SDK's default from the heap limit. */
const CACHED_WORKFLOWS = process.env.BENCH_WORKER_CACHED_WORKFLOWS ? Number(process.env.BENCH_WORKER_CACHED_WORKFLOWS) : undefined;
/** How long the events still pending when the event phase ends may take before they count as lost. */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 120) * 1000;
const PROGRESS_EVERY_MS = 10_000;

type EventKind = 'sale' | 'receipt' | 'order' | 'cancellation';

interface Tenant {
  world: MerchantWorld;
  /** SKUs are handed out in turn, so no two events in flight share one. */
  nextSku: number;
  /** Imported orders not cancelled yet (one line of one unit each). */
  cancellable: { orderNumber: string; code: string }[];
}

interface SentEvent {
  tenant: Tenant;
  kind: EventKind;
  code: string;
  /** The SKU's quantity on both platforms once the event is applied. */
  expected: number;
  sentAt: number;
  orderNumber?: string;
  appliedAt?: number;
}

async function main(): Promise<void> {
  // Production's V8 settings for the worker (as in docker-compose.yml): they also size its workflow cache.
  const workerNodeOptions = useWorkerNodeOptions();
  const stack = await startStack('tenants', {
    workerMode: 'process',
    apiMode: 'process',
    // Each merchant signs up from its own address (X-Forwarded-For), as a thousand real merchants would.
    trustProxy: true,
    makeshopIntervalMs: 1000,
    sync: { debounceMs: 300, maxDelayMs: 2000, reconcileIntervalMs: DEFAULT_SYNC_TIMING.reconcileIntervalMs },
    ...(CACHED_WORKFLOWS !== undefined && { config: { WORKER_CACHED_WORKFLOWS: CACHED_WORKFLOWS } }),
  });
  const tenants: Tenant[] = Array.from({ length: TENANTS }, (_, i) => ({
    world: { ...benchWorld(`t${i}`, SKUS), login: { accountId: `admin-t${i}`, password: 'pass-1234567', orderAuthCode: `order-auth-t${i}` } },
    nextSku: 0,
    cancellable: [],
  }));
  try {
    const cpu = cpuMeter(stack);
    const queries = await ferretdbMeter();
    const onboardSeconds = await onboardAll(stack, tenants);
    const inStepSeconds = await waitInStep(stack, tenants);
    const onboardCpu = cpu.phase();
    const onboardQueries = await queries.phase();
    const idle = await measureIdle();
    const idleCpu = cpu.phase();
    await queries.phase();
    const { events, busy } = await runEvents(stack, tenants);
    const eventCpu = cpu.phase();
    const eventQueries = await queries.phase();

    const latencies = events.filter((e) => e.appliedAt !== undefined).map((e) => e.appliedAt! - e.sentAt).sort((a, b) => a - b);
    const lost = events.filter((e) => e.appliedAt === undefined);
    const largest = await largestHistory(stack);
    const workerRss = peakRssOfTree(stack.worker.pid()!);
    const apiRss = peakRssOfTree(stack.api.pid()!);
    const byKind = (kind: EventKind) => events.filter((e) => e.kind === kind).length;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

    console.log(`\nbench:tenants — ${TENANTS} tenants × ${SKUS} SKUs (legacy MakeShop, 1 request/s per shop), ${EVENT_RATE} events/s for ${EVENT_SECONDS} s`);
    console.log(`  onboarding through the API: ${onboardSeconds.toFixed(0)} s (${(TENANTS / onboardSeconds).toFixed(1)} tenants/s, ${ONBOARD_PARALLEL} at once); every tenant in step ${inStepSeconds.toFixed(0)} s later`);
    console.log(`  CPU seconds for the onboarding (until in step): ${cpuLine(onboardCpu)} = ${(total(onboardCpu) / TENANTS).toFixed(2)} s per tenant`);
    console.log(`  FerretDB query time by collection during the onboarding: ${onboardQueries}`);
    console.log(
      `  idle (${IDLE_SECONDS} s, every tenant 稼働, nothing happening): ${idle.workflowTasksPerSecond.toFixed(2)} workflow tasks/s, ${idle.activityTasksPerSecond.toFixed(2)} activity tasks/s ` +
        `(steady state: one reconciliation per tenant every ${DEFAULT_SYNC_TIMING.reconcileIntervalMs / 60_000} min = ${((TENANTS * 1000) / DEFAULT_SYNC_TIMING.reconcileIntervalMs).toFixed(2)}/s); CPU ${cpuLine(idleCpu)} = ${(total(idleCpu) / IDLE_SECONDS).toFixed(2)} cores`,
    );
    console.log(`  events: ${events.length} sent (sales ${byKind('sale')}, receipts ${byKind('receipt')}, orders ${byKind('order')}, cancellations ${byKind('cancellation')})`);
    console.log(`  event → applied: p50 ${s(percentile(latencies, 50))}  p95 ${s(percentile(latencies, 95))}  p99 ${s(percentile(latencies, 99))}  max ${s(latencies.at(-1) ?? NaN)}  (goal p95 ≤ 3 s: ${percentile(latencies, 95) <= 3000 ? 'met' : 'MISSED'})`);
    for (const kind of ['sale', 'receipt', 'order', 'cancellation'] as const) {
      const of = events.filter((e) => e.kind === kind && e.appliedAt !== undefined).map((e) => e.appliedAt! - e.sentAt).sort((a, b) => a - b);
      if (of.length > 0) console.log(`    ${kind.padEnd(12)} p50 ${s(percentile(of, 50))}  p95 ${s(percentile(of, 95))}  p99 ${s(percentile(of, 99))}`);
    }
    console.log(`  lost (not applied ${SETTLE_MS / 1000} s after the last event): ${lost.length}${lost.length ? ` — ${lost.slice(0, 5).map((e) => `${e.tenant.world.shopId}/${e.code} ${e.kind}`).join(', ')}` : ''}`);
    console.log(`  Temporal during the events (until the last was applied): ${busy.workflowTasksPerSecond.toFixed(1)} workflow tasks/s, ${busy.activityTasksPerSecond.toFixed(1)} activity tasks/s`);
    console.log(`  CPU seconds during the events: ${cpuLine(eventCpu)} = ${(total(eventCpu) / Math.max(1, events.length)).toFixed(3)} s per event`);
    console.log(`  FerretDB query time by collection during the events: ${eventQueries}`);
    console.log(`  largest workflow history: ${largest.events} events (${largest.workflowId})`);
    console.log(`  peak RSS: worker ${mib(workerRss)}, api ${mib(apiRss)} (goal ≤ 1 GB each: ${workerRss <= 2 ** 30 && apiRss <= 2 ** 30 ? 'met' : 'MISSED'})`);
    console.log(`  worker NODE_OPTIONS: ${workerNodeOptions || '(none)'}; workflow cache: ${CACHED_WORKFLOWS ?? 'the SDK default'}`);
    console.log(`  machine: ${machine()}; load average now ${load()}`);
    reportFigures('tenants', {
      tenants: TENANTS,
      ...(CACHED_WORKFLOWS !== undefined && { cachedWorkflows: CACHED_WORKFLOWS }),
      onboardSeconds,
      events: events.length,
      p50Seconds: percentile(latencies, 50) / 1000,
      p95Seconds: percentile(latencies, 95) / 1000,
      p99Seconds: percentile(latencies, 99) / 1000,
      lost: lost.length,
      workerPeakRssBytes: workerRss,
      apiPeakRssBytes: apiRss,
      workflowTasksPerSecond: busy.workflowTasksPerSecond,
      activityTasksPerSecond: busy.activityTasksPerSecond,
      idleWorkflowTasksPerSecond: idle.workflowTasksPerSecond,
      idleActivityTasksPerSecond: idle.activityTasksPerSecond,
      largestHistoryEvents: largest.events,
      onboardCpuSecondsPerTenant: total(onboardCpu) / TENANTS,
      eventCpuSecondsPerEvent: total(eventCpu) / Math.max(1, events.length),
      idleCpuCores: total(idleCpu) / IDLE_SECONDS,
    });
  } finally {
    await stack.close();
  }
}

type CpuSeconds = Record<'api' | 'worker' | 'temporal' | 'ferretdb' | 'simulators', number>;

/**
 * CPU seconds per process between phases: the api, the worker, the Temporal dev server, FerretDB, and this
 * process (the simulators and the load generator). Where the time goes, on a machine whose cores they share.
 */
function cpuMeter(stack: Stack) {
  const servers = serverPids();
  const read = (): CpuSeconds => {
    const own = process.cpuUsage();
    return {
      api: cpuSecondsOfTree(stack.api.pid()!),
      worker: cpuSecondsOfTree(stack.worker.pid()!),
      temporal: servers.temporal === null ? NaN : cpuSecondsOfTree(servers.temporal),
      ferretdb: servers.ferretdb === null ? NaN : cpuSecondsOfTree(servers.ferretdb),
      simulators: (own.user + own.system) / 1e6,
    };
  };
  let last = read();
  return {
    /** CPU seconds since the previous call (or the start). */
    phase(): CpuSeconds {
      const now = read();
      const used = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - last[k as keyof CpuSeconds]])) as CpuSeconds;
      last = now;
      return used;
    },
  };
}

/** FerretDB's cursor seconds per collection between phases (wall time of its queries, waits included): the top ones. */
async function ferretdbMeter() {
  const { ferretdbDebugUrl } = serverPids();
  let last = await ferretdbCursorSeconds(ferretdbDebugUrl);
  return {
    async phase(): Promise<string> {
      const now = await ferretdbCursorSeconds(ferretdbDebugUrl);
      const used = [...now].map(([collection, s]) => [collection, s - (last.get(collection) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
      last = now;
      return used.length === 0 ? 'n/a' : used.slice(0, 6).map(([collection, s]) => `${collection} ${s.toFixed(1)} s`).join(', ');
    },
  };
}

const total = (cpu: CpuSeconds) => Object.values(cpu).reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
const cpuLine = (cpu: CpuSeconds) =>
  `${Object.entries(cpu)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ')} (total ${total(cpu).toFixed(1)})`;

async function onboardAll(stack: Stack, tenants: Tenant[]): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  const progress = setInterval(() => {
    const seconds = (performance.now() - t0) / 1000;
    console.log(`[tenants] onboarded ${done}/${tenants.length} in ${seconds.toFixed(0)} s (${(done / seconds).toFixed(1)}/s), load ${load()}`);
  }, PROGRESS_EVERY_MS);
  try {
    await inParallel(tenants, ONBOARD_PARALLEL, async ({ world }, i) => {
      // Catalog imports queue behind CATALOG_IMPORTS_PER_WORKER slots: a long wait is expected, not a failure.
      await onboardMerchant(stack, world, { clientAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, catalogTimeoutMs: 15 * 60_000 });
      done++;
    });
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`[tenants] all ${tenants.length} onboarded and 稼働 in ${seconds.toFixed(0)} s`);
  return seconds;
}

/** Until every SKU of every tenant holds its Smaregi total in MakeShop (the first full pushes). */
async function waitInStep(stack: Stack, tenants: Tenant[]): Promise<number> {
  const t0 = performance.now();
  const platforms = platformReader(stack);
  for (let last = 0; ; ) {
    const behind = tenants.filter(({ world }) => world.products.some((p) => platforms.makeshop(world, p.productCode) !== platforms.smaregi(world, p.productCode))).length;
    if (behind === 0) break;
    if (performance.now() - t0 > 15 * 60_000) throw new Error(`${behind} tenants never reached their targets after 稼働`);
    if (performance.now() - last > PROGRESS_EVERY_MS) {
      last = performance.now();
      console.log(`[tenants] waiting for the first pushes: ${behind} tenants not in step yet, load ${load()}`);
    }
    await sleep(1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`[tenants] every tenant in step ${seconds.toFixed(0)} s after the last 稼働`);
  return seconds;
}

async function measureIdle(): Promise<{ workflowTasksPerSecond: number; activityTasksPerSecond: number }> {
  console.log(`[tenants] idle for ${IDLE_SECONDS} s (load ${load()})…`);
  const before = await temporalTaskCounts();
  await sleep(IDLE_SECONDS * 1000);
  return taskRates(IDLE_SECONDS, before);
}

async function taskRates(seconds: number, before: Awaited<ReturnType<typeof temporalTaskCounts>>) {
  const after = await temporalTaskCounts();
  return {
    workflowTasksPerSecond: seconds > 0 ? (after.workflowTasks - before.workflowTasks) / seconds : 0,
    activityTasksPerSecond: seconds > 0 ? (after.activityTasks - before.activityTasks) / seconds : 0,
  };
}

async function runEvents(stack: Stack, tenants: Tenant[]): Promise<{ events: SentEvent[]; busy: Awaited<ReturnType<typeof taskRates>> }> {
  const platforms = platformReader(stack);
  const events: SentEvent[] = [];
  const inFlight: SentEvent[] = [];
  const total = Math.round(EVENT_RATE * EVENT_SECONDS);
  console.log(`[tenants] sending ${total} events at ${EVENT_RATE}/s across ${tenants.length} tenants…`);
  const tasksBefore = await temporalTaskCounts();
  const t0 = performance.now();
  let failures = 0;
  // Checked every 50 ms against the simulators' state (in this process): cheap for thousands of events.
  const checker = setInterval(() => {
    const now = performance.now();
    for (let i = inFlight.length - 1; i >= 0; i--) {
      const e = inFlight[i]!;
      const { world } = e.tenant;
      if (platforms.smaregi(world, e.code) !== e.expected || platforms.makeshop(world, e.code) !== e.expected) continue;
      e.appliedAt = now;
      inFlight.splice(i, 1);
      if (e.kind === 'order') e.tenant.cancellable.push({ orderNumber: e.orderNumber!, code: e.code });
    }
  }, 50);
  const progress = setInterval(() => {
    const applied = events.filter((e) => e.appliedAt !== undefined).map((e) => e.appliedAt! - e.sentAt).sort((a, b) => a - b);
    console.log(
      `[tenants] ${((performance.now() - t0) / 1000).toFixed(0)} s: sent ${events.length}, applied ${applied.length}, in flight ${inFlight.length}, p95 so far ${(percentile(applied, 95) / 1000).toFixed(2)} s, load ${load()}`,
    );
  }, PROGRESS_EVERY_MS);
  try {
    const sends: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = t0 + (n * 1000) / EVENT_RATE;
      if (due > performance.now()) await sleep(due - performance.now());
      const tenant = tenants[Math.floor(Math.random() * tenants.length)]!;
      sends.push(
        sendEvent(stack, platforms, tenant, pickKind(tenant)).then(
          (event) => {
            events.push(event);
            inFlight.push(event);
          },
          (err: unknown) => {
            failures++;
            console.error(`[tenants] an event could not be sent: ${String(err)}`);
          },
        ),
      );
    }
    await Promise.all(sends);
    const deadline = performance.now() + SETTLE_MS;
    while (inFlight.length > 0 && performance.now() < deadline) await sleep(200);
  } finally {
    clearInterval(checker);
    clearInterval(progress);
  }
  if (failures > 0) throw new Error(`${failures} events could not be sent to the simulators`);
  return { events, busy: await taskRates((performance.now() - t0) / 1000, tasksBefore) };
}

/** 40 % sales, 30 % receipts, 20 % orders, 10 % cancellations (of an imported order of the tenant, else a sale). */
function pickKind(tenant: Tenant): EventKind {
  const r = Math.random();
  if (r < 0.4) return 'sale';
  if (r < 0.7) return 'receipt';
  if (r < 0.9) return 'order';
  return tenant.cancellable.length > 0 ? 'cancellation' : 'sale';
}

async function sendEvent(stack: Stack, platforms: ReturnType<typeof platformReader>, tenant: Tenant, kind: EventKind): Promise<SentEvent> {
  const { world } = tenant;
  const smaregi = `${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}`;
  const makeshop = `${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}`;
  if (kind === 'cancellation') {
    const { orderNumber, code } = tenant.cancellable.shift()!;
    const expected = platforms.smaregi(world, code) + 1;
    const sentAt = performance.now();
    await postJson(`${makeshop}/orders/${orderNumber}/cancel`, {});
    return { tenant, kind, code, expected, sentAt, orderNumber };
  }
  const code = world.products[tenant.nextSku++ % world.products.length]!.productCode;
  const before = platforms.smaregi(world, code);
  const sentAt = performance.now();
  if (kind === 'order') {
    const { orderNumber } = (await postJson(`${makeshop}/orders`, { lines: [{ code, quantity: 1 }] })) as { orderNumber: string };
    return { tenant, kind, code, expected: before - 1, sentAt, orderNumber };
  }
  const delta = kind === 'sale' ? -1 : 3;
  await postJson(`${smaregi}/stock-adjustments`, { storeId: '1', productCode: code, delta });
  return { tenant, kind, code, expected: before + delta, sentAt };
}

/**
 * A SKU's quantity on each platform, read from the simulators' state in this process (thousands of
 * checks a second would otherwise be HTTP calls competing with the service for the same two cores).
 */
function platformReader(stack: Stack) {
  const smaregiState = stack.platforms.smaregi.sim.state;
  const makeshopState = stack.platforms.makeshop.sim.state;
  return {
    smaregi(world: MerchantWorld, code: string): number {
      const productId = smaregiState.contract(world.contractId)!.productIdByCode.get(code)!;
      return smaregiState
        .stockOf(world.contractId, productId)
        .filter((s) => world.stockStoreIds.includes(s.storeId))
        .reduce((sum, s) => sum + s.amount, 0);
    },
    makeshop(world: MerchantWorld, code: string): number | null | undefined {
      return makeshopState.shop(world.shopId)?.productsByCustomCode(code)[0]?.quantity;
    },
  };
}

/** The longest current history among the tenants' sync and onboarding workflows. */
async function largestHistory(stack: Stack): Promise<{ events: number; workflowId: string }> {
  let largest = { events: 0, workflowId: '' };
  const ids = stack.tenantIds.flatMap((tenantId) => [syncWorkflowId(tenantId), onboardingWorkflowId(tenantId)]);
  await inParallel(ids, 16, async (workflowId) => {
    const { historyLength } = await stack.temporal.client.workflow.getHandle(workflowId).describe();
    if (historyLength > largest.events) largest = { events: historyLength, workflowId };
  });
  return largest;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
