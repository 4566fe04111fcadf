/**
 * The Prisma client for DATABASE_URL: `file:` → SQLite through @prisma/adapter-better-sqlite3,
 * `postgres://` / `postgresql://` → PostgreSQL through @prisma/adapter-pg. Both generated clients come
 * from one data model (prisma/schema.base.prisma) and expose identical model APIs, so the rest of the
 * server uses the one type `Db`. (No 'server-only' here: instrumentation.ts and tsx scripts import it;
 * 'server-only' guards the entry points server/api/root.ts and server/api/request.ts instead.)
 */
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from './generated/sqlite/client';
import { PrismaClient as PgClient } from './generated/postgresql/client';
import type { Prisma as SqlitePrisma } from './generated/sqlite/client';
import { pgTarget, providerOf, sqlitePath } from './provider';
import { getEnv } from '../env';

export type Db = InstanceType<typeof SqliteClient>;
/** The client inside `db.$transaction(async (tx) => …)`. */
export type Tx = SqlitePrisma.TransactionClient;
export type { SqlitePrisma as Prisma };

export function createDb(url: string): Db {
  if (providerOf(url) === 'postgresql') {
    const { connectionString, schema } = pgTarget(url);
    const client = new PgClient({ adapter: new PrismaPg({ connectionString }, { schema }) });
    // Same data model, same model API: the PostgreSQL client is used through the common type.
    return client as unknown as Db;
  }
  return new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: `file:${sqlitePath(url)}` }) });
}

const g = globalThis as unknown as { __tesseraDb?: { url: string; db: Db } };

/** The process-wide client for the configured DATABASE_URL (survives Next dev hot reloads). */
export function getDb(): Db {
  const url = getEnv().DATABASE_URL;
  if (!g.__tesseraDb || g.__tesseraDb.url !== url) g.__tesseraDb = { url, db: createDb(url) };
  return g.__tesseraDb.db;
}
