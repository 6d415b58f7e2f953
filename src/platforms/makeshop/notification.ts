import { z } from 'zod';

/**
 * MakeShop's 更新通知API (reference makeshop-api.md §4): the shop pastes a URL template into the admin
 * screen and MakeShop calls it, substituting [SHOPID], [ORDERNUM] and [CMD]. The call carries no order
 * data, so the receiver re-fetches the order.
 */
export const NOTIFICATION_PLACEHOLDERS = { shopId: '[SHOPID]', orderNumber: '[ORDERNUM]', cmd: '[CMD]' } as const;

export const ORDER_NOTIFICATION_CMD = { new: 0, edited: 1, cancelled: 2, paid: 3, delivered: 4 } as const;
export type OrderNotificationCmd = (typeof ORDER_NOTIFICATION_CMD)[keyof typeof ORDER_NOTIFICATION_CMD];

export interface OrderNotification {
  shopId: string;
  orderNumber: string;
  cmd: OrderNotificationCmd;
}

/**
 * The URL a merchant pastes into MakeShop (DESIGN §5): our webhook path with the tenant's secret token,
 * and the placeholders as query parameters so MakeShop's substitution lands in parseOrderNotification.
 */
export function notificationUrlTemplate(publicBaseUrl: string, tenantToken: string): string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const { shopId, orderNumber, cmd } = NOTIFICATION_PLACEHOLDERS;
  return `${base}/webhooks/makeshop/orders/${encodeURIComponent(tenantToken)}?shopid=${shopId}&ordernum=${orderNumber}&cmd=${cmd}`;
}

const singleValue = (name: string) =>
  z.preprocess(
    (value) => (Array.isArray(value) && value.length === 1 ? value[0] : value),
    z.string({ error: `${name} is missing or repeated` }).refine((text) => !/^\[[A-Z]+\]$/.test(text), {
      error: `${name} still holds a MakeShop placeholder: the 更新通知API URL was called without substitution`,
    }),
  );

const notificationQuerySchema = z.object({
  shopid: singleValue('shopid').pipe(z.string().min(1, 'shopid is empty').max(64)),
  ordernum: singleValue('ordernum').pipe(
    z.string().regex(/^[0-9A-Za-z_-]{1,26}$/, 'ordernum must be 1–26 half-width alphanumerics'),
  ),
  cmd: singleValue('cmd').pipe(
    z
      .string()
      .regex(/^[0-4]$/, 'cmd must be 0 (new), 1 (edited), 2 (cancelled), 3 (paid) or 4 (delivered)')
      .transform((digit) => Number(digit) as OrderNotificationCmd),
  ),
});

/**
 * Reads the query of one 更新通知 call. Throws an Error whose message lists every problem.
 * ASSUMPTION (unconfirmed): MakeShop calls the URL with a plain GET, no body, after substituting the three
 * placeholders verbatim; CMD is 0 new, 1 edited, 2 cancelled, 3 paid, 4 delivered (§4, §12.3).
 */
export function parseOrderNotification(query: Record<string, unknown>): OrderNotification {
  const parsed = notificationQuerySchema.safeParse(query);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message).join('; ');
    throw new Error(`Malformed MakeShop order notification: ${problems}`);
  }
  return { shopId: parsed.data.shopid, orderNumber: parsed.data.ordernum, cmd: parsed.data.cmd };
}
