import { stockRowIdentity, type MakeshopConnection, type StockRowKey } from '../platforms/makeshop/gateway';
import type { CatalogItemDoc } from '../storage/catalog-items';
import { pushKey, pushRow } from './push-rows';
import type { SyncDeps } from './ports';

/**
 * MakeShop's current quantity of each item, by its push key (null: stock not managed; an item MakeShop does
 * not know is left out), or null when the connection's mode has no stock read (legacy).
 */
export async function readMakeshopQuantities(
  deps: Pick<SyncDeps, 'makeshop'>,
  connection: MakeshopConnection,
  items: CatalogItemDoc[],
): Promise<Map<string, number | null> | null> {
  const keys = items.map((item) => stockRowKey(item));
  const readings = await deps.makeshop.readStock(connection, keys);
  if (readings === null) return null;
  const pushKeyOf = new Map(keys.map((key, i) => [stockRowIdentity(key), pushKey(items[i]!)]));
  const quantities = new Map<string, number | null>();
  for (const { key, quantity } of readings) {
    const itemKey = pushKeyOf.get(stockRowIdentity(key));
    if (itemKey !== undefined) quantities.set(itemKey, quantity);
  }
  return quantities;
}

function stockRowKey(item: CatalogItemDoc): StockRowKey {
  const { quantity: _quantity, ...key } = pushRow(item, 0);
  return key;
}
