// The order claim is a short lease renewed while its attempt is alive (issue 10 #3 follow-up): a worker
// killed in the middle of an order leaves a claim that lapses within the activity's own retries, so the
// retry takes the order over and imports it once, with no reconciliation; a live attempt that is slow
// keeps its claim however long its write takes, so a second attempt never writes beside it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, getJson, postJson } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardMerchant, startStack, type Stack } from '../support/stack';
import { orderLedger } from '../../src/storage/orders';
import { CLAIM_LEASE_MS, OrderBusyError, withOrderClaim } from '../../src/sync/orders';

const world = merchantWorld('orderclaim', { 'CL-001': 10, 'CL-002': 10 });

let stack: Stack;
let merchant: { tenantId: string; token: string };
const contractSim = () => `${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}`;
const ledgerOf = (orderNumber: string) => orderLedger(stack.database.db).findOne({ tenantId: merchant.tenantId, orderNumber });
const shipmentsOf = async (orderNumber: string) =>
  (await getJson<{ identificationNo: string | null; deleted: boolean }[]>(`${contractSim()}/shipments`)).filter((s) => s.identificationNo === orderNumber);

before(async () => {
  // Reconciliation hourly: nothing but the order's own activity retries can settle the order here.
  stack = await startStack('orderclaim', { workerMode: 'process', sync: { reconcileIntervalMs: 60 * 60 * 1000 } });
  merchant = await onboardMerchant(stack, world);
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('CL-001'), 10), 60_000);
});
after(async () => stack?.close());

test('a claim left by a killed worker is taken over by the retry within about a minute, and the order imported once', { timeout: 5 * 60_000 }, async () => {
  // Slow Smaregi: the worker is killed while its shipment POST is in flight (the POST still lands).
  await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/faults`, { errorRate: 0, throttleRate: 0, latencyMs: 8000 }, 'PUT');
  const { orderNumber } = (await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders`, {
    lines: [{ code: 'CL-001', quantity: 2 }],
  })) as { orderNumber: string };
  await eventually(async () => {
    const ledger = await ledgerOf(orderNumber);
    assert.ok(ledger?.claim && ledger.shipmentClaimed, 'the attempt holds the claim and is sending the shipment');
  }, 60_000, 50);
  await stack.worker.kill();
  const killedAt = Date.now();
  await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/faults`, { errorRate: 0, throttleRate: 0, latencyMs: 0 }, 'PUT');
  await stack.worker.start();

  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'), 120_000, 200);
  const tookOverAfterMs = Date.now() - killedAt;
  console.log(`order imported ${tookOverAfterMs} ms after the worker was killed`);
  // The order activity's retries (8 attempts, backoff to 30 s) span about 90 s after the heartbeat timeout.
  assert.ok(tookOverAfterMs < 90_000, `imported ${tookOverAfterMs} ms after the kill`);
  assert.equal((await shipmentsOf(orderNumber)).length, 1, 'one shipment for the order');
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('CL-001'), 8), 30_000);
});

test('a live attempt slower than the lease keeps its claim: a second attempt backs off', { timeout: 3 * 60_000 }, async () => {
  const { orderNumber } = (await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders`, {
    lines: [{ code: 'CL-002', quantity: 1 }],
  })) as { orderNumber: string };
  await eventually(async () => assert.equal((await ledgerOf(orderNumber))?.status, 'imported'), 60_000);
  const { db } = stack.database;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let writes = 0;
  // Attempt A holds the order, as during one Smaregi write that takes longer than the lease.
  const first = withOrderClaim(db, merchant.tenantId, orderNumber, async (guard) => {
    await guard();
    await released;
    writes++;
    return 'first';
  });
  await eventually(async () => assert.ok((await ledgerOf(orderNumber))?.claim));
  const claimedAt = Date.now();
  await new Promise((r) => setTimeout(r, CLAIM_LEASE_MS + 5000));
  await assert.rejects(
    withOrderClaim(db, merchant.tenantId, orderNumber, async () => {
      writes++;
      return 'second';
    }),
    OrderBusyError,
  );
  assert.ok(Date.now() - claimedAt > CLAIM_LEASE_MS, 'the second attempt came after one lease');
  release();
  assert.equal(await first, 'first');
  assert.equal(writes, 1);
  assert.equal((await ledgerOf(orderNumber))?.claim ?? null, null, 'the claim is released');
});
