import { MongoClient, type Db } from 'mongodb';
import type { Logger } from '../lib/logger';

export interface Database {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/**
 * Connects to MongoDB (FerretDB in the embedded stack). FerretDB has no transactions, so the rest of
 * the code relies only on single-document atomic writes, unique indexes and idempotent steps.
 */
export async function connectDatabase(url: string, dbName: string, logger?: Logger): Promise<Database> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, appName: 'zaiko-sync' });
  await client.connect();
  logger?.debug({ dbName }, 'connected to MongoDB');
  return { client, db: client.db(dbName), close: () => client.close() };
}

export async function pingDatabase(db: Db): Promise<boolean> {
  const res = await db.command({ ping: 1 });
  return res.ok === 1;
}

/** A merchant code used as a field name: escape what MongoDB reads as path syntax. */
export const codeAsFieldName = (code: string) => code.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
