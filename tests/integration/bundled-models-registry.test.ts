/**
 * The bundled models (models/nuclei, models/cells) in the model registry at start-up
 * (server/services/bundled-registry.ts, called by server/startup/boot.ts): registered once per
 * database, whatever the number of boots, also when two boots race on one database; a row with the
 * same name + version but other bytes is left alone with a warning; missing files are a warning,
 * not a crash. Real SQLite databases; the real committed model files.
 */
import { vi, describe, it, expect, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createDb } from '@/server/db/client';
import { BUNDLED_MODEL_NAMES } from '@/server/inference/bundled-models';
import { registerBundledModels } from '@/server/services/bundled-registry';
import { listModels, registerModel } from '@/server/services/models';
import { blobFiles, sqliteEnv, tempDir } from './helpers';
import { tinyCard, tinyModel } from './models-fixtures';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The committed files (models/ of the project root, TESSERA_ROOT when set), read independently of the code under test. */
function committed(name: string) {
  const dir = join(process.env.TESSERA_ROOT ?? '.', 'models', name);
  const bytes = readFileSync(join(dir, `${name}.onnx`));
  const card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as { name: string; version: string; output: { instances: string } };
  return { card, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}

const silent = () => {
  const warnings: string[] = [];
  return { warnings, warn: (s: string) => warnings.push(s) };
};

describe('registerBundledModels', () => {
  it('registers nuclei and cells once: a second call finds them (same name, version, sha256)', async () => {
    const env = await sqliteEnv();
    try {
      const log = silent();
      const first = await registerBundledModels(env, log);
      expect(first.map((r) => [r.name, r.status])).toEqual([
        ['nuclei', 'registered'],
        ['cells', 'registered'],
      ]);
      expect(log.warnings).toEqual([]);
      const models = await listModels(env);
      expect(models.map((m) => m.name).sort()).toEqual(['cells', 'nuclei']);
      for (const name of BUNDLED_MODEL_NAMES) {
        const want = committed(name);
        const m = models.find((x) => x.name === name)!;
        expect(m).toMatchObject({ version: want.card.version, sha256: want.sha256, bytes: want.bytes, task: name, unsupportedOps: [] });
        expect(m.card.output.instances).toBe('cell-pipeline');
        expect(m.card.output.cellPipeline?.mode).toBe(name === 'nuclei' ? 'distance' : 'boundary');
        expect(first.find((r) => r.name === name)!.modelId).toBe(m.id);
        // the ONNX bytes are in the blob store under their sha256
        expect(blobFiles(env.blobDir)).toContain(`${want.sha256.slice(0, 2)}/${want.sha256}`);
      }

      const second = await registerBundledModels(env, log);
      expect(second.map((r) => [r.name, r.status, r.modelId])).toEqual(first.map((r) => [r.name, 'present', r.modelId]));
      expect(await env.db.model.count()).toBe(2);
      expect(log.warnings).toEqual([]);
    } finally {
      await env.cleanup();
    }
  });

  it('two boots racing on one database (two connections) leave one row per model', async () => {
    const env = await sqliteEnv();
    const other = { db: createDb(env.url), blobs: env.blobs };
    try {
      const [a, b] = await Promise.all([registerBundledModels(env, silent()), registerBundledModels(other, silent())]);
      for (const name of BUNDLED_MODEL_NAMES) {
        const statuses = [a, b].map((rs) => rs.find((r) => r.name === name)!.status).sort();
        expect(statuses).toEqual(['present', 'registered']);
        const ids = new Set([a, b].map((rs) => rs.find((r) => r.name === name)!.modelId));
        expect(ids.size).toBe(1);
      }
      expect(await env.db.model.count()).toBe(2);
    } finally {
      await other.db.$disconnect();
      await env.cleanup();
    }
  });

  it('missing files: a warning per model, nothing registered, no error', async () => {
    const env = await sqliteEnv();
    const empty = tempDir('tessera-no-models-');
    dirs.push(empty);
    try {
      const log = silent();
      const r = await registerBundledModels(env, { modelsDir: empty, warn: log.warn });
      expect(r.map((x) => [x.name, x.status, x.modelId])).toEqual([
        ['nuclei', 'missing', null],
        ['cells', 'missing', null],
      ]);
      expect(log.warnings).toHaveLength(2);
      expect(log.warnings[0]).toMatch(/bundled model 'nuclei' not registered \(missing\): .*nuclei/);
      expect(log.warnings[1]).toMatch(/bundled model 'cells' not registered \(missing\)/);
      expect(await env.db.model.count()).toBe(0);
      expect(blobFiles(env.blobDir)).toEqual([]);
    } finally {
      await env.cleanup();
    }
  });

  it('a registered model with the same name and version but other bytes is kept, with a warning', async () => {
    const env = await sqliteEnv();
    try {
      const version = committed('nuclei').card.version;
      const mine = await registerModel(env, tinyModel({ out: 3 }), { ...tinyCard('nuclei', 3), version });
      const log = silent();
      const r = await registerBundledModels(env, log);
      expect(r.map((x) => [x.name, x.status])).toEqual([
        ['nuclei', 'conflict'],
        ['cells', 'registered'],
      ]);
      expect(r[0].modelId).toBe(mine.id);
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]).toMatch(/'nuclei' not registered \(conflict\): .*differs from the registered nuclei v.*bump the card's version/);
      const rows = await env.db.model.findMany({ where: { name: 'nuclei' } });
      expect(rows.map((m) => [m.id, m.sha256])).toEqual([[mine.id, mine.sha256]]);
    } finally {
      await env.cleanup();
    }
  });
});

describe('boot', () => {
  it('registers the bundled models; a second boot of another process on the same database adds nothing', async () => {
    const dir = tempDir();
    dirs.push(dir);
    process.env.DATABASE_URL = `file:${join(dir, 'boot.db')}`;
    process.env.TESSERA_DATA_DIR = join(dir, 'data');
    process.env.TESSERA_BLOB_DIR = join(dir, 'data', 'blobs');
    delete process.env.TESSERA_SEED_DEMO;
    const { resetEnvForTests } = await import('@/server/env');
    resetEnvForTests();
    const { ensureBooted } = await import('@/server/startup/boot');
    const first = await ensureBooted();
    expect(first.bundledModels.map((r) => [r.name, r.status])).toEqual([
      ['nuclei', 'registered'],
      ['cells', 'registered'],
    ]);
    // A new process: its own boot promise, the same database.
    (globalThis as { __tesseraBoot?: unknown }).__tesseraBoot = undefined;
    const second = await ensureBooted();
    expect(second).not.toBe(first);
    expect(second.bundledModels.map((r) => [r.name, r.status, r.modelId])).toEqual(first.bundledModels.map((r) => [r.name, 'present', r.modelId]));
    const { getDb } = await import('@/server/db/client');
    const db = getDb();
    const rows = await db.model.findMany({ orderBy: { name: 'asc' } });
    expect(rows.map((m) => [m.name, m.sha256])).toEqual([
      ['cells', committed('cells').sha256],
      ['nuclei', committed('nuclei').sha256],
    ]);
    await db.$disconnect();
  });
});
