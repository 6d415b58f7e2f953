import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Inbound Smaregi events. Smaregi signs nothing (§6.2): verify the custom secret header with
 * verifySmaregiWebhookSecret, then parse. Payloads carry ids only; re-read data through the API.
 */
export type SmaregiWebhookEvent =
  SmaregiStockEvent | SmaregiProductsEvent | SmaregiSubscriptionEvent | SmaregiOtherEvent;

export interface SmaregiStockEvent {
  type: 'stock';
  contractId: string;
  eventId: string;
  action: 'edited' | 'bulk-update';
  changes: { stockHistoryId: string; productId: string; storeId: string }[];
}

export type SmaregiProductsAction = 'created' | 'edited' | 'deleted' | 'bulk-update' | 'bulk-deleted';

export interface SmaregiProductsEvent {
  type: 'products';
  contractId: string;
  eventId: string;
  action: SmaregiProductsAction;
  productIds: string[];
}

export type SmaregiSubscriptionAction =
  'start' | 'end' | 'change-plan' | 'change-options' | 'force-stop' | 'cancel-force-stop';

export interface SmaregiSubscriptionPlan {
  name?: string;
  trialDays?: number;
  price?: number;
  unitPrice?: number;
  quantity?: number;
}

export interface SmaregiSubscriptionEvent {
  type: 'subscription';
  contractId: string;
  eventId?: string;
  action: SmaregiSubscriptionAction;
  plan?: SmaregiSubscriptionPlan;
}

export interface SmaregiOtherEvent {
  type: 'other';
  contractId: string;
  eventId: string;
  event: string;
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export class SmaregiWebhookError extends Error {
  override readonly name = 'SmaregiWebhookError';
}

const id = z.union([z.string().min(1), z.number()]).transform(String);
const looseNumber = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]).transform(Number);

const stockBodySchema = z.object({
  action: z.enum(['edited', 'bulk-update']),
  ids: z.array(z.object({ id, productId: id, storeId: id })),
});

const productsBodySchema = z.object({
  action: z.enum(['created', 'edited', 'deleted', 'bulk-update', 'bulk-deleted']),
  productIds: z.array(id),
});

const SUBSCRIPTION_ACTIONS = [
  'start',
  'end',
  'change-plan',
  'change-options',
  'force-stop',
  'cancel-force-stop',
] as const;

const planSchema = z.union([
  z.string().transform((name) => ({ name })),
  z
    .object({
      name: z.string().optional(),
      trial_days: looseNumber.optional(),
      price: looseNumber.optional(),
      unit_price: looseNumber.optional(),
      quantity: looseNumber.optional(),
    })
    .transform((p) => ({
      ...(p.name !== undefined && { name: p.name }),
      ...(p.trial_days !== undefined && { trialDays: p.trial_days }),
      ...(p.price !== undefined && { price: p.price }),
      ...(p.unit_price !== undefined && { unitPrice: p.unit_price }),
      ...(p.quantity !== undefined && { quantity: p.quantity }),
    })),
]);

const subscriptionBodySchema = z.object({
  action: z.enum(SUBSCRIPTION_ACTIONS),
  plan: planSchema.nullish(),
});

/** Parses one Smaregi push (webhook or contract notification); throws SmaregiWebhookError when malformed. */
export function parseSmaregiWebhook(headers: WebhookHeaders, body: unknown): SmaregiWebhookEvent {
  const header = headerReader(headers);
  const payload = payloadObject(body);
  const event = eventName(header('smaregi-event'), payload);
  const contractId = resolveContractId(header('smaregi-contract-id'), payload);
  const headerEventId = header('smaregi-event-id');
  if (isAppSubscription(event, payload)) return parseAppSubscription(payload, contractId, headerEventId);
  const eventId = headerEventId ?? derivedEventId(contractId, event, payload);
  switch (event) {
    case 'pos:stock': {
      const b = validate(stockBodySchema, payload, event);
      const changes = b.ids.map((i) => ({
        stockHistoryId: i.id,
        productId: i.productId,
        storeId: i.storeId,
      }));
      return { type: 'stock', contractId, eventId, action: b.action, changes };
    }
    case 'pos:products': {
      const b = validate(productsBodySchema, payload, event);
      return { type: 'products', contractId, eventId, action: b.action, productIds: b.productIds };
    }
    default:
      return { type: 'other', contractId, eventId, event: event ?? 'unknown' };
  }
}

