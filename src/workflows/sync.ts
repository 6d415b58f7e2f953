// syncWorkflow (`sync-{tenantId}`): the long-running entity that keeps one tenant's MakeShop stock equal
// to its Smaregi stock. Handlers only record work; the main loop debounces, then pushes the changed stock
// targets in one batch beside the queued order imports, reconciles beside that on its own period, and
// continues-as-new carrying whatever is pending.
import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncWorkflowActivities } from './activity-types';
import { OpenAlertsKey, SyncStateKey } from '../temporal/search-attributes';
import { openAlertsChangedSignal } from './alert-messages';
import {
  catalogActivatedSignal,
  makeshopLinkChangedSignal,
  onboardingWorkflowId,
  orderNotifiedSignal,
  readinessChangedSignal,
  resyncRequestedSignal,
  setSyncStateUpdate,
  stockChangedSignal,
  stockSettingsChangedSignal,
  syncStateChangedSignal,
  syncWorkRecordedSignal,
  syncStatusQuery,
  tenantActiveChangedSignal,
} from './messages';
import { Mutex } from 'async-mutex';
import {
  addPendingOrder,
  applyStoredConfiguration,
  DEFAULT_SYNC_TIMING,
  initialSyncState,
  MAKESHOP_APP_UNINSTALLED_REASON,
  MAKESHOP_REVOKED_FAILURE_TYPE,
  rememberEvent,
  notReadyMessage,
  type PendingOrder,
  type StoredWork,
  storedWorkToCheck,
  type SyncTiming,
  type SyncWorkflowState,
  toStatus,
} from '../domain/sync-workflow-state';

export interface SyncWorkflowInput {
  tenantId: string;
  timing?: Partial<SyncTiming>;
  /** Carried across continue-as-new: nothing pending is ever dropped. */
  carried?: SyncWorkflowState;
  /** Test hook: continue-as-new once history passes this many events. */
  maxHistoryEvents?: number;
}

// Timeouts from the platforms' rules: one Smaregi call may take 4 attempts × (30 s timeout + ≤10 s
// Retry-After) and an order needs a handful of calls; MakeShop serialises every call of a shop at 1/s, so
// an order fetch may queue behind a whole push. Activities heartbeat every 2 s while alive (keepAlive), so
// the heartbeat timeout detects a dead worker quickly; its throttle (0.8 × timeout) bounds how long a
// cancellation (停止, or an attempt Temporal timed out) takes to reach the attempt.
const orderActivities = proxyActivities<SyncWorkflowActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, maximumAttempts: 8 },
});
const stockActivities = proxyActivities<SyncWorkflowActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  // 停止 waits for the attempt in flight to stop at its next safe point, so nothing lands after the answer.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, maximumAttempts: 10 },
});

// Discovery is a hint before a push: a MakeShop hiccup must not hold the push for long.
const discoveryActivities = proxyActivities<SyncWorkflowActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

const settings = proxyLocalActivities<SyncWorkflowActivities>({ startToCloseTimeout: '10 seconds' });
/** The tenant's record in MongoDB: keep trying until it is back, a lost write would lose 稼働. */
const records = proxyActivities<SyncWorkflowActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Runs past this patch keep their work sets in MongoDB (src/storage/sync-work.ts) and carry counts only;
 * runs recorded before it keep the arrays in their state until their next continue-as-new, whose new
 * run stores what they carried (docs/workflow-versioning.md).
 */
export const BOUNDED_STATE_PATCH = 'bounded-sync-state';

/**
 * Runs past this patch push and import side by side instead of importing first: a push reserves the queued
 * orders anyway and counts those imported while it reads Smaregi, and an import under a slow Smaregi can
 * take tens of seconds while MakeShop still shows a decrement a push erased — nor does a failing push hold
 * the imports. Products a look for orders marked changed are pushed by the next cycle
 * (docs/workflow-versioning.md).
 */
export const PUSH_BESIDE_IMPORT_PATCH = 'sync-push-beside-import';

/**
 * Runs past this patch reconcile beside the push/import cycle instead of inside it: a reconciliation reads
 * every selected store, may read all of MakeShop's quantities (drift repair) and the order window, which under
 * a slow platform or a large catalog takes minutes, and no push or import waited on it ever needed to. It
 * only queues work, which wakes the loop when it is done (docs/workflow-versioning.md).
 */
