/**
 * Integration-test fixtures: a fresh SQLite file + blob folder per test file, small NIfTI volumes.
 * Test files must `vi.mock('server-only', () => ({}))` (hoisted; server modules import it).
 */
import { mkdtempSync, readdirSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '@/lib/formats/nifti';
import { generateNuclei } from '@/lib/synth';
import type { Vec3 } from '@/lib/volume';
import { LocalBlobStore } from '@/server/blob/local';
import { createDb, type Db } from '@/server/db/client';
import { migrate } from '@/server/db/migrate';
import type { ServiceDeps } from '@/server/services/deps';

export interface TestEnv extends ServiceDeps {
  dir: string;
  url: string;
  blobDir: string;
  blobs: LocalBlobStore;
  cleanup: () => Promise<void>;
}

export function tempDir(prefix = 'tessera-it-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function sqliteEnv(): Promise<TestEnv> {
  const dir = tempDir();
  const url = `file:${join(dir, 'test.db')}`;
  await migrate(url);
  const db: Db = createDb(url);
  const blobDir = join(dir, 'blobs');
  const blobs = new LocalBlobStore(blobDir);
  return {
    dir,
    url,
    db,
    blobs,
    blobDir,
    cleanup: async () => {
      await db.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** All blob files under a LocalBlobStore root (temp files included). */
export function blobFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const shard of readdirSync(root)) {
    const p = join(root, shard);
    if (statSync(p).isDirectory()) for (const f of readdirSync(p)) out.push(join(shard, f));
    else out.push(shard);
  }
  return out;
}

/** A small uint16 NIfTI with a gradient, mm spacing. */
export function smallNifti(opts: { shape?: Vec3; gzip?: boolean } = {}): Uint8Array {
  const shape = opts.shape ?? [8, 6, 4];
  const n = shape[0] * shape[1] * shape[2];
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = i % 1000;
  return writeNifti({ volume: { data, shape, spacing: [0.5, 0.5, 1], units: 'mm' } }, { gzip: opts.gzip ?? false });
}

/** A small synthetic nuclei volume as NIfTI bytes (fast enough for the full pipeline). */
export function nucleiNifti(shape: Vec3 = [48, 48, 24]): { bytes: Uint8Array; trueCount: number } {
  const { image, labels } = generateNuclei({ shape, seed: 7, count: 12 });
  let max = 0;
  for (const v of labels.data) if (v > max) max = v;
  return { bytes: writeNifti({ volume: image }, { gzip: true }), trueCount: max };
}

export async function countRows(db: Db) {
  return {
    studies: await db.study.count(),
    assets: await db.asset.count(),
    runs: await db.run.count(),
    instances: await db.instance.count(),
  };
}
