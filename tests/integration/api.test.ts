import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { TRPCError } from '@trpc/server';
import { readNifti } from '@/lib/formats/nifti';
import { appRouter, createCaller } from '@/server/api/root';
import { createContextFor } from '@/server/api/context';
import { waitForJob } from '@/server/jobs/registry';
import { createApiToken, revokeApiToken } from '@/server/services/tokens';
import { ensureLocalUser } from '@/server/services/defaults';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { resetEnvForTests } from '@/server/env';
import { nucleiNifti, smallNifti, sqliteEnv, tempDir, type TestEnv } from './helpers';

describe('tRPC appRouter', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await sqliteEnv();
  });
  afterAll(async () => {
    await env.cleanup();
  });

  it('round-trips studies → runs → instances through createCaller', async () => {
    const caller = createCaller(await createContextFor(env));
    const { studyId } = await createVolumeStudyFromUpload(env, nucleiNifti([32, 32, 16]).bytes, { filename: 'n.nii.gz' });
    const list = await caller.studies.list();
    expect(list.map((s) => s.id)).toEqual([studyId]);
    expect(typeof list[0].createdAt).toBe('string');
    const { runId } = await caller.runs.segmentCells({ studyId, params: { minSize: 5 } });
    await waitForJob(runId);
    const run = await caller.runs.get({ id: runId });
    expect(run.status).toBe('succeeded');
    expect((await caller.runs.list({ studyId })).map((r) => r.id)).toEqual([runId]);
    const study = await caller.studies.get({ id: studyId });
    expect(study.runs[0].id).toBe(runId);
    expect(study.assets.map((a) => a.role)).toEqual(['original']);
    const inst = await caller.instances.list({ runId });
    expect(inst).toHaveLength(run.instanceCount!);
    const changed = await caller.instances.setReview({ id: inst[0].id, review: 'rejected' });
    expect(changed.review).toBe('rejected');
    await expect(caller.instances.setReview({ id: inst[0].id, review: 'bogus' as 'accepted' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.studies.get({ id: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await caller.studies.delete({ id: studyId });
    expect(await caller.studies.list()).toEqual([]);
    expect(await env.db.instance.count()).toBe(0);
  });

  it('maps TesseraError codes over HTTP with data.tessera', async () => {
    const call = async (path: string, input: unknown, headers: Record<string, string> = {}) => {
      const req = new Request(`http://x/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
      const res = await fetchRequestHandler({
        endpoint: '/api/trpc',
        req,
        router: appRouter,
        createContext: () => createContextFor({ ...env, headers: req.headers }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { data: Record<string, unknown> }; result?: unknown } };
    };
    const nf = await call('studies.get', { id: 'missing' });
    expect(nf.status).toBe(404);
    expect(nf.body.error?.data).toMatchObject({ code: 'NOT_FOUND', tessera: { code: 'NOT_FOUND', where: 'study:missing' } });
    const bad = await call('runs.get', { id: '' });
    expect(bad.status).toBe(400);
    const ok = await call('studies.list', undefined);
    expect(ok.status).toBe(200);

    const local = await ensureLocalUser(env.db);
    const { id, token } = await createApiToken(env.db, local.id, 'test');
    expect((await call('studies.list', undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await env.db.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt).not.toBeNull();
    await revokeApiToken(env.db, id);
    const revoked = await call('studies.list', undefined, { authorization: `Bearer ${token}` });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error?.data).toMatchObject({ code: 'UNAUTHORIZED', tessera: { code: 'UNAUTHORIZED' } });
    expect((await call('studies.list', undefined, { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('requires a token when asked to', async () => {
    const ctx = await createContextFor({ ...env, requireToken: true });
    await expect(createCaller(ctx).studies.list()).rejects.toBeInstanceOf(TRPCError);
  });
});

describe('route handlers (upload / downloads)', () => {
  const dir = tempDir();
  beforeAll(() => {
    process.env.DATABASE_URL = `file:${join(dir, 'routes.db')}`;
    process.env.TESSERA_DATA_DIR = dir;
    process.env.TESSERA_BLOB_DIR = join(dir, 'blobs');
    process.env.TESSERA_MAX_UPLOAD_MB = '1';
    resetEnvForTests();
  });
  afterAll(async () => {
    const { getDb } = await import('@/server/db/client');
    await getDb().$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = async (body: Uint8Array, headers: Record<string, string>) => {
    const { POST } = await import('@/app/api/upload/route');
    return POST(new Request('http://x/api/upload', { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream', ...headers } }));
  };
  const params = (id: string) => ({ params: Promise.resolve({ id }) });

  it('uploads, downloads the identical bytes, and serves labels and instance tables', async () => {
    const bytes = nucleiNifti([24, 24, 12]).bytes;
    const res = await upload(bytes, { 'x-filename': encodeURIComponent('my scan.nii.gz'), 'x-study-name': encodeURIComponent('Scan ü') });
    expect(res.status).toBe(201);
    const { studyId } = (await res.json()) as { studyId: string };

    const vol = await (await import('@/app/api/studies/[id]/volume/route')).GET(new Request('http://x'), params(studyId));
    expect(vol.status).toBe(200);
    expect(vol.headers.get('content-disposition')).toContain('my scan.nii.gz');
    expect(Buffer.from(await vol.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

    const { getServerDeps } = await import('@/server/startup/deps');
    const deps = getServerDeps();
    expect((await deps.db.study.findUniqueOrThrow({ where: { id: studyId } })).name).toBe('Scan ü');
    const { startSegmentCells } = await import('@/server/services/runs');
    const { runId } = await startSegmentCells(deps, { studyId, params: { minSize: 5 } });
    await waitForJob(runId);

    const labels = await (await import('@/app/api/runs/[id]/labels/route')).GET(new Request('http://x'), params(runId));
    expect(labels.status).toBe(200);
    expect(labels.headers.get('content-disposition')).toMatch(/\.nii\.gz/);
    const run = await deps.db.run.findUniqueOrThrow({ where: { id: runId } });
    const lv = readNifti(new Uint8Array(await labels.arrayBuffer())).volume;
    expect(Math.max(...lv.data)).toBe(run.instanceCount);

    const csv = await (await (await import('@/app/api/runs/[id]/instances.csv/route')).GET(new Request('http://x'), params(runId))).text();
    const lines = csv.trim().split('\n');
    expect(lines[0].split(',').slice(0, 6)).toEqual(['label_id', 'class_name', 'score', 'voxels', 'volume', 'centroid_x']);
    expect(lines).toHaveLength(run.instanceCount! + 1);
    const json = (await (await (await import('@/app/api/runs/[id]/instances.json/route')).GET(new Request('http://x'), params(runId))).json()) as {
      instances: { labelId: number; voxels: number }[];
    };
    expect(json.instances).toHaveLength(run.instanceCount!);
    expect(String(json.instances[0].voxels)).toBe(lines[1].split(',')[3]);

    const missing = await (await import('@/app/api/runs/[id]/labels/route')).GET(new Request('http://x'), params('nope'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('answers 400 / 413 with a typed error body and stores nothing', async () => {
    const { getServerDeps } = await import('@/server/startup/deps');
    const before = await getServerDeps().db.study.count();
    const notNifti = await upload(new TextEncoder().encode('x'.repeat(600)), { 'x-filename': 'a.nii' });
    expect(notNifti.status).toBeGreaterThanOrEqual(400);
    expect(notNifti.status).toBeLessThan(500);
    expect(((await notNifti.json()) as { error: { code: string; hint: unknown } }).error.code).toMatch(/FORMAT|TRUNCATED/);
    const noName = await upload(smallNifti(), {});
    expect(noName.status).toBe(400);
    const tooBig = await upload(new Uint8Array(2 * 2 ** 20), { 'x-filename': 'big.nii' });
    expect(tooBig.status).toBe(413);
    expect(await getServerDeps().db.study.count()).toBe(before);
  });
});
