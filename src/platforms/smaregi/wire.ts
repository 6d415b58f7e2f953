import { z } from 'zod';

/**
 * Smaregi's wire format: numbers and ids are JSON strings ([O] §4.2). The schemas also accept
 * JSON numbers, so a change on Smaregi's side to real numbers would not break parsing.
 */
const wireId = z.union([z.string().min(1), z.number()]).transform(String);

const wireNumber = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `expected a number, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return n;
});

const optionalText = z.union([z.string(), z.number()]).transform(String).nullish();

export const wireStoreSchema = z.object({
  storeId: wireId,
  storeName: z.string(),
  division: optionalText,
});

export const wireProductSchema = z.object({
  productId: wireId,
  productCode: z.string(),
  productName: z.string(),
  stockControlDivision: optionalText,
});

export const wireStockRowSchema = z.object({
  storeId: wireId,
  productId: wireId,
  stockAmount: wireNumber,
  layawayStockAmount: wireNumber.nullish(),
  updDateTime: z.string().nullish(),
});

export const wireStockWriteSchema = z.object({
  stockAmount: wireNumber,
  stockHistory: z.object({ id: wireId.nullish() }).nullish(),
});

/** ASSUMPTION (unconfirmed): shipment responses echo the Asinoura [U] request schema plus `shipmentId`. */
export const wireStockChangeSchema = z.object({
  id: wireId,
  productId: wireId,
  storeId: wireId,
  amount: wireNumber,
  memo: z.string().nullish(),
});

export const wireShipmentSchema = z.object({
  shipmentId: wireId,
  shipmentStoreId: wireId,
  status: wireId,
  identificationNo: z.string().nullish(),
  details: z.array(z.object({ productId: wireId, quantity: wireNumber })).nullish(),
});

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** `YYYY-MM-DDThh:mm:ss+09:00`, Smaregi's datetime format ([O] §4.2), in Japan time. */
export function formatSmaregiDateTime(date: Date, rounding: 'floor' | 'ceil' = 'floor'): string {
  const ms = rounding === 'ceil' ? Math.ceil(date.getTime() / 1000) * 1000 : date.getTime();
  return `${new Date(ms + JST_OFFSET_MS).toISOString().slice(0, 19)}+09:00`;
}
