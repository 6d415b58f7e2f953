import Router from '@koa/router';
import { z } from 'zod';
import { slowFaultsShape } from '../slow-faults';
import { ControlError, queryParam, readJsonBody, routeParam } from './sim-http';
import type { FaultSettings } from './guards';
import type { SimContract, SmaregiSimState, StockChange } from './state';
import { defaultSimUsers, type SmaregiIdState } from './smaregi-id';
import type { WebhookSender } from './webhook-sender';

/**
 * Control API for the demo, tests and acceptance checks (DESIGN §6). Never rate-limited or faulted.
 *
 *   POST /__sim/contracts                                   create or replace a contract (and its スマレジID users)
 *   GET  /__sim/contracts/{cid}                             (extra) the contract with assigned productIds
 *   POST /__sim/contracts/{cid}/stock-adjustments           a sale/receipt: stock change + history + webhook
 *   POST /__sim/contracts/{cid}/stock-adjustments/bulk      (extra) many at once, one webhook per change (benchmarks)
 *   GET  /__sim/contracts/{cid}/stock?productCode=          {perStore:[{storeId, amount}], total}
 *   GET  /__sim/contracts/{cid}/shipments                   every shipment, deleted ones flagged
 *   PUT  /__sim/contracts/{cid}/options                     {shipmentDeleteRefused}: a shipped 出荷 can't be deleted (400)
 *   GET  /__sim/contracts/{cid}/webhook-deliveries          (extra) each webhook attempt and its outcome
 *   PUT  /__sim/webhook                                     {url, header:{name, value}}
 *   PUT  /__sim/faults                                      {errorRate, throttleRate, latencyMs, webhookDropRate, slowRate,
 *                                                            slowMinMs, slowMaxMs, retryAfterMaxSeconds (extra: slow-faults.ts)}
 *   GET  /__sim/faults                                      (extra) current faults
 */
export interface ControlRouteDeps {
  state: SmaregiSimState;
  ids: SmaregiIdState;
  webhooks: WebhookSender;
  faults: { get(): FaultSettings; set(next: FaultSettings): void };
}

const PRINTABLE_ASCII = /^[ -~]+$/;
/** Adjustments stand for sales and receipts at the till; recorded as 09 (調整) since the reason is not given. */
const ADJUSTMENT_STOCK_DIVISION = '09';

const storeId = z.string().regex(/^\d{1,9}$/, 'storeId must be 1-9 digits');
const productCode = z.string().min(1).max(20).regex(PRINTABLE_ASCII, 'productCode must be printable ASCII');
const integer = z.number().int();

const contractBody = z.object({
  contractId: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'contractId must be letters, digits, _ or -'),
  stores: z
    .array(z.object({ storeId, storeName: z.string().min(1), division: z.enum(['0', '1']).optional() }))
    .min(1),
  products: z.array(
    z.object({
      productCode,
      productName: z.string().min(1),
      stockControlDivision: z.enum(['0', '1']).optional(),
    }),
  ),
  stock: z.array(z.object({ storeId, productCode, amount: integer })).default([]),
  /** スマレジID users of the contract; when absent, one owner (DESIGN §6). */
  // Not z.email(): the default owner's domain carries the contract id, and sandbox ids have underscores.
  users: z.array(z.object({ email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'email must look like name@domain'), password: z.string().min(1), isOwner: z.boolean() })).min(1).optional(),
});

const adjustment = z.object({ storeId, productCode, delta: integer, memo: z.string().max(100).optional() });
const bulkAdjustments = z.object({ adjustments: z.array(adjustment).min(1).max(100_000) });

const webhookBody = z.object({
  url: z.url(),
  header: z
    .object({
      name: z.string().regex(/^[A-Za-z0-9-]+$/, 'header name must be a valid HTTP header name'),
      value: z.string(),
    })
    .optional(),
});

const optionsBody = z.object({ shipmentDeleteRefused: z.boolean().optional() });

const rate = z.number().min(0).max(1);
const faultsBody = z
  .object({
    errorRate: rate.default(0),
    throttleRate: rate.default(0),
    latencyMs: z.number().int().min(0).max(60_000).default(0),
    webhookDropRate: rate.default(0),
    ...slowFaultsShape,
  })
  .refine((f) => f.errorRate + f.throttleRate <= 1, 'errorRate + throttleRate must not exceed 1');

const badInput = (message: string) => new ControlError(400, 'bad_request', message);

const appAccessBody = z.object({ revoked: z.boolean() });

