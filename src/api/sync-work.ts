import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { markProductsDirty, queueOrders } from '../storage/sync-work';
import { signalSyncWorkflow } from '../temporal/tenant-workflows';
import { syncWorkRecordedSignal } from '../workflows/messages';

/**
 * Hands work to the tenant's sync workflow: the changed products and order notifications are written to
 * MongoDB first (idempotent set writes, so a redelivery only writes them again), then the workflow gets a
 * hint with the counts. Once this returns the work cannot be lost; if the hint fails the caller answers
 * an error and the sender's retry writes and signals again (the reconciliation finds stored work too).
 */
export async function handSyncWork(
  deps: { db: Db; temporal: Client; taskQueue: string },
  tenantId: string,
  work: { productIds?: string[]; orders?: { orderNumber: string; cmd: number }[] },
  /** Bounds the call to Temporal (a sender waiting for its answer); MongoDB has its own timeouts. */
  signalTimeoutMs?: number,
): Promise<void> {
  const products = await markProductsDirty(deps.db, tenantId, work.productIds ?? []);
  const orders = await queueOrders(deps.db, tenantId, work.orders ?? []);
  const signal = () => signalSyncWorkflow(deps.temporal, deps.taskQueue, tenantId, syncWorkRecordedSignal, [{ products, orders }]);
  await (signalTimeoutMs === undefined ? signal() : deps.temporal.withDeadline(Date.now() + signalTimeoutMs, signal));
}
