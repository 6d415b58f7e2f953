// Chaos: both simulators fail 20% of platform calls, throttle 10% with Retry-After and add latency; the
// worker (a real OS process running src/worker/main.ts) is killed with SIGKILL and restarted twice
// during 1,000 random events — POS sales and receipts, MakeShop orders and cancellations, duplicate
// deliveries of both platforms' webhooks. At quiescence every matched item's MakeShop stock equals its
// target and every order is imported exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, getJson, postJson } from '../support/platforms';
import { makeshopStock, onboardMerchant, startStack, type MerchantWorld, type Stack } from '../support/stack';
import { orderLedger } from '../../src/storage/orders';

const EVENTS = 1000;
const KILL_AT = [300, 650];
const STORES = ['1', '2', '3'];
const SYNCED_STORES = ['1', '2'];
const BUFFER = 1;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildWorld(): MerchantWorld {
  const plain = Array.from({ length: 16 }, (_, i) => `CH-${String(i + 1).padStart(3, '0')}`);
  const options = ['CH-OPT-S', 'CH-OPT-M', 'CH-OPT-L', 'CH-OPT-XL'];
  const codes = [...plain, ...options];
  return {
    contractId: 'sb_chaos001',
    shopId: 'chaosshop',
    stores: STORES.map((storeId) => ({ storeId, storeName: `店舗${storeId}` })),
    products: codes.map((productCode) => ({ productCode, productName: productCode })),
    stock: codes.flatMap((productCode, i) => STORES.map((storeId, s) => ({ storeId, productCode, amount: 5 + ((i * 3 + s * 7) % 11) }))),
    shop: {
      products: [
        ...plain.map((customCode, i) => ({ systemCode: String(i + 1).padStart(12, '0'), customCode, name: customCode, jan: '', quantity: 0 })),
        { systemCode: '000000000100', customCode: 'CH-OPT', name: 'オプション商品', jan: '', quantity: 0, optionNames: ['サイズ'] },
      ],
      options: options.map((optionCode) => ({ systemCode: '000000000100', optionCode, option1: optionCode.slice(7), option2: '', jan: '', quantity: 0 })),
    },
    stockStoreIds: SYNCED_STORES,
    shipmentStoreId: '1',
    buffer: BUFFER,
  };
}

const world = buildWorld();
const codes = world.products.map((p) => p.productCode);
let stack: Stack;
let merchant: { tenantId: string; token: string };
let notificationUrl: string;

before(async () => {
  // A worker killed mid-order leaves its order's claim (a 5-minute lease) behind; the reconciliation settles
  // that order once the lease lapses, so it runs every minute here (10 minutes in production).
  stack = await startStack('chaos', { workerMode: 'process', makeshopIntervalMs: 20, sync: { debounceMs: 100, maxDelayMs: 1000, reconcileIntervalMs: 60_000 } });
  merchant = await onboardMerchant(stack, world);
  notificationUrl = (await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token: merchant.token })).body.notificationUrl;
  await eventually(async () => assert.equal((await makeshopStock(stack, world.shopId)).get('CH-001'), await targetOf('CH-001')), 60_000);
});
after(async () => stack?.close());

async function smaregiTotals(): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const code of codes) {
    const body = await getJson<{ perStore: { storeId: string; amount: number }[] }>(
      `${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock?productCode=${code}`,
    );
    totals.set(code, body.perStore.filter((s) => SYNCED_STORES.includes(s.storeId)).reduce((a, s) => a + s.amount, 0));
  }
  return totals;
}

async function targetOf(code: string): Promise<number> {
  return Math.max(0, ((await smaregiTotals()).get(code) ?? 0) - BUFFER);
}

async function setFaults(faults: { errorRate: number; throttleRate: number; latencyMs: number }): Promise<void> {
  await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/faults`, faults, 'PUT');
  await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/faults`, faults, 'PUT');
}

