/**
 * Once per process, before serving: data folders, migrations, crash recovery, default project and
 * local user, the bundled models in the registry (server/services/bundled-registry.ts; missing files
 * are a warning), optional demo seed. `ensureBooted()` is idempotent and concurrency-safe (one shared
 * promise; a failed boot is retried by the next call).
 */
import { mkdir } from 'node:fs/promises';
import { getEnv } from '../env';
import { migrate, type MigrateResult } from '../db/migrate';
import { ensureDefaultProject, ensureLocalUser } from '../services/defaults';
import { recoverInterruptedRuns } from '../services/runs';
import { registerBundledModels, type BundledRegistration } from '../services/bundled-registry';
import { seedDemo } from '../demo/seed';
import { getServerDeps } from './deps';

export interface BootResult {
  migrations: MigrateResult;
  recoveredRuns: number;
  demoStudyId: string | null;
  bundledModels: BundledRegistration[];
}

const g = globalThis as unknown as { __tesseraBoot?: Promise<BootResult> };

async function boot(): Promise<BootResult> {
  const env = getEnv();
  await mkdir(env.TESSERA_DATA_DIR, { recursive: true });
  await mkdir(env.TESSERA_BLOB_DIR, { recursive: true });
  const migrations = await migrate(env.DATABASE_URL);
  const deps = getServerDeps();
  const recoveredRuns = await recoverInterruptedRuns(deps);
  await ensureDefaultProject(deps.db);
  await ensureLocalUser(deps.db);
  const bundledModels = await registerBundledModels(deps);
  const demoStudyId = env.TESSERA_SEED_DEMO === '1' ? (await seedDemo(deps)).studyId : null;
  if (migrations.applied.length || recoveredRuns) {
    console.info(`[tessera] boot: applied ${migrations.applied.length} migration(s), marked ${recoveredRuns} interrupted run(s) failed`);
  }
  return { migrations, recoveredRuns, demoStudyId, bundledModels };
}

export function ensureBooted(): Promise<BootResult> {
  if (!g.__tesseraBoot) {
    g.__tesseraBoot = boot().catch((e: unknown) => {
      g.__tesseraBoot = undefined;
      throw e;
    });
  }
  return g.__tesseraBoot;
}
