/**
 * The same migrations and CRUD on a real PostgreSQL (TEST_DATABASE_URL_PG). Each run uses its own
 * schema (?schema=t_…) and drops it afterwards. Without the variable this file FAILS, unless
 * TESSERA_NO_PG=1 explicitly opts out for a local run.
 */
import { vi, describe, it, expect } from 'vitest';
vi.mock('server-only', () => ({}));
import pg from 'pg';
import { migrate } from '@/server/db/migrate';
import { createDb } from '@/server/db/client';
import { pgTarget, providerOf } from '@/server/db/provider';
import { exerciseAllModels } from './crud-suite';
import { describePostgres } from './pg-schema';

describePostgres('PostgreSQL', pgSuite, {
  name: 'still recognises PostgreSQL URLs and their ?schema=',
  fn: () => {
    expect(providerOf('postgresql://u:p@h:5432/db?schema=abc')).toBe('postgresql');
    expect(pgTarget('postgresql://u:p@h:5432/db?schema=abc')).toEqual({ connectionString: 'postgresql://u:p@h:5432/db', schema: 'abc' });
  },
});

/** The tests on a fresh schema of TEST_DATABASE_URL_PG. */
function pgSuite({ base, schema, url }: { base: string; schema: string; url: string }): void {
  describe('PostgreSQL', () => {
    it('migrations apply to a fresh schema and are idempotent', async () => {
      const first = await migrate(url);
      expect(first.provider).toBe('postgresql');
      expect(first.applied.length).toBeGreaterThan(0);
      const second = await migrate(url);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toEqual(first.applied);
      const c = new pg.Client({ connectionString: pgTarget(base).connectionString });
      await c.connect();
      const t = await c.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
      await c.end();
      expect(t.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['User', 'ApiToken', 'Project', 'Study', 'Asset', 'Run', 'Instance', '_tessera_migrations']),
      );
    });

    it('creates, reads, updates and deletes every model through Prisma', async () => {
      await migrate(url);
      const db = createDb(url);
      try {
        await exerciseAllModels(db);
      } finally {
        await db.$disconnect();
      }
    });
  });
}
