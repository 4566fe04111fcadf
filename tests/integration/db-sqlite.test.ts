import { vi, describe, it, expect, afterEach } from 'vitest';
vi.mock('server-only', () => ({}));
import { cpSync, rmSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultMigrationsDir, migrate, MigrationError } from '@/server/db/migrate';
import { createDb } from '@/server/db/client';
import { exerciseAllModels } from './crud-suite';
import { tempDir } from './helpers';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh() {
  const dir = tempDir();
  dirs.push(dir);
  return { dir, url: `file:${join(dir, 'sub', 'db.sqlite')}` };
}

describe('SQLite migrations', () => {
  it('apply on a fresh file, create every table, and are idempotent', async () => {
    const { dir, url } = fresh();
    const first = await migrate(url);
    expect(first.provider).toBe('sqlite');
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.applied[0]).toMatch(/_init$/);
    const second = await migrate(url);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);

    const raw = new Database(join(dir, 'sub', 'db.sqlite'), { readonly: true });
    const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    const recorded = raw.prepare('SELECT name, checksum, applied_at FROM _tessera_migrations').all() as { name: string; checksum: string }[];
    raw.close();
    expect(tables).toEqual(expect.arrayContaining(['User', 'ApiToken', 'Project', 'Study', 'Asset', 'Run', 'Instance', '_tessera_migrations']));
    expect(recorded.map((r) => r.name)).toEqual(first.applied);
    expect(recorded[0].checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to run when an applied migration was modified', async () => {
    const { dir, url } = fresh();
    const migDir = join(dir, 'migrations');
    cpSync(defaultMigrationsDir('sqlite'), migDir, { recursive: true });
    const r = await migrate(url, migDir);
    appendFileSync(join(migDir, r.applied[0], 'migration.sql'), '\n-- edited\n');
    await expect(migrate(url, migDir)).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(url, migDir)).rejects.toThrow(/was modified/);
  });

  it('applies a new migration in order and rolls back a failing one without recording it', async () => {
    const { dir, url } = fresh();
    const migDir = join(dir, 'migrations');
    cpSync(defaultMigrationsDir('sqlite'), migDir, { recursive: true });
    await migrate(url, migDir);
    mkdirSync(join(migDir, '29990101000000_bad'));
    writeFileSync(join(migDir, '29990101000000_bad', 'migration.sql'), 'CREATE TABLE "Half" ("id" TEXT);\nTHIS IS NOT SQL;');
    await expect(migrate(url, migDir)).rejects.toThrow(/29990101000000_bad failed/);
    const raw = new Database(join(dir, 'sub', 'db.sqlite'), { readonly: true });
    const half = raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name='Half'").get() as { n: number };
    const rec = raw.prepare("SELECT count(*) AS n FROM _tessera_migrations WHERE name='29990101000000_bad'").get() as { n: number };
    raw.close();
    expect(half.n).toBe(0);
    expect(rec.n).toBe(0);
    writeFileSync(join(migDir, '29990101000000_bad', 'migration.sql'), 'CREATE TABLE "Half" ("id" TEXT);');
    expect((await migrate(url, migDir)).applied).toEqual(['29990101000000_bad']);
  });
});

describe('Prisma on SQLite', () => {
  it('creates, reads, updates and deletes every model (with cascades and unique constraints)', async () => {
    const { url } = fresh();
    await migrate(url);
    const db = createDb(url);
    try {
      await exerciseAllModels(db);
    } finally {
      await db.$disconnect();
    }
  });
});
