// The api alone (no worker) on this run's Temporal and FerretDB, receiving webhooks for one tenant: a
// Smaregi contract and a MakeShop notification token that route to it, every other one to nobody.
import { randomUUID } from 'node:crypto';
import { ensureIndexes } from '../../src/storage/indexes';
import { syncWorkflowId } from '../../src/workflows/messages';
import { startTestApi } from './api';
import { temporalClient, testDatabase, uniqueTaskQueue } from './infra';

export type WebhookApi = Awaited<ReturnType<typeof startWebhookApi>>;

export async function startWebhookApi(label: string, tenant: { contractId: string; notificationToken: string; makeshopShopId: string; secret: string }) {
  const tenantId = `t-${randomUUID().slice(0, 8)}`;
  const secret = { name: 'X-Zaiko-Webhook-Secret', value: tenant.secret };
  const webhookTenants = {
    byContractId: async (id: string) => (id === tenant.contractId ? { tenantId, active: true } : null),
    byNotificationToken: async (token: string) => (token === tenant.notificationToken ? { tenantId, makeshopShopId: tenant.makeshopShopId } : null),
    applySubscription: async () => false,
  };
  const config = { TEMPORAL_TASK_QUEUE: uniqueTaskQueue(label), SMAREGI_WEBHOOK_HEADER_NAME: secret.name, SMAREGI_WEBHOOK_HEADER_VALUE: secret.value };
  const database = await testDatabase(label);
  await ensureIndexes(database.db);
  const temporal = await temporalClient();
  /** An api on the same database for the same tenant; `deps` replaces parts of it (Temporal, logger, look-ups). */
  const startApi = (deps: Partial<Parameters<typeof startTestApi>[0]> = {}) =>
    startTestApi({ db: database.db, temporal: temporal.client, config, webhookTenants, ...deps });
  const api = await startApi();

  return {
    tenantId,
    secret,
    webhookTenants,
    database,
    temporal,
    api,
    startApi,
    /**
     * POST /webhooks/smaregi as Smaregi sends a pos:stock event (without Smaregi-Event-Id when eventId is
     * null); `body` replaces the stock change of `productId`, a string is sent as it is.
     */
    smaregiHook(
      eventId: string | null,
      opts: { secret?: string; contractId?: string; productId?: string; body?: unknown; apiUrl?: string } = {},
    ): Promise<Response> {
      const contractId = opts.contractId ?? tenant.contractId;
      const body = opts.body ?? { contractId, event: 'pos:stock', action: 'edited', ids: [{ id: '1', productId: opts.productId ?? '42', storeId: '1' }] };
      return fetch(`${opts.apiUrl ?? api.baseUrl}/webhooks/smaregi`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'smaregi-contract-id': contractId,
          'smaregi-event': 'pos:stock',
          ...(eventId !== null && { 'smaregi-event-id': eventId }),
          [secret.name]: opts.secret ?? secret.value,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    /** GET /webhooks/makeshop/orders/{token}?{query}, as MakeShop's 更新通知 calls it. */
    makeshopNotification(token: string, query: string): Promise<Response> {
      return fetch(`${api.baseUrl}/webhooks/makeshop/orders/${token}?${query}`);
    },
    /** Every signal the tenant's sync workflow received, in order (none when it was never started). */
    async signals(): Promise<{ name: string; arg: unknown }[]> {
      try {
        const history = await temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).fetchHistory();
        return (history.events ?? []).flatMap((e) => {
          const attrs = e.workflowExecutionSignaledEventAttributes;
          if (!attrs) return [];
          const data = attrs.input?.payloads?.[0]?.data;
          return [{ name: attrs.signalName!, arg: data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined }];
        });
      } catch {
        return [];
      }
    },
    async close() {
      await temporal.client.workflow.getHandle(syncWorkflowId(tenantId)).terminate().catch(() => undefined);
      await api.close();
      await temporal.connection.close();
      await temporal.native.close();
      await database.drop();
    },
  };
}