export const RECONCILE_BESIDE_CYCLE_PATCH = 'sync-reconcile-beside-cycle';

/**
 * Runs past this patch import the queued orders in a loop of their own, beside the push cycle: a cycle no
 * longer waits for its imports, and imports no longer wait for a cycle. Under a slow Smaregi a backlog takes
 * minutes (15–50 s per order in the chaos run) and held the push that repairs an overwritten order's items;
 * and a push retried for minutes (a slow MakeShop) held the imports, so the backlog grew and every look for
 * orders had more to record.
 */
export const IMPORT_BESIDE_CYCLE_PATCH = 'sync-import-beside-cycle';

/**
 * Runs past this patch let a reconciliation that starts with nothing pending run alone. It reads the stores and
 * the order window itself and queues what it finds, which wakes the loop; the look for orders, the debounce and
 * the follow-up look a wake also ran were three more activities and a handful of workflow tasks per idle tenant
 * and interval (bench:tenants, 1,000 idle tenants).
 */
export const IDLE_RECONCILE_ALONE_PATCH = 'sync-idle-reconcile-alone';

export async function syncWorkflow(input: SyncWorkflowInput): Promise<void> {
  const s: SyncWorkflowState = input.carried ?? initialSyncState(Date.now(), DEFAULT_SYNC_TIMING, input.tenantId);
  const dirty = new Set(s.dirtyProductIds);
  /** The push in flight, cancelled by 停止; null when no push can land. */
  const push: { scope: CancellationScope | null } = { scope: null };
  const stored = patched(BOUNDED_STATE_PATCH) ? startStoringWork(s, dirty) : null;
  const pushBesideImport = stored !== null && patched(PUSH_BESIDE_IMPORT_PATCH);
  const reconcileBesideCycle = pushBesideImport && patched(RECONCILE_BESIDE_CYCLE_PATCH);
  const importBesideCycle = reconcileBesideCycle && patched(IMPORT_BESIDE_CYCLE_PATCH);
  const idleReconcileAlone = importBesideCycle && patched(IDLE_RECONCILE_ALONE_PATCH);
  /** The reconciliation running beside the cycle (runs past RECONCILE_BESIDE_CYCLE_PATCH); null when none is. */
  let reconciling: Promise<void> | null = null;
  /** The import loop beside the cycle (runs past IMPORT_BESIDE_CYCLE_PATCH), and when it is to stop. */
  let importing: Promise<void> | null = null;
  let importsEnd = false;
  /** An older run saw the api store work for it: it continues as new, and the new run reads the store. */
  let storeInUse = false;

  setHandler(syncStatusQuery, () => toStatus(s, dirty.size));
  setHandler(stockChangedSignal, ({ events }) => {
    for (const { eventId, productIds } of events) {
      if (!rememberEvent(s, eventId)) continue;
      for (const id of productIds) dirty.add(id);
    }
    if (stored) stored.signals++;
  });
  setHandler(orderNotifiedSignal, (order) => {
    addPendingOrder(s, order);
    if (stored) stored.signals++;
  });
  setHandler(syncWorkRecordedSignal, ({ products, orders }) => {
    if (!stored) return void (storeInUse = true);
    stored.signals++;
    // Counts for the status until the next push or reconciliation counts what is really stored.
    stored.pendingItems += products;
    stored.pendingOrders += orders;
    if (products > 0) stored.productsDue = true;
    if (orders > 0) stored.ordersDue = true;
  });
  setHandler(resyncRequestedSignal, () => void (s.fullPushDue = true));
  setHandler(stockSettingsChangedSignal, () => void (s.allItemsDue = true));
  let openAlertsAt = 0;
  setHandler(openAlertsChangedSignal, ({ count, at }) => {
    if (at < openAlertsAt) return;
    openAlertsAt = at;
    upsertSearchAttributes([{ key: OpenAlertsKey, value: count }]);
  });
  setHandler(readinessChangedSignal, (readiness) => void (s.readiness = readiness));
  setHandler(catalogActivatedSignal, ({ version }) => {
    s.catalogVersion = version;
    s.fullPushDue = true;
  });
  setHandler(makeshopLinkChangedSignal, async ({ linked, reason }) => {
    if (linked) return resumeAfterRelink(s, dirty);
    // Not ready until relinked, at once: the onboarding workflow's readiness follows a moment later.
    s.readiness = { ready: false, missing: [{ key: 'makeshopApplication', message: `${reason ?? MAKESHOP_APP_UNINSTALLED_REASON}。アプリを再インストールしてから開いてください。` }] };
    await stopForLostLink(s, reason ?? MAKESHOP_APP_UNINSTALLED_REASON);
  });
  setHandler(tenantActiveChangedSignal, ({ active }) => {
    if (active && !s.active) s.fullPushDue = true;
    s.active = active;
  });
  // A rebuilt workflow (no carried state) answers 稼働 only once its stored configuration is loaded:
  // the validator lets the update through until then and the handler checks it after loading.
  let loaded = input.carried !== undefined;
  const stateChanges = new Mutex();
  setHandler(
    setSyncStateUpdate,
    async ({ state }) => {
      if (!loaded) {
        await condition(() => loaded);
        refuseRunningUnlessAllowed(s, state);
      }
      return stateChanges.runExclusive(async () => {
        // The merchant decided: a later relink no longer restarts on its own.
        s.stoppedByLostLink = false;
        if (state !== s.state) {
          s.state = state;
          // Events seen while stopped are not trusted: 稼働 starts from a full push.
          if (state === 'running') {
            s.fullPushDue = true;
            dirty.clear();
          }
          if (state === 'stopped') await stopPushInFlight(push);
          await announceState(s);
        }
        return { state: s.state };
      });
    },
    {
      validator: ({ state }) => {
        if (loaded) refuseRunningUnlessAllowed(s, state);
      },
    },
  );

  // Handlers are in place before the first await, so no signal or update waits on this read.
  // Timing comes from the worker's configuration unless the starter (a test) pins it.
  const timing: SyncTiming = { ...(input.timing ? DEFAULT_SYNC_TIMING : await settings.syncTiming()), ...input.timing };
  if (!input.carried) {
    s.nextReconcileAt = initialSyncState(Date.now(), timing).nextReconcileAt;
    const saved = await records.loadSyncConfiguration({ tenantId: input.tenantId });
    if (saved) applyStoredConfiguration(s, saved, Date.now());
    if (s.state === 'running') upsertSearchAttributes([{ key: SyncStateKey, value: s.state }]);
    loaded = true;
  }

  const canWork = () => s.state === 'running' && s.active;
  const workCount = () =>
    stored
      ? (stored.productsDue ? 1 : 0) + (stored.ordersDue && importing === null ? 1 : 0) + (s.fullPushDue || s.allItemsDue ? 1 : 0)
      : s.pendingOrders.length + dirty.size + (s.fullPushDue || s.allItemsDue ? 1 : 0);
  /** What the debounce watches: the work signals a burst keeps sending. */
  const workGrowth = () => (stored ? stored.signals : workCount());
  /** Work a stored run holds in memory until it is written to MongoDB (what an older api signalled). */
  const unstored = () => (stored ? dirty.size + s.pendingOrders.length : 0);
  const reconcileDue = () => reconciling === null && Date.now() >= s.nextReconcileAt;
  const shouldContinueAsNew = () =>
    storeInUse ||
    workflowInfo().continueAsNewSuggested ||
    (input.maxHistoryEvents !== undefined && workflowInfo().historyLength > input.maxHistoryEvents);
  const importOrders = () => (stored ? importQueuedOrders(s, stored, () => !canWork() || shouldContinueAsNew()) : importPendingOrders(s, dirty));
  const pushStock = () => (stored ? pushStoredWork(s, stored, push) : pushChangedStock(s, dirty, push));

  const followUpDue = () => s.followUpDiscoveryAt !== null && Date.now() >= s.followUpDiscoveryAt;
  const nextTimer = () => {
    const at = Math.min(reconciling === null ? s.nextReconcileAt : Number.POSITIVE_INFINITY, s.followUpDiscoveryAt ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(at) ? Math.max(1, at - Date.now()) : undefined;
  };
  /** A reconciliation ended since the loop last woke: its timer is to be set again (runs past IDLE_RECONCILE_ALONE_PATCH). */
  let reconcileEnded = false;
  const startReconciling = (work: StoredWork) => {
    reconciling = reconcileIntoStore(s, work, timing).finally(() => {
      reconciling = null;
      reconcileEnded = true;
    });
  };

  if (importBesideCycle) {
    importing = (async () => {
      for (;;) {
        // Not while continue-as-new is due: the imports stop at the next order then, and the new run goes on.
        await condition(() => importsEnd || (canWork() && stored!.ordersDue && !shouldContinueAsNew()));
        if (importsEnd) return;
        // Activities retry on their own; what still fails is recorded, and the orders stay queued in MongoDB.
        await importOrders().catch((err: unknown) => recordError(s, 'order import failed', err));
      }
    })();
  }

  for (;;) {
    await condition(
      () =>
        (idleReconcileAlone && reconcileEnded) ||
        shouldContinueAsNew() ||
        unstored() > 0 ||
        (canWork() && (workCount() > 0 || reconcileDue() || followUpDue())),
      canWork() ? nextTimer() : undefined,
    );
    reconcileEnded = false;
    if (stored && unstored() > 0) await storeHeldWork(s, dirty);
    if (shouldContinueAsNew()) break;
    if (!canWork()) continue;

    if (reconcileDue()) {
      if (reconcileBesideCycle) startReconciling(stored!);
      else await (stored ? reconcileIntoStore(s, stored, timing) : reconcile(s, dirty, timing));
    }
    // Nothing to push: a reconciliation just started (it looks for orders itself) or one ended and found nothing.
    if (idleReconcileAlone && workCount() === 0 && !followUpDue()) continue;
    if (workCount() === 0 && followUpDue()) {
      // The look shortly after a push: orders placed while it was in flight.
      s.followUpDiscoveryAt = null;
      if (stored) await discoverIntoStore(s, stored, pushBesideImport);
      else addDiscovered(s, await discoverOrders(s));
      continue;
    }
    // Order discovery runs while the debounce waits, so it adds no latency to a sparse change.
    if (stored) {
      await Promise.all([discoverIntoStore(s, stored, pushBesideImport), debounce(workGrowth, timing)]);
    } else {
      const discovery = discoverOrders(s);
      await debounce(workGrowth, timing);
      addDiscovered(s, await discovery);
    }
    // 停止 may have come during the wait: then nothing more is pushed, and the work stays pending.
    if (!canWork()) continue;
    if (importBesideCycle) {
      await pushStock();
    } else if (pushBesideImport) {
      await Promise.all([pushStock(), importOrders()]);
    } else {
      await importOrders();
      if (!canWork()) continue;
      await pushStock();
    }
    s.followUpDiscoveryAt = Date.now() + FOLLOW_UP_DISCOVERY_MS;
  }

  // Its cursor and the work it queues belong to this run's state; the imports stop at the next order.
  if (reconciling) await reconciling;
  importsEnd = true;
  if (importing) await importing;
  await condition(allHandlersFinished);
  s.dirtyProductIds = [...dirty];
  await continueAsNew<typeof syncWorkflow>({ ...input, carried: s });
}

/**
 * From here on the run keeps its work in MongoDB. What an older run carried in its arrays (and what an
 * older api signals later) is held in `dirty` and `s.pendingOrders` only until storeHeldWork writes it.
 */
function startStoringWork(s: SyncWorkflowState, dirty: Set<string>): StoredWork {
  s.storedWork ??= storedWorkToCheck();
  for (const id of s.retryProductIds.splice(0)) dirty.add(id);
  for (const order of s.deferredOrders.splice(0)) addPendingOrder(s, order);
  return s.storedWork;
}

/** How many ids one activity call stores: its input stays far below Temporal's payload limit. */
const STORE_CHUNK = 5000;

/** Writes the work held in memory to MongoDB, in bounded chunks. */
async function storeHeldWork(s: SyncWorkflowState, dirty: Set<string>): Promise<void> {
  const stored = s.storedWork!;
  while (dirty.size > 0 || s.pendingOrders.length > 0) {
    const productIds = [...dirty].slice(0, STORE_CHUNK);
    const orders: PendingOrder[] = s.pendingOrders.slice(0, STORE_CHUNK);
    await records.recordSyncWork({ tenantId: s.tenantId, productIds, orders });
    for (const id of productIds) dirty.delete(id);
    s.pendingOrders.splice(0, orders.length);
    if (productIds.length > 0) stored.productsDue = true;
    if (orders.length > 0) stored.ordersDue = true;
  }
}

/** How long after a push MakeShop is asked once more for orders (those placed during the push). */
const FOLLOW_UP_DISCOVERY_MS = 3000;

/** Orders MakeShop took that no notification announced; a failed look is recorded and retried next cycle. */
async function discoverOrders(s: SyncWorkflowState): Promise<{ orderNumber: string; cmd: number }[]> {
  try {
    return (await discoveryActivities.discoverOrders({ tenantId: s.tenantId })).orders;
  } catch (err) {
    recordError(s, 'order discovery failed', err);
    return [];
  }
}

function addDiscovered(s: SyncWorkflowState, orders: { orderNumber: string; cmd: number }[]): void {
  for (const order of orders) addPendingOrder(s, order);
}

/** 稼働 needs an active subscription and every onboarding step that sync depends on. */
function refuseRunningUnlessAllowed(s: SyncWorkflowState, state: SyncWorkflowState['state']): void {
  if (state !== 'running') return;
  if (!s.active) {
    throw ApplicationFailure.nonRetryable('スマレジアプリの契約が終了しているため稼働できません。', 'tenant_inactive');
  }
  if (!s.readiness.ready) {
    throw ApplicationFailure.create({
      message: notReadyMessage(s.readiness),
      type: 'not_ready',
      nonRetryable: true,
      details: [{ requiredActions: s.readiness.missing }],
    });
  }
}

/** Waits until the work stops growing for `debounceMs`, but never longer than `maxDelayMs` in all. */
async function debounce(workCount: () => number, timing: SyncTiming): Promise<void> {
  const deadline = Date.now() + timing.maxDelayMs;
  let seen = workCount();
  while (Date.now() < deadline) {
    const grew = await condition(() => workCount() !== seen, Math.min(timing.debounceMs, deadline - Date.now()));
    if (!grew) return;
    seen = workCount();
  }
}

async function reconcile(s: SyncWorkflowState, dirty: Set<string>, timing: SyncTiming): Promise<void> {
  s.nextReconcileAt = Date.now() + timing.reconcileIntervalMs;
  try {
    const found = await stockActivities.reconcile({ tenantId: s.tenantId, stockCursor: s.stockCursor });
    s.stockCursor = found.stockCursor;
    for (const id of found.productIds) dirty.add(id);
    for (const order of found.orders) addPendingOrder(s, order);
    s.counters.reconciliations++;
  } catch (err) {
    recordError(s, 'reconciliation failed', err);
  }
  // Work that failed after all its retries gets another chance now, not in a hot loop.
  for (const id of s.retryProductIds.splice(0)) dirty.add(id);
  for (const order of s.deferredOrders.splice(0)) addPendingOrder(s, order);
  if (s.fullPushDeferred) {
    s.fullPushDeferred = false;
    s.fullPushDue = true;
  }
}

/** Orders discovered before a push are queued in MongoDB by the activity; a failed look is retried next cycle. */
async function discoverIntoStore(s: SyncWorkflowState, stored: StoredWork, pushFoundItems: boolean): Promise<void> {
  try {
    const { queued, products } = await discoveryActivities.discoverIntoQueue({ tenantId: s.tenantId });
    if (queued > 0) stored.ordersDue = true;
    if (pushFoundItems && products !== undefined && products > 0) stored.productsDue = true;
  } catch (err) {
    recordError(s, 'order discovery failed', err);
  }
}

/** The reconciliation of a stored run: its finds, refused rows and deferred orders are stored by the activity. */
async function reconcileIntoStore(s: SyncWorkflowState, stored: StoredWork, timing: SyncTiming): Promise<void> {
  s.nextReconcileAt = Date.now() + timing.reconcileIntervalMs;
  try {
    const found = await stockActivities.reconcileIntoQueue({ tenantId: s.tenantId, stockCursor: s.stockCursor });
    s.stockCursor = found.stockCursor;
    noteQueued(stored, found.queued);
    s.counters.reconciliations++;
  } catch (err) {
    recordError(s, 'reconciliation failed', err);
  }
  if (s.fullPushDeferred) {
    s.fullPushDeferred = false;
    s.fullPushDue = true;
  }
}

function noteQueued(stored: StoredWork, queued: { products: number; orders: number }): void {
  stored.pendingItems = queued.products;
  stored.pendingOrders = queued.orders;
  if (queued.products > 0) stored.productsDue = true;
  if (queued.orders > 0) stored.ordersDue = true;
}

/** Queued orders are read a page at a time; each order is one activity, as before. */
const ORDER_PAGE = 100;

/**
 * Works through the queued orders, oldest first, a page at a time. Between two orders it stops for 停止
 * and for continue-as-new (a backlog of thousands would outgrow the history); what is left stays queued.
 */
async function importQueuedOrders(s: SyncWorkflowState, stored: StoredWork, stop: () => boolean): Promise<void> {
  if (!stored.ordersDue) return;
  stored.ordersDue = false;
  for (;;) {
    const page = await records.nextQueuedOrders({ tenantId: s.tenantId, limit: ORDER_PAGE });
    stored.pendingOrders = page.queued;
    for (const order of page.orders) {
      if (stop()) return void (stored.ordersDue = true);
      try {
        const result = await orderActivities.processQueuedOrder({ tenantId: s.tenantId, ...order });
        if (result.affectedProducts > 0) stored.productsDue = true;
        if (result.outcome === 'imported') s.counters.ordersImported++;
        if (result.outcome === 'cancelled') s.counters.ordersCancelled++;
      } catch (err) {
        recordError(s, `order ${order.orderNumber} could not be processed`, err);
        // Retried at the next reconciliation; its quantities stay reserved meanwhile (order ledger).
        await records.deferQueuedOrder({ tenantId: s.tenantId, ...order });
      }
      stored.pendingOrders = Math.max(0, stored.pendingOrders - 1);
    }
    if (page.orders.length < ORDER_PAGE) return;
  }
}

/** The push of a stored run: the activity takes the dirty products from MongoDB itself. */
async function pushStoredWork(s: SyncWorkflowState, stored: StoredWork, push: { scope: CancellationScope | null }): Promise<void> {
  const full = s.fullPushDue;
  const allItems = !full && s.allItemsDue;
  if (!full && !allItems && !stored.productsDue) return;
  s.fullPushDue = false;
  s.allItemsDue = false;
  stored.productsDue = false;
  try {
    const result = await CancellationScope.cancellable(async () => {
      push.scope = CancellationScope.current();
      return stockActivities.pushQueuedStock({ tenantId: s.tenantId, full, allItems });
    });
    if (result.pushed > 0) s.lastPushAt = new Date(Date.now()).toISOString();
    stored.pendingItems = 0;
    s.counters.pushes++;
    if (result.catalogVersion !== null) s.catalogVersion = result.catalogVersion;
  } catch (err) {
    if (isCancellation(err)) {
      // 停止 stopped it: the work stays owed for the next 稼働 (the products stay taken in MongoDB).
      if (full) s.fullPushDue = true;
      else if (allItems) s.allItemsDue = true;
      else stored.productsDue = true;
      return;
    }
    recordError(s, 'stock push failed', err);
    // The products stay taken in MongoDB: the next push or the next reconciliation takes them again.
    if (full) s.fullPushDeferred = true;
    else if (allItems) s.allItemsDue = true;
  } finally {
    push.scope = null;
  }
}

async function importPendingOrders(s: SyncWorkflowState, dirty: Set<string>): Promise<void> {
  const orders = s.pendingOrders.splice(0);
  for (const order of orders) {
    try {
      const result = await orderActivities.processOrder({ tenantId: s.tenantId, ...order });
      for (const id of result.affectedProductIds) dirty.add(id);
      // MakeShop did not return it: looked up again at the next reconciliation, a bounded number of times.
      if (result.outcome === 'not-found') s.deferredOrders.push(order);
      if (result.outcome === 'imported') s.counters.ordersImported++;
      if (result.outcome === 'cancelled') s.counters.ordersCancelled++;
    } catch (err) {
      recordError(s, `order ${order.orderNumber} could not be processed`, err);
      // Retried at the next reconciliation; its quantities stay reserved meanwhile (order ledger).
      s.deferredOrders.push(order);
    }
  }
}

async function pushChangedStock(s: SyncWorkflowState, dirty: Set<string>, push: { scope: CancellationScope | null }): Promise<void> {
  const full = s.fullPushDue;
  const allItems = !full && s.allItemsDue;
  const productIds = full || allItems ? undefined : [...dirty];
  if (productIds?.length === 0) return;
  s.fullPushDue = false;
  s.allItemsDue = false;
  dirty.clear();
  const giveBack = () => {
    if (full) s.fullPushDue = true;
    else if (allItems) s.allItemsDue = true;
    else for (const id of productIds!) dirty.add(id);
  };
  try {
    const result = await CancellationScope.cancellable(async () => {
      push.scope = CancellationScope.current();
      return stockActivities.pushStock({ tenantId: s.tenantId, full, allItems, productIds });
    });
    if (result.pushed > 0) s.lastPushAt = new Date(Date.now()).toISOString();
    s.retryProductIds.push(...result.retryProductIds);
    s.counters.pushes++;
    if (result.catalogVersion !== null) s.catalogVersion = result.catalogVersion;
  } catch (err) {
    if (isCancellation(err)) {
      // 停止 stopped it: the work stays owed for the next 稼働.
      giveBack();
      return;
    }
    recordError(s, 'stock push failed', err);
    if (full) s.fullPushDeferred = true;
    else if (allItems) s.allItemsDue = true;
    else s.retryProductIds.push(...productIds!);
  } finally {
    push.scope = null;
  }
}

/** 停止: cancels the push in flight and returns once it has stopped (its attempt ended, no retry follows). */
async function stopPushInFlight(push: { scope: CancellationScope | null }): Promise<void> {
  push.scope?.cancel();
  await condition(() => push.scope === null);
}

function recordError(s: SyncWorkflowState, what: string, err: unknown): void {
  const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
  s.lastError = { at: new Date(Date.now()).toISOString(), message: `${what}: ${cause}` };
  log.warn(s.lastError.message, { tenantId: s.tenantId });
  // A revoked makeshop apps token cannot heal by retrying: stop (keeping the work) instead of looping.
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === MAKESHOP_REVOKED_FAILURE_TYPE) {
    void stopForLostLink(s, MAKESHOP_APP_UNINSTALLED_REASON);
  }
}

