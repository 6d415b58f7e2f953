// What a stock push sends to MakeShop for one catalog item: its key (how the last-pushed record and the
// preview name it) and its row. The sync engine owns this; storage only keeps the items.
import type { StockPushRow } from '../platforms/makeshop/gateway';
import type { CatalogItemDoc } from '../storage/catalog-items';

/** MakeShop's key for one item: what a stock upload row names. */
export function pushKey(item: Pick<CatalogItemDoc, 'source' | 'systemCode' | 'customCode'> & { optionCode?: string }): string {
  return item.source === 'option' ? `o:${item.systemCode}:${item.optionCode ?? ''}` : `p:${item.systemCode}:${item.customCode}`;
}

export function pushRow(item: CatalogItemDoc, quantity: number): StockPushRow {
  return item.source === 'option'
    ? { kind: 'option', systemCode: item.systemCode || undefined, customCode: item.customCode || undefined, optionCode: item.optionCode, quantity }
    : { kind: 'product', systemCode: item.systemCode || undefined, customCode: item.customCode || undefined, quantity };
}
