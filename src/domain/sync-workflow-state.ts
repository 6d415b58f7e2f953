// The sync workflow's state and its pure transitions (no Node imports: runs in the workflow sandbox).
import type { Readiness, SyncState, SyncStatus } from './sync';
import type { StoredSyncConfiguration } from './workflow-records';

export interface SyncTiming {
  /** Quiet period that ends a burst. */
  debounceMs: number;
  /** The longest a change waits for the burst it belongs to. */
  maxDelayMs: number;
  /** Period of the safety-net reconciliation (lost webhooks, lost notifications). */
  reconcileIntervalMs: number;
}

export const DEFAULT_SYNC_TIMING: SyncTiming = { debounceMs: 300, maxDelayMs: 2000, reconcileIntervalMs: 10 * 60 * 1000 };

export interface PendingOrder {
  orderNumber: string;
  cmd: number;
}

const RECENT_EVENT_IDS = 2000;

export interface SyncWorkflowState {
  tenantId: string;
  state: SyncState;
  active: boolean;
  readiness: Readiness;
  catalogVersion: number | null;
  pendingOrders: PendingOrder[];
  dirtyProductIds: string[];
  retryProductIds: string[];
  /** Orders whose processing failed after all retries: tried again at the next reconciliation. */
  deferredOrders: PendingOrder[];
  fullPushDue: boolean;
  /** Stock settings changed: every item's target is recomputed and the changed ones pushed. */
  allItemsDue: boolean;
  /** A full push that failed after all retries: tried again at the next reconciliation, not in a loop. */
  fullPushDeferred: boolean;
  /** Bounded memory of Smaregi event ids: the second line of de-duplication after the api's. */
  recentEventIds: string[];
  stockCursor: string | null;
  nextReconcileAt: number;
  /** When MakeShop is asked once more for orders after a push; null when no look is owed. */
  followUpDiscoveryAt: number | null;
  lastPushAt: string | null;
  lastError: { at: string; message: string } | null;
  counters: SyncStatus['counters'];
  /** Set when the sync stopped because the MakeShop link was lost (apps uninstalled): a relink resumes it. */
  stoppedByLostLink?: boolean;
  /**
   * Runs past the patch 'bounded-sync-state' keep their work sets (changed products, queued and deferred
   * orders) in MongoDB and carry only this; the arrays above then stay empty, or hold the little that an
   * older api sent in a signal and that is not stored yet.
   */
  storedWork?: StoredWork;
}

/** What a run that keeps its work in MongoDB knows about it: whether a push or an import is due, and how much waits. */
export interface StoredWork {
  productsDue: boolean;
  ordersDue: boolean;
  /** Work signals received: the debounce waits until this stops growing. */
  signals: number;
  /** How many products and orders waited at the last look (for the status only). */
  pendingItems: number;
  pendingOrders: number;
}

/** A run that starts keeping its work in MongoDB looks at what is stored there first. */
export function storedWorkToCheck(): StoredWork {
  return { productsDue: true, ordersDue: true, signals: 0, pendingItems: 0, pendingOrders: 0 };
}

/** The merchant-facing reason a lost makeshop apps link stops the sync (GET /sync lastError). */
export const MAKESHOP_APP_UNINSTALLED_REASON = 'MakeShop アプリがアンインストールされました';
/** The activity failure type of a revoked makeshop apps token (activities/sync.ts: `${platform}-${kind}`). */
export const MAKESHOP_REVOKED_FAILURE_TYPE = 'makeshop-revoked';

export const NOT_READY: Readiness = {
  ready: false,
  missing: [{ key: 'onboarding', message: '初期設定を完了してください。' }],
};

export function initialSyncState(now: number, timing: SyncTiming, tenantId = ''): SyncWorkflowState {
  return {
    tenantId,
    state: 'stopped',
    active: true,
    readiness: NOT_READY,
    catalogVersion: null,
    pendingOrders: [],
    dirtyProductIds: [],
    retryProductIds: [],
    deferredOrders: [],
    fullPushDue: false,
    allItemsDue: false,
    fullPushDeferred: false,
    recentEventIds: [],
    stockCursor: null,
    // The first reconciliation runs soon after 稼働 so a gap before start-up is covered too.
    nextReconcileAt: now + Math.min(timing.reconcileIntervalMs, 60_000),
    followUpDiscoveryAt: null,
    lastPushAt: null,
    lastError: null,
    counters: { pushes: 0, ordersImported: 0, ordersCancelled: 0, reconciliations: 0 },
  };
}

/** Records an event id; false when it was seen already (a duplicate delivery). */
export function rememberEvent(s: SyncWorkflowState, eventId: string): boolean {
  if (s.recentEventIds.includes(eventId)) return false;
  s.recentEventIds.push(eventId);
  if (s.recentEventIds.length > RECENT_EVENT_IDS) s.recentEventIds.splice(0, s.recentEventIds.length - RECENT_EVENT_IDS);
  return true;
}

/** Queues an order command unless the same one is already waiting (repeated notifications). */
export function addPendingOrder(s: SyncWorkflowState, order: PendingOrder): void {
  if (s.pendingOrders.some((o) => o.orderNumber === order.orderNumber && o.cmd === order.cmd)) return;
  s.pendingOrders.push({ orderNumber: order.orderNumber, cmd: order.cmd });
}

export function notReadyMessage(readiness: Readiness): string {
  return ['稼働には下記の設定が必要です:', ...readiness.missing.map((m) => `・${m.message}`)].join('\n');
}

export function toStatus(s: SyncWorkflowState, dirtyCount: number): SyncStatus {
  return {
    state: s.state,
    active: s.active,
    readiness: s.readiness,
    catalogVersion: s.catalogVersion,
    pending: {
      orders: s.pendingOrders.length + s.deferredOrders.length + (s.storedWork?.pendingOrders ?? 0),
      items: dirtyCount + s.retryProductIds.length + (s.storedWork?.pendingItems ?? 0),
      fullPush: s.fullPushDue || s.fullPushDeferred || s.allItemsDue,
    },
    lastPushAt: s.lastPushAt,
    lastError: s.lastError,
    counters: s.counters,
  };
}

/**
 * A sync workflow started without carried state (after a terminate) takes its configuration from
 * MongoDB. What it cannot know — events and orders its predecessor had not handled — is recovered the
 * way 稼働 always starts: a full push, and a reconciliation at once (stock since the last 24 h, orders
 * MakeShop has that the ledger has not settled).
 */
export function applyStoredConfiguration(s: SyncWorkflowState, stored: StoredSyncConfiguration, now: number): void {
  s.state = stored.state;
  s.active = stored.active;
  s.readiness = stored.readiness;
  s.catalogVersion = stored.catalogVersion;
  s.stoppedByLostLink = stored.stoppedByLostLink;
  if (stored.state === 'running') {
    s.fullPushDue = true;
    s.nextReconcileAt = now;
  }
}