/**
 * ASSUMPTION (unconfirmed): Smaregi-Event-Id is only observed in captured requests (§6.2), the official
 * page lists Smaregi-Event alone. Without it, an event is named by its content: a pos:stock body names
 * stock-history ids, which are unique per change, so a repeated delivery hashes to the same key and a
 * different change never does.
 */
function derivedEventId(contractId: string, event: string | undefined, payload: Record<string, unknown>): string {
  const digest = createHash('sha256').update(JSON.stringify([contractId, event ?? '', canonicalJson(payload)])).digest('hex');
  return `derived:${digest.slice(0, 40)}`;
}

/** JSON with object keys sorted, so the same content always serialises the same way. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * ASSUMPTION (unconfirmed): an App Market contract notification is recognised by `event:
 * "AppSubscription"` (SmaregiMCP [U]) or, as in working code that never reads `event`
 * (senbishi21 [S]), by a body with no event name whose `action` is a subscription action.
 */
function isAppSubscription(event: string | undefined, payload: Record<string, unknown>): boolean {
  if (event === 'AppSubscription') return true;
  return event === undefined && SUBSCRIPTION_ACTIONS.includes(payload.action as never);
}

/**
 * ASSUMPTION (unconfirmed): the notification body is `{contractId, action, plan}` with `plan` an
 * object `{name, trial_days, price, unit_price, quantity}` (SmaregiMCP [U]) or a bare plan name;
 * Smaregi-Event-Id may be absent.
 */
function parseAppSubscription(
  payload: Record<string, unknown>,
  contractId: string,
  eventId: string | undefined,
): SmaregiSubscriptionEvent {
  const b = validate(subscriptionBodySchema, payload, 'AppSubscription');
  return {
    type: 'subscription',
    contractId,
    ...(eventId && { eventId }),
    action: b.action,
    ...(b.plan && { plan: b.plan }),
  };
}

/** Constant-time check of the custom header configured in the developer console. */
export function verifySmaregiWebhookSecret(
  headers: WebhookHeaders,
  expected: { name: string; value: string },
): boolean {
  const actual = headerReader(headers)(expected.name.toLowerCase());
  if (actual === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(actual), digest(expected.value));
}

function headerReader(headers: WebhookHeaders): (lowerName: string) => string | undefined {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== '') lower.set(name.toLowerCase(), first);
  }
  return (name) => lower.get(name);
}

function payloadObject(body: unknown): Record<string, unknown> {
  let value = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString());
    } catch {
      throw new SmaregiWebhookError('Smaregi webhook body is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SmaregiWebhookError('Smaregi webhook body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function eventName(fromHeader: string | undefined, payload: Record<string, unknown>): string | undefined {
  const fromBody = typeof payload.event === 'string' && payload.event !== '' ? payload.event : undefined;
  if (fromHeader && fromBody && fromHeader !== fromBody) {
    throw new SmaregiWebhookError(
      `Smaregi-Event header "${fromHeader}" does not match the body's event "${fromBody}"`,
    );
  }
  return fromHeader ?? fromBody;
}

function resolveContractId(fromHeader: string | undefined, payload: Record<string, unknown>): string {
  const fromBody =
    typeof payload.contractId === 'string' && payload.contractId !== '' ? payload.contractId : undefined;
  if (fromHeader && fromBody && fromHeader !== fromBody) {
    throw new SmaregiWebhookError(
      `Smaregi-Contract-Id header "${fromHeader}" does not match the body's contractId "${fromBody}"`,
    );
  }
  const contractId = fromHeader ?? fromBody;
  if (!contractId)
    throw new SmaregiWebhookError(
      'Smaregi webhook names no contract (no Smaregi-Contract-Id header or contractId)',
    );
  return contractId;
}

function validate<S extends z.ZodType>(
  schema: S,
  payload: Record<string, unknown>,
  event: string,
): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  throw new SmaregiWebhookError(`Malformed Smaregi ${event} webhook: ${problems}`);
}
