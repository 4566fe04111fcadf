import { vi, describe, it, expect, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { join } from 'node:path';
import { readdirSync, rmSync } from 'node:fs';
import { readNifti } from '@/lib/formats/nifti';
import { LocalBlobStore, sha256Hex } from '@/server/blob/local';
import { seedDemo } from '@/server/demo/seed';
import { getStudy } from '@/server/services/studies';
import { blobFiles, sqliteEnv, tempDir } from './helpers';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('LocalBlobStore', () => {
  it('stores content-addressed, idempotently, atomically; reads, streams and deletes', async () => {
    const root = join(tempDir(), 'blobs');
    dirs.push(root);
    const store = new LocalBlobStore(root);
    const bytes = new TextEncoder().encode('tessera');
    const ref = await store.put(bytes);
    expect(ref).toEqual({ sha256: sha256Hex(bytes), bytes: 7 });
    expect(await store.put(bytes)).toEqual(ref);
    expect(blobFiles(root)).toEqual([`${ref.sha256.slice(0, 2)}/${ref.sha256}`]); // no temp files left
    expect(new TextDecoder().decode(await store.get(ref.sha256))).toBe('tessera');
    expect(await store.size(ref.sha256)).toBe(7);
    const chunks: Buffer[] = [];
    for await (const c of await store.createReadStream(ref.sha256)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('tessera');
    expect(await store.delete(ref.sha256)).toBe(true);
    expect(await store.delete(ref.sha256)).toBe(false);
    expect(await store.has(ref.sha256)).toBe(false);
    await expect(store.get(ref.sha256)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.get('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('demo seed', () => {
  it('creates the demo study once through the upload path', async () => {
    const env = await sqliteEnv();
    try {
      const a = await seedDemo(env, { shape: [32, 32, 16] });
      expect(a.created).toBe(true);
      const b = await seedDemo(env, { shape: [32, 32, 16] });
      expect(b).toEqual({ studyId: a.studyId, created: false });
      const s = await getStudy(env, a.studyId);
      expect(s.name).toBe('Demo: synthetic nuclei (128³)');
      expect(s.assets).toHaveLength(1);
      const img = readNifti(await env.blobs.get(s.assets[0].sha256));
      expect(img.volume.shape).toEqual([32, 32, 16]);
      expect(s.meta).toMatchObject({ shape: [32, 32, 16], datatype: 'uint16' });
      expect(readdirSync(env.blobDir)).toHaveLength(1);
    } finally {
      await env.cleanup();
    }
  });
});

describe('boot', () => {
  it('is idempotent: migrates, recovers interrupted runs once, ensures defaults', async () => {
    const dir = tempDir();
    dirs.push(dir);
    process.env.DATABASE_URL = `file:${join(dir, 'boot.db')}`;
    process.env.TESSERA_DATA_DIR = join(dir, 'data');
    process.env.TESSERA_BLOB_DIR = join(dir, 'data', 'blobs');
    const { resetEnvForTests } = await import('@/server/env');
    resetEnvForTests();
    const { ensureBooted } = await import('@/server/startup/boot');
    const first = await ensureBooted();
    expect(first.migrations.applied.length).toBeGreaterThan(0);
    expect(await ensureBooted()).toBe(first);
    const { getDb } = await import('@/server/db/client');
    const db = getDb();
    expect(await db.project.count({ where: { slug: 'default' } })).toBe(1);
    expect(await db.user.count()).toBe(1);
    expect(readdirSync(join(dir, 'data'))).toContain('blobs');
    await db.$disconnect();
  });
});