export function controlRouter(deps: ControlRouteDeps): Router {
  const { state, ids, webhooks, faults } = deps;
  const router = new Router({ prefix: '/__sim' });

  router.post('/contracts', async (ctx) => {
    const { users, ...seed } = await readJsonBody(ctx, contractBody, badInput);
    ids.replaceUsers(seed.contractId, users ?? defaultSimUsers(seed.contractId));
    const contract = state.replaceContract(seed);
    ctx.status = 201;
    ctx.body = describeContract(contract);
  });

  // The contract's owner stops (or restarts) the app: tokens are refused with 401 meanwhile.
  router.put('/contracts/:contractId/app', async (ctx) => {
    const contract = requireContract(state, routeParam(ctx, 'contractId'));
    const { revoked } = await readJsonBody(ctx, appAccessBody, badInput);
    state.setAppRevoked(contract.contractId, revoked);
    ctx.body = { contractId: contract.contractId, revoked };
  });

  router.get('/contracts/:contractId', (ctx) => {
    ctx.body = describeContract(requireContract(state, routeParam(ctx, 'contractId')));
  });

  router.post('/contracts/:contractId/stock-adjustments', async (ctx) => {
    const contract = requireContract(state, routeParam(ctx, 'contractId'));
    const body = await readJsonBody(ctx, adjustment, badInput);
    const [history] = state.changeStock(contract.contractId, [toStockChange(contract, body)]);
    ctx.body = {
      productId: history!.productId,
      storeId: history!.storeId,
      stockAmount: history!.stockAmount,
      stockHistoryId: history!.id,
    };
  });

  router.post('/contracts/:contractId/stock-adjustments/bulk', async (ctx) => {
    const contract = requireContract(state, routeParam(ctx, 'contractId'));
    const body = await readJsonBody(ctx, bulkAdjustments, badInput);
    const history = state.changeStock(
      contract.contractId,
      body.adjustments.map((a) => toStockChange(contract, a)),
    );
    ctx.body = { applied: history.length, stockHistoryIds: history.map((h) => h.id) };
  });

  router.get('/contracts/:contractId/stock', (ctx) => {
    const contract = requireContract(state, routeParam(ctx, 'contractId'));
    const code = queryParam(ctx, 'productCode');
    if (code === undefined) throw badInput('productCode query parameter is required');
    const perStore = state.stockOf(contract.contractId, productIdFor(contract, code));
    ctx.body = { perStore, total: perStore.reduce((sum, s) => sum + s.amount, 0) };
  });

  router.get('/contracts/:contractId/shipments', (ctx) => {
    const contract = requireContract(state, routeParam(ctx, 'contractId'));
    ctx.body = [...contract.shipments.values()].map((s) => ({
      shipmentId: s.shipmentId,
      storeId: s.shipmentStoreId,
      identificationNo: s.identificationNo ?? null,
      status: s.status,
      deleted: s.deletedAt !== undefined,
      lines: s.details.map((d) => ({
        productId: d.productId,
        productCode: contract.products.get(d.productId)?.productCode ?? null,
        quantity: d.quantity,
      })),
    }));
  });

  router.put('/contracts/:contractId/options', async (ctx) => {
    const contract = requireContract(state, routeParam(ctx, 'contractId'));
    contract.options = { ...contract.options, ...(await readJsonBody(ctx, optionsBody, badInput)) };
    ctx.body = contract.options;
  });

  router.get('/contracts/:contractId/webhook-deliveries', (ctx) => {
    const contract = requireContract(state, routeParam(ctx, 'contractId'));
    ctx.body = webhooks.deliveries(contract.contractId).map((d) => ({
      eventId: d.eventId,
      event: d.event,
      body: d.body,
      url: d.url ?? null,
      outcome: d.outcome ?? 'pending',
      status: d.status ?? null,
      error: d.error ?? null,
    }));
  });

  router.put('/webhook', async (ctx) => {
    const target = await readJsonBody(ctx, webhookBody, badInput);
    webhooks.setTarget(target);
    ctx.body = { url: target.url, header: target.header ? { name: target.header.name } : null };
  });

  router.get('/faults', (ctx) => {
    ctx.body = faults.get();
  });

  router.put('/faults', async (ctx) => {
    const next = await readJsonBody(ctx, faultsBody, badInput);
    faults.set(next);
    ctx.body = next;
  });

  return router;
}

function requireContract(state: SmaregiSimState, contractId: string): SimContract {
  const contract = state.contract(contractId);
  if (!contract)
    throw new ControlError(
      404,
      'not_found',
      `no contract ${contractId}; create it with POST /__sim/contracts`,
    );
  return contract;
}

function productIdFor(contract: SimContract, code: string): string {
  const productId = contract.productIdByCode.get(code);
  if (productId === undefined)
    throw new ControlError(
      404,
      'not_found',
      `contract ${contract.contractId} has no product with code ${JSON.stringify(code)}`,
    );
  return productId;
}

function toStockChange(contract: SimContract, a: z.output<typeof adjustment>): StockChange {
  if (!contract.stores.has(a.storeId))
    throw new ControlError(404, 'not_found', `contract ${contract.contractId} has no store ${a.storeId}`);
  return {
    productId: productIdFor(contract, a.productCode),
    storeId: a.storeId,
    mode: 'add',
    amount: a.delta,
    memo: a.memo ?? '',
    stockDivision: ADJUSTMENT_STOCK_DIVISION,
  };
}

function describeContract(contract: SimContract) {
  return {
    contractId: contract.contractId,
    stores: [...contract.stores.values()].map((s) => ({
      storeId: s.storeId,
      storeName: s.storeName,
      division: s.division,
    })),
    products: [...contract.products.values()].map((p) => ({
      productId: p.productId,
      productCode: p.productCode,
      productName: p.productName,
    })),
  };
}
