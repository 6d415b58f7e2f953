import Router from '@koa/router';
import { z } from 'zod';
import { ALERT_DEFINITIONS, ALERT_KINDS, type AlertKind } from '../../domain/alerts';
import { composeVerificationMail } from '../../domain/alert-mail';
import { addSignUpRecipient, MERCHANT_ALERT_KINDS, readRecipients, saveRecipients, verifyRecipient } from '../../storage/alert-recipients';
import { listAlerts, markAlertRead, type AlertDoc } from '../../storage/alerts';
import { findTenantById, normalizeEmail } from '../../storage/tenants';
import type { AppDeps } from '../deps';
import { notFound } from '../errors';
import { mailerOf } from '../mail';
import { documentedRoute } from '../openapi';
import { parseRequest, strictBody } from '../validation';
import { tenantIdOf } from './tenant-context';

/** Resolved alerts stay in the merchant's list this long. */
const RECENT_MS = 7 * 24 * 3600 * 1000;

const alertAnswer = z.object({
  id: z.string(),
  kind: z.enum(ALERT_KINDS),
  subject: z.string(),
  message: z.string(),
  openedAt: z.string(),
  resolvedAt: z.string().optional(),
  read: z.boolean(),
  title: z.string().describe('Japanese heading of the kind'),
  action: z.string().describe('Japanese label of what to do'),
  link: z.string().describe('where to do it: an admin UI route (#/setup, #/status) or the operator API'),
});
const operatorAlertAnswer = alertAnswer.extend({ tenantId: z.string(), audience: z.enum(['merchant', 'operator']) });

const merchantKind = z.enum(MERCHANT_ALERT_KINDS as [AlertKind, ...AlertKind[]], { error: '通知の種類が正しくありません。' });
const recipientsBody = strictBody({
  recipients: z
    .array(
      z.strictObject({
        email: z.email({ error: 'メールアドレスの形式が正しくありません。' }).max(254, 'メールアドレスは254文字以内で入力してください。'),
        kinds: z.array(merchantKind).max(ALERT_KINDS.length),
      }),
      { error: 'recipients は配列で指定してください。' },
    )
    .max(10, '通知先は10件までです。'),
});
const recipientsAnswer = z.object({
  recipients: z.array(z.object({ email: z.string(), verified: z.boolean(), kinds: z.array(z.enum(ALERT_KINDS)) })),
  kinds: z.array(z.object({ kind: z.enum(ALERT_KINDS), title: z.string() })),
});
const operatorQuery = z.strictObject({
  audience: z.enum(['merchant', 'operator']).optional(),
  open: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const verifyQuery = z.object({ token: z.string().min(1).max(200) });

function toAnswer(doc: AlertDoc): z.infer<typeof alertAnswer> {
  const def = ALERT_DEFINITIONS[doc.kind];
  return {
    id: doc._id,
    kind: doc.kind,
    subject: doc.subject,
    message: doc.message,
    openedAt: doc.openedAt.toISOString(),
    ...(doc.resolvedAt && { resolvedAt: doc.resolvedAt.toISOString() }),
    read: doc.read,
    title: def.title,
    action: def.action,
    link: def.link,
  };
}

/** お知らせ: the merchant's alerts and where they are mailed; the operators' list; the address confirmation link. */
export function alertRoutes(deps: AppDeps): Router {
  const router = new Router();
  const tags = ['alerts'];
  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/alerts', summary: 'お知らせ: open and recent alerts, newest first', tags, response: z.array(alertAnswer) },
    async (ctx) => {
      const docs = await listAlerts(deps.db, { tenantId: tenantIdOf(ctx), audience: 'merchant' }, { recentMs: RECENT_MS, limit: 200 });
      ctx.body = docs.map(toAnswer);
    },
  );
  documentedRoute(
    router,
    { method: 'post', path: '/api/v1/alerts/{id}/read', summary: 'Mark an alert read', tags, response: z.object({ id: z.string(), read: z.literal(true) }) },
    async (ctx) => {
      const id = String(ctx.params.id);
      if (!(await markAlertRead(deps.db, tenantIdOf(ctx), id))) throw notFound('お知らせが見つかりません。');
      ctx.body = { id, read: true };
    },
  );
  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/alerts/recipients', summary: 'Where alert mails go: addresses, verified or not, and the kinds each receives', tags, response: recipientsAnswer },
    async (ctx) => {
      ctx.body = await recipientsView(deps, tenantIdOf(ctx));
    },
  );
  documentedRoute(
    router,
    {
      method: 'put',
      path: '/api/v1/alerts/recipients',
      summary: 'Replace the alert mail addresses and their kinds; a new address is mailed a confirmation link and receives nothing until confirmed',
      tags,
      request: recipientsBody,
      response: recipientsAnswer,
    },
    async (ctx) => {
      const tenantId = tenantIdOf(ctx);
      const body = parseRequest(recipientsBody, ctx.request.body);
      const unique = new Map(body.recipients.map((r) => [normalizeEmail(r.email), { email: normalizeEmail(r.email), kinds: [...new Set(r.kinds)] }]));
      const { toVerify } = await saveRecipients(deps.db, tenantId, [...unique.values()]);
      for (const { email, token } of toVerify) await sendVerificationMail(deps, tenantId, email, token);
      ctx.body = await recipientsView(deps, tenantId);
    },
  );
  documentedRoute(
    router,
    {
      method: 'get',
      path: '/alerts/verify',
      summary: 'The link mailed to confirm an alert address: confirms it and opens the admin (302 to #/alerts)',
      tags,
      auth: 'none',
      query: verifyQuery,
      status: 302,
    },
    async (ctx) => {
      const { token } = parseRequest(verifyQuery, ctx.query);
      const verified = await verifyRecipient(deps.db, token);
      if (verified) deps.logger.info({ tenantId: verified.tenantId }, 'alert address confirmed');
      ctx.redirect(`/#/alerts?verified=${verified ? '1' : '0'}`);
    },
  );
  documentedRoute(
    router,
    {
      method: 'get',
      path: '/api/v1/operator/alerts',
      summary: "Alerts of every tenant (merchants' and operators'), open first then recent, newest first",
      tags: ['operator'],
      auth: 'operator',
      query: operatorQuery,
      response: z.array(operatorAlertAnswer),
    },
    async (ctx) => {
      const query = parseRequest(operatorQuery, ctx.query);
      const audiences = query.audience ? [query.audience] : (['operator', 'merchant'] as const);
      const rows: z.infer<typeof operatorAlertAnswer>[] = [];
      for (const audience of audiences) {
        const docs = await listAlerts(deps.db, { audience, openOnly: query.open === 'true' }, { recentMs: RECENT_MS, limit: query.limit });
        rows.push(...docs.map((d) => ({ ...toAnswer(d), tenantId: d.tenantId, audience: d.audience })));
      }
      rows.sort((a, b) => Number(a.resolvedAt !== undefined) - Number(b.resolvedAt !== undefined) || b.openedAt.localeCompare(a.openedAt));
      ctx.body = rows.slice(0, query.limit);
    },
  );
  return router;
}

