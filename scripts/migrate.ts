/** Applies pending SQL migrations for DATABASE_URL (default file:./.data/tessera.db). Usage: tsx scripts/migrate.ts */
import { migrate } from '../server/db/migrate';
import { getEnv } from '../server/env';
import { isTesseraError } from '../lib/errors';

try {
  const r = await migrate(getEnv().DATABASE_URL);
  console.log(`[migrate] ${r.provider}: applied ${r.applied.length} (${r.applied.join(', ') || 'none'}), already applied ${r.alreadyApplied.length}`);
} catch (e) {
  console.error(`[migrate] ${isTesseraError(e) ? e.toOneLine() : String(e)}`);
  process.exit(1);
}
