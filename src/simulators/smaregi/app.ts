import type { Server } from 'node:http';
import Koa from 'koa';
import { createLogger, type Logger } from '../../lib/logger';
import { controlRouter } from './control-routes';
import { NO_FAULTS, faultMiddleware, rateLimitMiddleware, type FaultSettings } from './guards';
import { platformRouter } from './platform-routes';
import { errorMiddleware } from './sim-http';
import { SmaregiIdState, smaregiIdRouter } from './smaregi-id';
import { SmaregiSimState } from './state';
import { WebhookSender, type WebhookTarget } from './webhook-sender';

export interface SmaregiSimulatorOptions {
  clientId: string;
  clientSecret: string;
  webhook?: WebhookTarget;
  /** Default 3600 (the only value seen, [U]). */
  tokenTtlSeconds?: number;
  /** Per contract; default 50 (reported production number, [U]). */
  readsPerSecond?: number;
  /** Per contract; default 20 (reported production number, [U]). */
  writesPerSecond?: number;
  now?: () => number;
  /** Source for fault injection and webhook drops; inject a scripted one for deterministic tests. */
  random?: () => number;
  logger?: Logger;
}

export interface SmaregiSimulator {
  app: Koa;
  state: SmaregiSimState;
  /** スマレジID: the users of each contract, codes and user tokens. */
  ids: SmaregiIdState;
  webhooks: WebhookSender;
  faults: { get(): FaultSettings; set(next: FaultSettings): void };
  /** Resolves once every webhook queued so far has been attempted. */
  webhooksSettled(): Promise<void>;
  listen(port: number, host?: string): Promise<Server>;
}

/** The Smaregi platform (ID server + POS API + webhooks) in one Koa app, plus its /__sim control API. */
export function createSmaregiSimulator(opts: SmaregiSimulatorOptions): SmaregiSimulator {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const logger = opts.logger ?? createLogger('smaregi-sim');
  let currentFaults: FaultSettings = { ...NO_FAULTS };
  const faults = {
    get: () => currentFaults,
    set: (next: FaultSettings) => void (currentFaults = { ...next }),
  };

  const state = new SmaregiSimState(now, opts.tokenTtlSeconds ?? 3600);
  const webhooks = new WebhookSender({
    target: opts.webhook,
    dropRate: () => currentFaults.webhookDropRate,
    random,
    now,
    logger,
  });
  state.onContractReplaced((contractId) => webhooks.forgetContract(contractId));
  state.onStockChange((contractId, change) =>
    webhooks.send(contractId, 'pos:stock', {
      action: 'edited',
      ids: [{ id: change.id, productId: change.productId, storeId: change.storeId }],
    }),
  );

  const ids = new SmaregiIdState(now);
  const control = controlRouter({ state, ids, webhooks, faults });
  const smaregiId = smaregiIdRouter(ids, { clientId: opts.clientId, clientSecret: opts.clientSecret });
  const platform = platformRouter(state, { clientId: opts.clientId, clientSecret: opts.clientSecret });
  const app = new Koa();
  app.use(errorMiddleware(logger));
  app.use(control.routes());
  app.use(control.allowedMethods());
  // The login flow is a person at a browser: no fault injection or rate limits there.
  app.use(smaregiId.routes());
  app.use(smaregiId.allowedMethods());
  app.use(faultMiddleware(faults.get, random));
  app.use(
    rateLimitMiddleware(
      { readsPerSecond: opts.readsPerSecond ?? 50, writesPerSecond: opts.writesPerSecond ?? 20 },
      now,
    ),
  );
  app.use(platform.routes());
  app.use(platform.allowedMethods());

  return {
    app,
    state,
    ids,
    webhooks,
    faults,
    webhooksSettled: () => webhooks.idle(),
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        const server = app.listen(port, host);
        server.once('listening', () => resolve(server));
        server.once('error', reject);
      }),
  };
}
