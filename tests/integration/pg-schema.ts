/**
 * PostgreSQL test files (TEST_DATABASE_URL_PG): each run works in its own schema (?schema=t_…),
 * dropped afterwards. Without the variable the file FAILS, unless TESSERA_NO_PG=1 explicitly opts
 * out for a local run (then only the given PostgreSQL-free check runs).
 */
import { afterAll, describe, it } from 'vitest';
import pg from 'pg';
import { pgTarget } from '@/server/db/provider';

/** A fresh schema on `base` and the URL that selects it. */
export function freshSchema(base: string): { schema: string; url: string; drop: () => Promise<void> } {
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const url = `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: pgTarget(base).connectionString });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  };
  return { schema, url, drop };
}

/**
 * Registers the file's tests: with TEST_DATABASE_URL_PG, `suite` (its own describe blocks) on a
 * fresh schema, dropped after the file's tests; opted out, `optedOut` as the only test of
 * describe(`<title> (opted out with TESSERA_NO_PG=1)`); otherwise describe(`title`) with one
 * failing test.
 */
export function describePostgres(
  title: string,
  suite: (pgDb: { base: string; schema: string; url: string }) => void,
  optedOut: { name: string; fn: () => unknown },
): void {
  const base = process.env.TEST_DATABASE_URL_PG;
  if (base) {
    const { schema, url, drop } = freshSchema(base);
    afterAll(drop);
    suite({ base, schema, url });
  } else if (process.env.TESSERA_NO_PG === '1') {
    describe(`${title} (opted out with TESSERA_NO_PG=1)`, () => {
      it(optedOut.name, optedOut.fn);
    });
  } else {
    describe(title, () => {
      it('needs TEST_DATABASE_URL_PG', () => {
        throw new Error(
          'TEST_DATABASE_URL_PG is not set: start PostgreSQL and set it (e.g. postgresql://tessera:tessera@localhost:5432/tessera_test), ' +
            'or set TESSERA_NO_PG=1 to opt out explicitly for a local run.',
        );
      });
    });
  }
}
