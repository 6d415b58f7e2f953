import { XMLBuilder } from 'fast-xml-parser';
import { displayJst, parseCompactJst } from './jst';
import type { SimOrder, SimShop } from './shop';

/** The legacy order API, cmd=get (reference makeshop-api.md §3). */
export interface LegacyReply {
  status: number;
  contentType: string;
  body: string | Buffer;
}

export const ORDERINFO_PAGE_LIMIT = 100;

type OrderinfoErrorKind = 'auth' | 'not-enabled' | 'bad-request' | 'throttled';

const builder = new XMLBuilder({ format: true, indentBy: '  ', suppressEmptyNode: false });
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * ASSUMPTION (unconfirmed): the error envelope and codes (§12.2 lists them as unpublished): an error is
 * <response><code>NNN</code><message>…</message></response>, shaped like the documented cmd=deliver reply;
 * 101 shop ID / token rejected, 102 注文データ連携 not enabled, 103 bad parameters, 109 the one-request-
 * per-second rule broken (that one with HTTP 429, the rest with 200).
 */
export function orderinfoError(kind: OrderinfoErrorKind, message: string): LegacyReply {
  const codes: Record<OrderinfoErrorKind, string> = { auth: '101', 'not-enabled': '102', 'bad-request': '103', throttled: '109' };
  return {
    status: kind === 'throttled' ? 429 : 200,
    contentType: 'application/xml; charset=UTF-8',
    body: XML_DECLARATION + builder.build({ response: { code: codes[kind], message } }),
  };
}

/** Answers one orderinfo request for a shop whose ID and token were already checked. */
export function answerOrderinfo(shop: SimShop, params: Record<string, string>, now: number): LegacyReply {
  if (params.cmd !== 'get') return orderinfoError('bad-request', `cmd=${params.cmd ?? ''} は利用できません`);
  const includeCancelled = params.canceled === '1';
  const visible = (order: SimOrder) => includeCancelled || order.status !== '0';
  if (params.ordernum !== undefined) {
    if (!/^[0-9A-Za-z]{1,26}$/.test(params.ordernum)) return orderinfoError('bad-request', 'ordernum は26文字以内の半角英数で指定してください');
    const order = shop.orders.get(params.ordernum);
    return ordersReply(shop, order && visible(order) ? [order] : []);
  }
  if (params.start !== undefined || params.end !== undefined) {
    const start = params.start === undefined ? 0 : parseCompactJst(params.start);
    const end = params.end === undefined ? Number.MAX_SAFE_INTEGER : parseCompactJst(params.end);
    if (start === undefined || end === undefined) return orderinfoError('bad-request', 'start / end は yyyymmddhhmmss で指定してください');
    const inWindow = (order: SimOrder) => order.orderedAt >= start && order.orderedAt < end + 1000;
    return ordersReply(shop, firstPage([...shop.orders.values()].filter((o) => visible(o) && inWindow(o)), 'orderedAt'));
  }
  return differentialReply(shop, visible, now);
}

/** No ordernum and no window: orders changed since the previous such call (§3.2). */
function differentialReply(shop: SimShop, visible: (order: SimOrder) => boolean, now: number): LegacyReply {
  const changed = [...shop.orders.values()].filter((o) => o.updatedAt > shop.lastDifferentialFetchAt && visible(o));
  const page = firstPage(changed, 'updatedAt');
  shop.lastDifferentialFetchAt = page.length === ORDERINFO_PAGE_LIMIT ? page[page.length - 1]!.updatedAt : now;
  return ordersReply(shop, page);
}

/** ASSUMPTION (unconfirmed): when more than 100 orders match, MakeShop answers the 100 oldest (§3.2). */
function firstPage(orders: SimOrder[], by: 'orderedAt' | 'updatedAt'): SimOrder[] {
  return orders
    .sort((a, b) => a[by] - b[by] || a.orderNumber.localeCompare(b.orderNumber))
    .slice(0, ORDERINFO_PAGE_LIMIT);
}

/**
 * <orders><order>…. ASSUMPTION (unconfirmed): no orders → <orders><message>…</message></orders> (§3.6 says
 * only that a <message> element comes instead of orders).
 */
function ordersReply(shop: SimShop, orders: SimOrder[]): LegacyReply {
  const document =
    orders.length === 0
      ? { orders: { message: '該当する注文情報はありません' } }
      : { orders: { order: orders.map((order) => orderElement(shop, order)) } };
  return { status: 200, contentType: 'application/xml; charset=UTF-8', body: XML_DECLARATION + builder.build(document) };
}

function orderElement(shop: SimShop, order: SimOrder) {
  const sum = order.lines.reduce((total, line) => total + line.price * line.quantity, 0);
  return {
    ordernum: order.orderNumber,
    status: order.status,
    date: displayJst(order.orderedAt),
    payment_status: '0',
    paymethod: { type: 'B', content: '銀行振込' },
    ordermemo: '',
    buyer: {
      id: '',
      name: '山田 太郎',
      kana: 'ヤマダ タロウ',
      tel: '03-0000-0000',
      email: `buyer@${shop.shopId}.example`,
      zip: '150-0001',
      area: '東京(23区内)',
      city: '渋谷区',
      street: '神宮前1-1-1',
    },
    orderdetail: {
      sumprice: String(sum),
      carriage: '0',
      bulk: '0',
      coupon: '0',
      commodities: {
        commodity: order.lines.map((line) => ({
          name: line.name,
          brandcode: line.systemCode,
          orgcode: line.customCode,
          orgoptioncode: line.optionCode,
          jancode: line.jan,
          dcrate: '0',
          price: String(line.price),
          amount: String(line.quantity),
          consumption_tax_rate: '10',
          option: line.optionText,
        })),
      },
    },
    deliveries: {
      delivery: [{ delivery_id: '0', name: '山田 太郎', area: '東京(23区内)', city: '渋谷区', street: '神宮前1-1-1', shipping_date: '0000-00-00' }],
    },
  };
}
