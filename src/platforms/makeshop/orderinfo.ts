import { XMLParser } from 'fast-xml-parser';
import type { PlatformErrorKind } from '../http';
import type { MakeshopOrder, MakeshopOrderLine } from './gateway';

/** Reading the legacy orderinfo API's XML (reference makeshop-api.md §3). */
export const ORDERINFO_PAGE_LIMIT = 100;

/** Elements that may occur once or many times: always arrays, so one order and many read the same. */
const REPEATED_ELEMENTS = new Set(['order', 'commodity', 'delivery', 'usepoint', 'note', 'point', 'price_per_tax_rate']);

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Codes keep leading zeros and trailing spaces: "000000000012", "MUG-02 ".
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => REPEATED_ELEMENTS.has(name),
});

export type OrderinfoReply =
  | { kind: 'orders'; orders: MakeshopOrder[] }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'unreadable'; reason: string };

type XmlNode = Record<string, unknown>;

/**
 * Orders come as <orders><order>… (§3.6). ASSUMPTION (unconfirmed): an empty result is <orders> holding a
 * <message> and no <order> (§3.6 only says a <message> comes instead of orders); an error is
 * <response><code>NNN</code><message>…, shaped like the documented cmd=deliver reply (§3.4).
 */
export function parseOrderinfoReply(xml: string): OrderinfoReply {
  let document: XmlNode;
  try {
    document = parser.parse(xml) as XmlNode;
  } catch (error) {
    return { kind: 'unreadable', reason: `invalid XML: ${(error as Error).message}` };
  }
  if ('orders' in document) {
    const orders = asNode(document.orders);
    const rawOrders = Array.isArray(orders?.order) ? (orders.order as unknown[]) : [];
    const parsed = rawOrders.map((raw) => toOrder(asNode(raw) ?? {}));
    const broken = parsed.find((order) => !order.orderNumber || order.lines.some((line) => Number.isNaN(line.quantity)));
    if (broken) return { kind: 'unreadable', reason: `order ${JSON.stringify(broken.orderNumber)} lacks an ordernum or an amount` };
    return { kind: 'orders', orders: parsed };
  }
  const response = asNode(document.response);
  if (response && 'code' in response) {
    return { kind: 'error', code: textOf(response.code).trim(), message: textOf(response.message).trim() };
  }
  return { kind: 'unreadable', reason: 'neither <orders> nor <response><code>' };
}

export interface OrderinfoErrorClass {
  kind: PlatformErrorKind;
  retryable: boolean;
}

/**
 * ASSUMPTION (unconfirmed): orderinfo error codes. 101 = shop ID / 注文データ連携認証コード rejected,
 * 102 = 外部システム連携 (注文データ連携) not enabled, 103 = bad parameters, 109 = the 1 request/second,
 * one-at-a-time rule broken (§2.2). Unknown codes are treated as transient server trouble.
 */
export function classifyOrderinfoError(code: string): OrderinfoErrorClass {
  switch (code) {
    case '101':
      return { kind: 'auth', retryable: false };
    case '102':
      return { kind: 'forbidden', retryable: false };
    case '103':
      return { kind: 'validation', retryable: false };
    case '109':
      return { kind: 'throttled', retryable: true };
    default:
      return { kind: 'server', retryable: true };
  }
}

const STATUS_NAMES: Record<string, MakeshopOrder['status']> = { '0': 'cancelled', '1': 'ordered', '99': 'provisional' };

function toOrder(raw: XmlNode): MakeshopOrder {
  const rawStatus = textOf(raw.status).trim();
  const orderedAt = parseOrderDate(textOf(raw.date).trim());
  const detail = asNode(raw.orderdetail);
  const commodities = asNode(detail?.commodities);
  const rawLines = Array.isArray(commodities?.commodity) ? (commodities.commodity as unknown[]) : [];
  return {
    orderNumber: textOf(raw.ordernum).trim(),
    status: STATUS_NAMES[rawStatus] ?? rawStatus,
    rawStatus,
    ...(orderedAt ? { orderedAt } : {}),
    lines: rawLines.map((line) => toLine(asNode(line) ?? {})),
  };
}

function toLine(raw: XmlNode): MakeshopOrderLine {
  const amount = textOf(raw.amount).trim();
  const line: MakeshopOrderLine = { quantity: /^\d+$/.test(amount) ? Number(amount) : Number.NaN };
  const fields = { systemCode: 'brandcode', customCode: 'orgcode', optionCode: 'orgoptioncode', jan: 'jancode', name: 'name' } as const;
  for (const [key, element] of Object.entries(fields) as [keyof typeof fields, string][]) {
    const value = textOf(raw[element]);
    if (value !== '') line[key] = value;
  }
  return line;
}

/**
 * ASSUMPTION (unconfirmed): MakeShop times are Japan wall-clock time (UTC+9, no DST). The window
 * parameters are yyyymmddhhmmss (§3.2). Its inverse for <date>, parseOrderDate, is the only other place
 * that knows it.
 */
export function toMakeshopDateTime(date: Date): string {
  const jst = new Date(date.getTime() + JST_OFFSET_MS);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    pad(jst.getUTCFullYear(), 4) +
    pad(jst.getUTCMonth() + 1) +
    pad(jst.getUTCDate()) +
    pad(jst.getUTCHours()) +
    pad(jst.getUTCMinutes()) +
    pad(jst.getUTCSeconds())
  );
}

/** <date> as Japan time "YYYY-MM-DD HH:MM:SS" (also "/" separators or 14 digits) → ISO 8601 +09:00. */
export function parseOrderDate(raw: string): string | undefined {
  const match = /^(\d{4})[-/]?(\d{2})[-/]?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(raw);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}+09:00`;
}

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

function asNode(value: unknown): XmlNode | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as XmlNode) : undefined;
}

/** Leaf text; a whitespace-only container or a missing element reads as ''. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const text = asNode(value)?.['#text'];
  return typeof text === 'string' ? text : '';
}
