// Bounded workflow state (issue 10 #9, issue 12 item 3): a tenant's changed products and queued orders live
// in MongoDB, the sync workflow carries counts only. Read from the real histories (every run of the chain):
// 100,000 changed products and 20,000 order notifications never bring a payload near Temporal's 2 MB limit.
// (A backlog worked through across continue-as-new, each order once: test/workflows-fast/sync.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { eventually } from '../support/platforms';
import { onboardMerchant, startStack, syncHistories, type MerchantWorld, type Stack } from '../support/stack';
import { pendingProductIds, readQueuedOrders } from '../../src/storage/sync-work';
import { syncWorkflowId } from '../../src/workflows/messages';

const CHANGED_PRODUCTS = 100_000;
const NOTIFIED_ORDERS = 20_000;
const PER_EVENT = 1000;
/** Far below Temporal's 2 MB payload limit: the state must not grow with the backlog at all. */
const EVENT_BYTES_LIMIT = 256 * 1024;

function world(id: string, codes: string[], amount: number): MerchantWorld {
  return {
    contractId: `sb_bounded${id}`,
    shopId: `boundedshop${id}`,
    stores: [{ storeId: '1', storeName: '本店' }],
    products: codes.map((productCode) => ({ productCode, productName: productCode })),
    stock: codes.map((productCode) => ({ storeId: '1', productCode, amount })),
    shop: {
      products: codes.map((customCode, i) => ({
        systemCode: String(i + 1).padStart(12, '0'),
        customCode,
        name: customCode,
        jan: '',
        quantity: 0,
      })),
      options: [],
    },
    stockStoreIds: ['1'],
    shipmentStoreId: '1',
    login: { accountId: `admin-${id}`, password: 'pass-1234567', orderAuthCode: `order-auth-${id}` },
  };
}

let stack: Stack;
before(async () => {
  stack = await startStack('bounded', {
    makeshopIntervalMs: 10,
    sync: { debounceMs: 100, maxDelayMs: 1000, reconcileIntervalMs: 60 * 60 * 1000 },
  });
});
after(async () => stack?.close());

const eventBytes = (event: temporal.api.history.v1.IHistoryEvent) =>
  temporal.api.history.v1.HistoryEvent.encode(event).finish().length;

/**
 * Sends like a platform that retries: the api answers 503 when Temporal does not take the signal within its
 * bound (a loaded machine), and the work it stored is then re-signalled by the resend. Duplicates are harmless.
 */
async function sendRetrying(send: () => Promise<Response>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await send();
    const text = await res.text();
    if (res.status === 200) return;
    if (res.status !== 503 || attempt === 5) assert.fail(`answered ${res.status}: ${text}`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

async function inBatches<T>(
  items: T[],
  concurrency: number,
  send: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await send(items[next++]!);
    }),
  );
}

test(
  `${CHANGED_PRODUCTS} changed products and ${NOTIFIED_ORDERS} order notifications: every payload stays far below 2 MB`,
  { timeout: 30 * 60_000 },
  async () => {
    const w = world('load', ['BL-001'], 5);
    // 停止: the work only accumulates, as during a long stop or an outage of the platforms.
    const merchant = await onboardMerchant(stack, w, { run: false });
    const { config, apiUrl } = stack;
    await inBatches(
      Array.from({ length: CHANGED_PRODUCTS / PER_EVENT }, (_, i) => i),
      4,
      async (batch) => {
        const ids = Array.from({ length: PER_EVENT }, (_, j) => {
          const n = batch * PER_EVENT + j;
          return { id: String(n), productId: String(8_000_000_000 + n), storeId: '1' };
        });
        await sendRetrying(() =>
          fetch(`${apiUrl}/webhooks/smaregi`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'smaregi-contract-id': w.contractId,
              'smaregi-event': 'pos:stock',
              'smaregi-event-id': `bounded-${batch}`,
              [config.SMAREGI_WEBHOOK_HEADER_NAME]: config.SMAREGI_WEBHOOK_HEADER_VALUE,
            },
            body: JSON.stringify({ contractId: w.contractId, event: 'pos:stock', action: 'edited', ids }),
          }),
        );
      },
    );
    const { notificationUrl } = (
      await stack.http<{ notificationUrl: string }>('GET', '/api/v1/order-import', { token: merchant.token })
    ).body;
    await inBatches(
      Array.from({ length: NOTIFIED_ORDERS }, (_, i) => i),
      48,
      async (n) => {
        const url = notificationUrl
          .replace('[SHOPID]', w.shopId)
          .replace('[ORDERNUM]', String(700_000_000 + n))
          .replace('[CMD]', '0');
        await sendRetrying(() => fetch(url));
      },
    );

    // Every answer 200 means the work is durable: stored in MongoDB, not in the workflow.
    assert.equal((await pendingProductIds(stack.database.db, merchant.tenantId)).length, CHANGED_PRODUCTS);
    assert.equal((await readQueuedOrders(stack.database.db, merchant.tenantId, 1)).queued, NOTIFIED_ORDERS);

    // The workflow has handled every signal (its state is queryable and no task failed), then the histories.
    const handle = stack.temporal.client.workflow.getHandle(syncWorkflowId(merchant.tenantId));
    await eventually(async () => assert.equal((await handle.describe()).status.name, 'RUNNING'), 60_000, 500);
    const runs = await syncHistories(stack, merchant.tenantId);
    let largest = 0;
    let longest = 0;
    for (const run of runs) {
      longest = Math.max(longest, run.events.length);
      const failed = run.events.filter((e) => e.workflowTaskFailedEventAttributes);
      assert.deepEqual(
        failed.map((e) => e.workflowTaskFailedEventAttributes?.failure?.message),
        [],
        `run ${run.runId}: no workflow task failed`,
      );
      for (const event of run.events) {
        const bytes = eventBytes(event);
        largest = Math.max(largest, bytes);
        assert.ok(
          bytes < EVENT_BYTES_LIMIT,
          `run ${run.runId}: event ${event.eventId} (${event.eventType}) is ${bytes} bytes`,
        );
      }
      const total = run.events.reduce((n, e) => n + eventBytes(e), 0);
      assert.ok(
        total < 8 * 1024 * 1024,
        `run ${run.runId}: history of ${total} bytes (Temporal's limit is 50 MB)`,
      );
      assert.ok(
        run.events.length < 20_000,
        `run ${run.runId}: ${run.events.length} events (Temporal's limit is 51,200)`,
      );
    }
    console.log(
      `bounded state: ${runs.length} runs, largest event ${largest} bytes, longest run ${longest} events`,
    );
  },
);
