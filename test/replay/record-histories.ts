// `npm run replay:record`: runs a merchant's life on the full stack (sign-up → 稼働, a POS sale, a
// MakeShop order and its cancellation, a re-upload of the catalog) and saves one history per workflow
// type into test/replay/histories/, which the replay test (replay.test.ts) replays on every `npm test`.
// Re-record after a change that is meant to be replay-compatible only if the old histories still
// replay; keep old files of earlier versions (docs/workflow-versioning.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import type { temporal } from '@temporalio/proto';
import { TenantIdKey } from '../../src/temporal/search-attributes';
import { historyAsJson } from './history-files';
import { eventually, postJson } from '../support/platforms';
import { makeshopStock, merchantWorld, onboardMerchant, startStack, uploadCatalogFromShop } from '../support/stack';

const HISTORIES = join(__dirname, 'histories');

const world = merchantWorld('replay', { 'RP-1': 8, 'RP-2': 5 }, { productNames: { 'RP-1': '記録用1', 'RP-2': '記録用2' } });

async function main(): Promise<void> {
  const stack = await startStack('replay-record', { sync: { reconcileIntervalMs: 5_000 } });
  try {
    const merchant = await onboardMerchant(stack, world);
    const stock = () => makeshopStock(stack, world.shopId);
    await eventually(async () => {
      if ((await stock()).get('RP-1') !== 8) throw new Error('not pushed yet');
    });
    await postJson(`${stack.platforms.smaregi.baseUrl}/__sim/contracts/${world.contractId}/stock-adjustments`, { storeId: '1', productCode: 'RP-1', delta: -2 });
    const { orderNumber } = (await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders`, {
      lines: [{ code: 'RP-2', quantity: 1 }],
    })) as { orderNumber: string };
    await eventually(async () => {
      if ((await stock()).get('RP-1') !== 6) throw new Error('sale not pushed yet');
    }, 60_000);
    await postJson(`${stack.platforms.makeshop.baseUrl}/__sim/shops/${world.shopId}/orders/${orderNumber}/cancel`, {});
    await uploadCatalogFromShop(stack, merchant.token, world.shopId);
    // One reconciliation period while 稼働 (none runs while stopped), so the sync history holds a reconciliation too.
    await new Promise((r) => setTimeout(r, 6_000));
    await stack.http('PUT', '/api/v1/sync/state', { token: merchant.token, body: { state: 'stopped' } });

    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    mkdirSync(HISTORIES, { recursive: true });
    const longest = new Map<string, { workflowId: string; events: number; history: temporal.api.history.v1.IHistory }>();
    for await (const wf of stack.temporal.client.workflow.list({ query: `${TenantIdKey.name} = "${merchant.tenantId}"` })) {
      const history = await stack.temporal.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const events = history.events?.length ?? 0;
      if ((longest.get(wf.type)?.events ?? -1) < events) longest.set(wf.type, { workflowId: wf.workflowId, events, history });
    }
    for (const [type, { workflowId, events, history }] of longest) {
      const file = join(HISTORIES, `${type}-${commit}.json`);
      writeFileSync(file, historyAsJson(history) + '\n');
      console.log(`[replay:record] ${type}: ${events} events from ${workflowId} → ${file}`);
    }
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