async function recipientsView(deps: AppDeps, tenantId: string): Promise<z.infer<typeof recipientsAnswer>> {
  const recipients = await readRecipients(deps.db, tenantId);
  return {
    recipients: recipients.map((r) => ({ email: r.email, verified: r.verifiedAt !== null, kinds: r.kinds })),
    kinds: MERCHANT_ALERT_KINDS.map((kind) => ({ kind, title: ALERT_DEFINITIONS[kind].title })),
  };
}

/** Mails the confirmation link; a mail that cannot go out is logged, and saving the address again resends it. */
export async function sendVerificationMail(deps: AppDeps, tenantId: string, email: string, token: string): Promise<void> {
  const shopName = (await findTenantById(deps.db, tenantId))?.shopName ?? '';
  const verifyUrl = `${deps.config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/alerts/verify?token=${encodeURIComponent(token)}`;
  try {
    await mailerOf(deps).send({ to: [email], ...composeVerificationMail(verifyUrl, shopName) });
  } catch (err) {
    deps.logger.warn({ err, tenantId }, 'could not mail the alert address confirmation');
  }
}

/** Sign-up: the account's address receives every alert once the merchant opens the confirmation link mailed now. */
export async function confirmSignUpAddress(deps: AppDeps, tenantId: string, email: string): Promise<void> {
  try {
    const toVerify = await addSignUpRecipient(deps.db, tenantId, email);
    if (toVerify) await sendVerificationMail(deps, tenantId, toVerify.email, toVerify.token);
  } catch (err) {
    deps.logger.warn({ err, tenantId }, 'could not register the sign-up address for alerts');
  }
}
