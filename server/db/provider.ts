/** Which database a DATABASE_URL points at. No driver imports here (safe for scripts and tests). */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ArgumentError } from '@/lib/errors';

export type DbProvider = 'sqlite' | 'postgresql';

export function providerOf(url: string): DbProvider {
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  if (url.startsWith('file:')) return 'sqlite';
  throw new ArgumentError(`unsupported DATABASE_URL scheme: ${url.split(':')[0]}:`, {
    where: 'DATABASE_URL',
    hint: 'Use file:./.data/tessera.db (SQLite) or postgresql://user:pass@host:5432/db.',
  });
}

/** Absolute path of a `file:` URL (query string dropped); creates its directory. */
export function sqlitePath(url: string, ensureDir = true): string {
  const raw = url.replace(/^file:/, '').replace(/\?.*$/, '');
  if (raw === ':memory:') return raw;
  const p = resolve(raw);
  if (ensureDir) mkdirSync(dirname(p), { recursive: true });
  return p;
}

/**
 * A PostgreSQL URL split into what `pg` takes and the Prisma-style `?schema=` (default 'public'),
 * which `pg` does not understand.
 */
export function pgTarget(url: string): { connectionString: string; schema: string } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? 'public';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ArgumentError(`invalid schema name in DATABASE_URL: ${schema}`, { where: 'DATABASE_URL?schema', hint: 'Use letters, digits and _.' });
  }
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema };
}
