import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Logger } from '../lib/logger';
import { SEARCH_ATTRIBUTES } from './search-attributes';

export async function connectTemporal(address: string, namespace: string): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address });
  return { connection, client: new Client({ connection, namespace }) };
}

/**
 * Registers the custom search attributes (idempotent). The dev server is started with them already;
 * a production cluster gets them here on the first worker start. ALREADY_EXISTS counts as success.
 */
export const INDEXED_VALUE_TYPES = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

export async function ensureSearchAttributes(connection: ConnectionLike, namespace: string, logger?: Logger): Promise<void> {
  const wanted = Object.fromEntries(
    SEARCH_ATTRIBUTES.map((a) => [a.name, INDEXED_VALUE_TYPES[a.cliType]]),
  );
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in (existing.customAttributes ?? {}))));
  if (Object.keys(missing).length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    logger?.info({ added: Object.keys(missing) }, 'registered Temporal search attributes');
  } catch (err) {
    if (!/already exists/i.test(String(err))) throw err;
  }
}