test('1,000 random events under platform faults and two worker kills converge exactly', { timeout: 15 * 60_000 }, async () => {
  const random = prng(20261127);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const placed: { orderNumber: string; cancelled: boolean }[] = [];
  const counts = { sale: 0, receipt: 0, order: 0, refused: 0, cancel: 0, dupMakeshop: 0, dupSmaregi: 0 };
  const smaregiSim = `${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}`;
  const makeshopSim = `${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}`;

  await setFaults({ errorRate: 0.2, throttleRate: 0.1, latencyMs: 30 });
  for (let i = 0; i < EVENTS; i++) {
    if (KILL_AT.includes(i)) {
      await stack.worker.kill();
      await new Promise((r) => setTimeout(r, 1500));
      await stack.worker.start();
    }
    const roll = random();
    if (roll < 0.3) {
      counts.sale++;
      await postJson(`${smaregiSim}/stock-adjustments`, { storeId: pick(STORES), productCode: pick(codes), delta: -1 - Math.floor(random() * 3) });
    } else if (roll < 0.5) {
      counts.receipt++;
      await postJson(`${smaregiSim}/stock-adjustments`, { storeId: pick(STORES), productCode: pick(codes), delta: 1 + Math.floor(random() * 5) });
    } else if (roll < 0.7) {
      const lines = [{ code: pick(codes.filter((c) => c !== 'CH-OPT')), quantity: 1 + Math.floor(random() * 2) }];
      const res = await fetch(`${makeshopSim}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lines }) });
      if (res.status === 409) counts.refused++; // MakeShop does not sell what it does not show in stock
      else {
        assert.ok(res.ok, await res.clone().text());
        placed.push({ orderNumber: ((await res.json()) as { orderNumber: string }).orderNumber, cancelled: false });
        counts.order++;
      }
    } else if (roll < 0.78) {
      const open = placed.filter((o) => !o.cancelled);
      if (open.length > 0) {
        const victim = pick(open);
        await postJson(`${makeshopSim}/orders/${victim.orderNumber}/cancel`, {});
        victim.cancelled = true;
        counts.cancel++;
      }
    } else if (roll < 0.9) {
      if (placed.length > 0) {
        const again = pick(placed);
        const url = notificationUrl.replace('[SHOPID]', world.shopId).replace('[ORDERNUM]', again.orderNumber).replace('[CMD]', again.cancelled ? '2' : '0');
        await fetch(url);
        counts.dupMakeshop++;
      }
    } else {
      const deliveries = await getJson<{ eventId: string; event: string; body: unknown }[]>(`${smaregiSim}/webhook-deliveries`);
      if (deliveries.length > 0) {
        const d = pick(deliveries);
        await fetch(`${stack.apiUrl}/webhooks/smaregi`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'smaregi-contract-id': world.contractId,
            'smaregi-event': d.event,
            'smaregi-event-id': d.eventId,
            [stack.config.SMAREGI_WEBHOOK_HEADER_NAME]: stack.config.SMAREGI_WEBHOOK_HEADER_VALUE,
          },
          body: JSON.stringify(d.body),
        });
        counts.dupSmaregi++;
      }
    }
  }
  console.log(`chaos events: ${JSON.stringify(counts)}`);
  // Quiescence: the platforms recover; nothing is resent by hand.
  await setFaults({ errorRate: 0, throttleRate: 0, latencyMs: 0 });

  await eventually(
    async () => {
      const totals = await smaregiTotals();
      const stock = await makeshopStock(stack, world.shopId);
      const wrong = codes.filter((code) => stock.get(code) !== Math.max(0, totals.get(code)! - BUFFER));
      assert.deepEqual(wrong.map((c) => `${c}: MakeShop ${stock.get(c)} vs target ${Math.max(0, totals.get(c)! - BUFFER)}`), []);
      const unsettled = await orderLedger(stack.database.db).countDocuments({ tenantId: merchant.tenantId, status: { $nin: ['imported', 'cancelled'] } });
      assert.equal(unsettled, 0, 'orders still pending');
    },
    8 * 60_000,
    1000,
  );

  const shipments = await getJson<{ identificationNo: string | null; deleted: boolean }[]>(`${smaregiSim}/shipments`);
  const ledger = await orderLedger(stack.database.db).find({ tenantId: merchant.tenantId }).toArray();
  const byOrder = new Map(ledger.map((o) => [o.orderNumber, o.status]));
  for (const o of placed) {
    const created = shipments.filter((s) => s.identificationNo === o.orderNumber);
    const live = created.filter((s) => !s.deleted);
    assert.ok(created.length <= 1, `order ${o.orderNumber} was imported ${created.length} times`);
    if (o.cancelled) {
      assert.equal(live.length, 0, `cancelled order ${o.orderNumber} still has a shipment`);
      assert.equal(byOrder.get(o.orderNumber), 'cancelled');
    } else {
      assert.equal(live.length, 1, `order ${o.orderNumber} has ${live.length} shipments`);
      assert.equal(byOrder.get(o.orderNumber), 'imported');
    }
  }
  assert.ok(counts.order > 50 && counts.cancel > 10 && counts.dupMakeshop > 20 && counts.dupSmaregi > 20, JSON.stringify(counts));
});
