/**
 * Seeds the demo study (synthetic nuclei, 128³) unless it exists. Boots first (migrations).
 * Usage: tsx scripts/seed-demo.ts
 */
import { ensureBooted } from '../server/startup/boot';
import { getServerDeps } from '../server/startup/deps';
import { seedDemo } from '../server/demo/seed';
import { isTesseraError } from '../lib/errors';

try {
  await ensureBooted();
  const deps = getServerDeps();
  const r = await seedDemo(deps);
  console.log(`[seed-demo] ${r.created ? 'created' : 'exists'}: study ${r.studyId}`);
  await deps.db.$disconnect();
} catch (e) {
  console.error(`[seed-demo] ${isTesseraError(e) ? e.toOneLine() : String(e)}`);
  process.exit(1);
}
