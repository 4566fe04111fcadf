/**
 * Applies the committed SQL migrations (prisma/migrations/<provider>/<name>/migration.sql) in name
 * order, each inside its own transaction, recording them in `_tessera_migrations`
 * (name, checksum, applied_at). Refuses to run when an applied migration's file changed
 * (checksum mismatch). No Prisma schema engine needed: SQLite through better-sqlite3, PostgreSQL
 * through pg. Concurrent starts are serialised (BEGIN IMMEDIATE / advisory lock).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TesseraError } from '@/lib/errors';
import { pgTarget, providerOf, sqlitePath, type DbProvider } from './provider';

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  provider: DbProvider;
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends TesseraError {
  constructor(message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super('CONFLICT', message, opts);
  }
}

export function defaultMigrationsDir(provider: DbProvider): string {
  return resolve(process.cwd(), 'prisma', 'migrations', provider);
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export function loadMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) {
    throw new MigrationError(`migrations folder not found: ${dir}`, {
      where: dir,
      hint: 'Run from the repository root or pass the migrations folder explicitly.',
    });
  }
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: checksum(sql) };
    });
}

function verify(files: MigrationFile[], applied: Map<string, string>): void {
  for (const f of files) {
    const sum = applied.get(f.name);
    if (sum !== undefined && sum !== f.checksum) {
      throw new MigrationError(`applied migration ${f.name} was modified (checksum ${sum.slice(0, 12)}… ≠ ${f.checksum.slice(0, 12)}…)`, {
        where: f.name,
        hint: 'Never edit an applied migration: restore the file and add a new migration instead.',
      });
    }
  }
}

const TABLE_SQLITE = `CREATE TABLE IF NOT EXISTS "_tessera_migrations" (
  "name" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL)`;
const TABLE_PG = `CREATE TABLE IF NOT EXISTS "_tessera_migrations" (
  "name" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now())`;

async function migrateSqlite(url: string, files: MigrationFile[]): Promise<MigrateResult> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(sqlitePath(url));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 10000');
    db.exec(TABLE_SQLITE);
    const readApplied = () =>
      new Map(
        (db.prepare('SELECT "name", "checksum" FROM "_tessera_migrations"').all() as { name: string; checksum: string }[]).map(
          (r) => [r.name, r.checksum],
        ),
      );
    verify(files, readApplied());
    const result: MigrateResult = { provider: 'sqlite', applied: [], alreadyApplied: [] };
    const insert = db.prepare('INSERT INTO "_tessera_migrations" ("name", "checksum", "applied_at") VALUES (?, ?, ?)');
    for (const f of files) {
      const apply = db.transaction(() => {
        // Re-read inside the write lock: another process may have applied it meanwhile.
        if (readApplied().has(f.name)) return false;
        db.exec(f.sql);
        insert.run(f.name, f.checksum, new Date().toISOString());
        return true;
      });
      const did = wrap(f.name, () => apply.immediate());
      (did ? result.applied : result.alreadyApplied).push(f.name);
    }
    return result;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, files: MigrationFile[]): Promise<MigrateResult> {
  const { default: pg } = await import('pg');
  const { connectionString, schema } = pgTarget(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  const LOCK = 74_736_572; // arbitrary app-wide advisory lock key
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK]);
    // Migrations create unqualified tables: they land in the URL's schema (?schema=, default public).
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET search_path TO "${schema}"`);
    await client.query(TABLE_PG);
    const rows = (await client.query<{ name: string; checksum: string }>('SELECT "name", "checksum" FROM "_tessera_migrations"')).rows;
    const applied = new Map(rows.map((r) => [r.name, r.checksum]));
    verify(files, applied);
    const result: MigrateResult = { provider: 'postgresql', applied: [], alreadyApplied: [] };
    for (const f of files) {
      if (applied.has(f.name)) {
        result.alreadyApplied.push(f.name);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(f.sql);
        await client.query('INSERT INTO "_tessera_migrations" ("name", "checksum") VALUES ($1, $2)', [f.name, f.checksum]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw failed(f.name, e);
      }
      result.applied.push(f.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK]).catch(() => undefined);
    await client.end();
  }
}

function failed(name: string, e: unknown): MigrationError {
  return new MigrationError(`migration ${name} failed: ${e instanceof Error ? e.message : String(e)}`, {
    where: name,
    hint: 'The migration was rolled back; fix the SQL (or the database) and start again.',
    cause: e,
  });
}

function wrap<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw failed(name, e);
  }
}

/** Applies pending migrations for `url`. `dir` defaults to prisma/migrations/<provider> under cwd. */
export async function migrate(url: string, dir?: string): Promise<MigrateResult> {
  const provider = providerOf(url);
  const files = loadMigrations(dir ?? defaultMigrationsDir(provider));
  return provider === 'postgresql' ? migratePostgres(url, files) : migrateSqlite(url, files);
}