/** The MakeShop link is gone (apps uninstalled): 停止 with the reason; pending orders and items stay. */
async function stopForLostLink(s: SyncWorkflowState, reason: string): Promise<void> {
  s.lastError = { at: new Date(Date.now()).toISOString(), message: reason };
  if (s.state !== 'running') return;
  s.state = 'stopped';
  s.stoppedByLostLink = true;
  log.warn('sync stopped: MakeShop link lost', { tenantId: s.tenantId, reason });
  await announceState(s);
}

/** Relinked (reinstall + launch): a sync the loss stopped runs again, failed work first. */
async function resumeAfterRelink(s: SyncWorkflowState, dirty: Set<string>): Promise<void> {
  if (!s.stoppedByLostLink || s.state !== 'stopped') return;
  s.stoppedByLostLink = false;
  s.lastError = null;
  s.state = 'running';
  s.fullPushDue = true;
  // Failed work first: a stored run gets it from the reconciliation, which runs at once.
  if (s.storedWork) s.nextReconcileAt = Date.now();
  for (const id of s.retryProductIds.splice(0)) dirty.add(id);
  for (const order of s.deferredOrders.splice(0)) addPendingOrder(s, order);
  await announceState(s);
}

/** A new 稼働/停止: in the search attribute, in MongoDB (what a rebuilt run loads), then in onboarding. */
async function announceState(s: SyncWorkflowState): Promise<void> {
  upsertSearchAttributes([{ key: SyncStateKey, value: s.state }]);
  await records.saveSyncState({ tenantId: s.tenantId, state: s.state, stoppedByLostLink: s.stoppedByLostLink ?? false });
  await tellOnboarding(s.tenantId, s.state);
}

async function tellOnboarding(tenantId: string, state: SyncWorkflowState['state']): Promise<void> {
  try {
    await getExternalWorkflowHandle(onboardingWorkflowId(tenantId)).signal(syncStateChangedSignal, { state });
  } catch (err) {
    log.warn('could not record the sync state in the onboarding workflow', { tenantId, error: String(err) });
  }
}
