/**
 * Browser point-cloud runs (server side): pointclouds.createBrowserRun → the "TPR1" result posted
 * to storeBrowserPointCloudResult / POST /api/runs/:id/point-result. The result is the committed
 * model's real output on a generated scene (segmentPoints, the CPU twin the page falls back to),
 * encoded by the page's encoder.
 *
 * - valid: stored exactly as storePointCloudRunResult stores a server run of the same labels
 *   (labelled PLY, Instance rows with scores and class names), and the Run records location
 *   'browser', runner 'tessera', the device and adapter the page reported;
 * - invalid (wrong point count, foreign class id, non-dense / out-of-range instance ids, instances
 *   on background points, truncated or trailing bytes, bad magic, another model, a device other
 *   than the Run's, bad meta): the Run fails with the reason and no Asset, Instance or blob is
 *   added; a second result for a finished Run is a CONFLICT that leaves it as it was;
 * - the model file route: allowlisted card + weights, sha256 ETag / 304, immutable only by hash.
 */
import { vi, describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
vi.mock('server-only', () => ({}));
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readPly, writePly } from '@/lib/formats/pointcloud';
import { segmentPoints, type PointSegmentation } from '@/lib/pointnet/model';
import { VALIDATION_SEED_START, generateScene } from '@/lib/synth/scenes';
import { createCaller } from '@/server/api/root';
import { createContextFor } from '@/server/api/context';
import { resetEnvForTests } from '@/server/env';
import { createPointCloudRun, createPointCloudStudyFromUpload, labelledPly, storePointCloudRunResult } from '@/server/services/pointclouds';
import { createBrowserPointCloudRun, storeBrowserPointCloudResult } from '@/server/services/pointcloud-runs';
import { listInstances } from '@/server/services/instances';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { encodePointResult, type PointResultMeta } from '@/lib/formats/pointcloud/result-format';
import { committedModel } from '../unit/pointnet-model-helpers';
import { blobFiles, countRows, smallNifti, sqliteEnv, tempDir, type TestEnv } from './helpers';

const root = join(import.meta.dirname, '../..');
const card = JSON.parse(readFileSync(join(root, 'models/pointnet-scenes/card.json'), 'utf8')) as { name: string; weights: string; classes: string[]; files: Record<string, { sha256: string }> };
const SHA = card.files[card.weights].sha256;
const ADAPTER = 'Test adapter (SwiftShader)';

const scene = generateScene({ seed: VALIDATION_SEED_START + 31, kind: 'tabletop', points: 12_000 });
const sceneBytes = writePly(scene.cloud);
const n = scene.cloud.count;
let seg: PointSegmentation;
beforeAll(() => {
  seg = segmentPoints(scene.cloud, committedModel());
  // the fixture must exercise the checks: several instances, background points, objects
  expect(seg.instances.length).toBeGreaterThanOrEqual(3);
  expect(seg.instance.some((v) => v === 0)).toBe(true);
});

function meta(over: Partial<PointResultMeta> = {}): PointResultMeta {
  return { runner: 'tessera', device: 'webgpu', adapter: ADAPTER, model: { name: card.name, sha256: SHA }, timings: { network: 12.5, totalMs: 40 }, ...over };
}
function scoresOf(s: PointSegmentation): Float32Array {
  const out = new Float32Array(s.instances.length);
  for (const i of s.instances) out[i.id - 1] = i.score;
  return out;
}
function body(o: { instance?: Int32Array; classIds?: Int32Array; k?: number; scores?: Float32Array | null; meta?: PointResultMeta } = {}): Uint8Array {
  return encodePointResult({
    instance: o.instance ?? seg.instance,
    classIds: o.classIds ?? seg.classIds,
    instances: o.k ?? seg.instances.length,
    scores: o.scores === undefined ? scoresOf(seg) : o.scores,
    meta: o.meta ?? meta(),
  });
}

describe('browser point-cloud results (service)', () => {
  let env: TestEnv;
  let studyId = '';
  beforeEach(async () => {
    env = await sqliteEnv();
    ({ studyId } = await createPointCloudStudyFromUpload(env, sceneBytes, { filename: 'scene.ply' }));
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('stores a valid result like storePointCloudRunResult, with location browser, device and adapter', async () => {
    const caller = createCaller(await createContextFor(env));
    const { runId } = await caller.pointclouds.createBrowserRun({ studyId, device: 'webgpu', adapter: ADAPTER });
    const created = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(created).toMatchObject({ status: 'running', location: 'browser', runner: 'tessera', device: 'webgpu', adapter: ADAPTER, pipeline: 'pointnet2-instances', labelAssetId: null });
    // progress through the shared browser-run procedures
    expect(await caller.runs.reportProgress({ id: runId, stage: 'segmenting', progress: 0.4 })).toEqual({ ok: true });

    const before = await countRows(env.db);
    const r = await storeBrowserPointCloudResult(env, runId, body());
    expect(r.instanceCount).toBe(seg.instances.length);

    const run = await caller.runs.get({ id: runId });
    expect(run).toMatchObject({ status: 'succeeded', location: 'browser', runner: 'tessera', device: 'webgpu', adapter: ADAPTER, instanceCount: seg.instances.length, error: null });
    expect(run.timings).toMatchObject({ network: 12.5, totalMs: 40, checkMs: expect.any(Number), saveMs: expect.any(Number) });
    expect(await countRows(env.db)).toEqual({ ...before, assets: before.assets + 1, instances: seg.instances.length });

    // labels: the PLY holds the posted per-point ids in the study's point order
    const ply = readPly((await labelledPly(env, studyId, runId)).bytes);
    expect(Array.from(ply.labels!.instance)).toEqual(Array.from(seg.instance));
    expect(Array.from(ply.labels!.class)).toEqual(Array.from(seg.classIds));
    expect(Buffer.from(ply.positions.buffer).equals(Buffer.from(scene.cloud.positions.buffer))).toBe(true);

    // instances: point counts by a plain loop, classes and scores from the model's output
    const rows = await listInstances(env, runId);
    expect(rows.map((x) => x.labelId)).toEqual(seg.instances.map((i) => i.id));
    for (const inst of seg.instances) {
      const row = rows.find((x) => x.labelId === inst.id)!;
      let count = 0;
      for (let i = 0; i < n; i++) if (seg.instance[i] === inst.id) count++;
      expect(row.voxels).toBe(count);
      expect(row.className).toBe(inst.className);
      expect(row.score).toBeCloseTo(inst.score, 6);
    }

    // the same labels stored as a server run: identical instance rows and labels
    const { runId: serverRun } = await createPointCloudRun(env, { studyId, pipeline: 'pointnet2-instances', version: card.name, device: 'cpu' });
    const scores: Record<number, number> = {};
    for (const i of seg.instances) scores[i.id] = Math.fround(i.score);
    await storePointCloudRunResult(env, serverRun, { instance: seg.instance, classIds: seg.classIds, classNames: seg.classNames, scores });
    const strip = (x: Awaited<ReturnType<typeof listInstances>>) => x.map(({ id: _id, ...rest }) => rest);
    expect(strip(rows)).toEqual(strip(await listInstances(env, serverRun)));
    const serverPly = readPly((await labelledPly(env, studyId, serverRun)).bytes);
    expect(Array.from(serverPly.labels!.instance)).toEqual(Array.from(ply.labels!.instance));
    const params = (await env.db.run.findUniqueOrThrow({ where: { id: runId } })).params as { classNames: Record<string, string>; model: string; modelSha256: string };
    expect(params).toMatchObject({ model: card.name, modelSha256: SHA });
    expect(params.classNames).toEqual(Object.fromEntries(card.classes.map((c, i) => [String(i), c])));

    // a second result for the finished run: CONFLICT, the run stays as it was, nothing added
    const after = await countRows(env.db);
    await expect(storeBrowserPointCloudResult(env, runId, body())).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await env.db.run.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: 'succeeded', labelAssetId: r.labelAssetId });
    expect(await countRows(env.db)).toEqual(after);
  });

  it('a CPU browser run (no adapter) records device cpu and no adapter', async () => {
    const { runId } = await createBrowserPointCloudRun(env, { studyId, device: 'cpu', adapter: null });
    await storeBrowserPointCloudResult(env, runId, body({ meta: meta({ device: 'cpu', adapter: null }) }));
    expect(await env.db.run.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: 'succeeded', location: 'browser', device: 'cpu', adapter: null });
  });

  const k = () => seg.instances.length;
  const mutate = (f: (a: Int32Array) => void, src: () => Int32Array) => () => {
    const a = src().slice();
    f(a);
    return a;
  };
  const firstOf = (id: number) => seg.instance.indexOf(id);
  const bad: [string, () => Uint8Array | Error, string, RegExp][] = [
    ['one point short', () => body({ instance: seg.instance.subarray(1), classIds: seg.classIds.subarray(1) }), 'SHAPE_MISMATCH', /points, the study/],
    ['a foreign class id', () => body({ classIds: mutate((a) => (a[5] = card.classes.length), () => seg.classIds)() }), 'INVALID_ARGUMENT', /class 7/],
    ['a negative class id', () => body({ classIds: mutate((a) => (a[0] = -1), () => seg.classIds)() }), 'INVALID_ARGUMENT', /class -1/],
    ['non-dense instance ids (2 unused)', () => body({ instance: mutate((a) => a.forEach((v, i) => v === 2 && (a[i] = 1)), () => seg.instance)() }), 'INVALID_ARGUMENT', /unused: 2/],
    ['an instance id above k', () => body({ instance: mutate((a) => (a[firstOf(1)] = k() + 1), () => seg.instance)() }), 'INVALID_ARGUMENT', /instance ids must be 0/],
    ['a negative instance id', () => body({ instance: mutate((a) => (a[seg.instance.indexOf(0)] = -3), () => seg.instance)() }), 'INVALID_ARGUMENT', /instance -3/],
    ['an instance on a background point', () => body({ classIds: mutate((a) => (a[firstOf(1)] = 0), () => seg.classIds)() }), 'INVALID_ARGUMENT', /background class/],
    ['a score above 1', () => body({ scores: scoresOf(seg).map((s, i) => (i === 0 ? 1.5 : s)) }), 'INVALID_ARGUMENT', /score 1.5/],
    ['truncated', () => body().subarray(0, body().length - 100), 'TRUNCATED', /announces/],
    ['only part of the header', () => body().subarray(0, 10), 'TRUNCATED', /header/],
    ['trailing bytes', () => new Uint8Array([...body(), 0, 0, 0, 0]), 'FORMAT_INVALID', /after the end/],
    ['bad magic', () => { const b = body(); b[3] = 0x32; return b; }, 'FORMAT_INVALID', /magic/],
    ['another model', () => body({ meta: meta({ model: { name: card.name, sha256: '0'.repeat(64) } }) }), 'INVALID_ARGUMENT', /the server's is/],
    ['a device other than the run\'s', () => body({ meta: meta({ device: 'cpu', adapter: null }) }), 'INVALID_ARGUMENT', /created for device 'webgpu'/],
    ['webgpu without an adapter', () => body({ meta: meta({ adapter: null }) }), 'INVALID_ARGUMENT', /adapter/],
    ['an unknown meta field', () => body({ meta: { ...meta(), extra: 1 } }), 'INVALID_ARGUMENT', /meta/],
    ['an oversized body (the route\'s error)', () => Object.assign(new Error('too big'), {}), '', /too big/],
  ];

  it.each(bad)('%s: the run fails with the reason, nothing is stored', async (_name, make, code, message) => {
    const { runId } = await createBrowserPointCloudRun(env, { studyId, device: 'webgpu', adapter: ADAPTER });
    const rows = await countRows(env.db);
    const blobs = blobFiles(env.blobDir).sort();
    const err = await storeBrowserPointCloudResult(env, runId, make()).then(() => null, (e: unknown) => e as { code?: string; message: string });
    expect(err).not.toBeNull();
    if (code) expect(err!.code).toBe(code);
    expect(err!.message).toMatch(message);
    const run = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^browser result rejected: /);
    expect(run.error).toMatch(message);
    expect(run.labelAssetId).toBeNull();
    expect(run.finishedAt).not.toBeNull();
    expect(await countRows(env.db)).toEqual(rows);
    expect(await env.db.instance.count({ where: { runId } })).toBe(0);
    expect(blobFiles(env.blobDir).sort()).toEqual(blobs);
  });

  it('refuses a result for a server run or an unknown run without touching it', async () => {
    const { runId } = await createPointCloudRun(env, { studyId, pipeline: 'pointnet2-instances', version: card.name, location: 'server', device: 'cpu' });
    await expect(storeBrowserPointCloudResult(env, runId, body())).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await env.db.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe('running');
    await expect(storeBrowserPointCloudResult(env, 'no-such-run', body())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('createBrowserRun checks its input before any Run exists', async () => {
    const caller = createCaller(await createContextFor(env));
    const { studyId: volumeId } = await createVolumeStudyFromUpload(env, smallNifti(), { filename: 'v.nii' });
    const runs = await env.db.run.count();
    await expect(caller.pointclouds.createBrowserRun({ studyId: volumeId, device: 'cpu', adapter: null })).rejects.toThrow(/not a point cloud/);
    await expect(caller.pointclouds.createBrowserRun({ studyId: 'nope', device: 'cpu', adapter: null })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(caller.pointclouds.createBrowserRun({ studyId, device: 'webgpu', adapter: null })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await env.db.run.count()).toBe(runs);
    const model = await caller.pointclouds.model();
    expect(model).toMatchObject({ name: card.name, weights: card.weights, sha256: SHA, classes: card.classes });
    expect(model.weightsUrl).toBe(`/api/pointnet-models/pointnet-scenes/${card.weights}?sha256=${SHA}`);
  });
});

describe('route handlers: POST /api/runs/:id/point-result, GET /api/pointnet-models/:name/:file', () => {
  const dir = tempDir();
  beforeAll(() => {
    process.env.DATABASE_URL = `file:${join(dir, 'routes.db')}`;
    process.env.TESSERA_DATA_DIR = dir;
    process.env.TESSERA_BLOB_DIR = join(dir, 'blobs');
    resetEnvForTests();
  });
  afterAll(async () => {
    const { getDb } = await import('@/server/db/client');
    await getDb().$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });
  const post = async (runId: string, bytes: Uint8Array) => {
    const { POST } = await import('@/app/api/runs/[id]/point-result/route');
    return POST(new Request(`http://x/api/runs/${runId}/point-result`, { method: 'POST', body: bytes as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } }), { params: Promise.resolve({ id: runId }) });
  };

  it('stores a valid body (200) and fails the run on a bad one (400)', async () => {
    const { ensureBooted } = await import('@/server/startup/boot');
    await ensureBooted();
    const { getServerDeps } = await import('@/server/startup/deps');
    const deps = getServerDeps();
    const { studyId } = await createPointCloudStudyFromUpload(deps, sceneBytes, { filename: 'scene.ply' });
    const ok = await createBrowserPointCloudRun(deps, { studyId, device: 'webgpu', adapter: ADAPTER });
    const res = await post(ok.runId, body());
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId: ok.runId, instanceCount: seg.instances.length });
    expect((await post(ok.runId, body())).status).toBe(409);

    const badRun = await createBrowserPointCloudRun(deps, { studyId, device: 'webgpu', adapter: ADAPTER });
    const res2 = await post(badRun.runId, body().subarray(0, 100));
    expect(res2.status).toBe(400);
    expect(((await res2.json()) as { error: { code: string } }).error.code).toBe('TRUNCATED');
    expect(await deps.db.run.findUniqueOrThrow({ where: { id: badRun.runId } })).toMatchObject({ status: 'failed', labelAssetId: null });
    expect((await post('nope', body())).status).toBe(404);
  });

  it('serves the card and the weights it names, allowlisted, with sha256 caching', async () => {
    const { GET } = await import('@/app/api/pointnet-models/[name]/[file]/route');
    const get = (name: string, file: string, query = '', headers: Record<string, string> = {}) =>
      GET(new Request(`http://x/api/pointnet-models/${name}/${file}${query}`, { headers }), { params: Promise.resolve({ name, file }) });

    const cardRes = await get('pointnet-scenes', 'card.json');
    expect(cardRes.status).toBe(200);
    const cardBytes = new Uint8Array(await cardRes.arrayBuffer());
    expect(Buffer.from(cardBytes).equals(readFileSync(join(root, 'models/pointnet-scenes/card.json')))).toBe(true);
    expect(cardRes.headers.get('etag')).toBe(`"${createHash('sha256').update(cardBytes).digest('hex')}"`);
    expect(cardRes.headers.get('cache-control')).toBe('no-cache');

    const w = await get('pointnet-scenes', card.weights, `?sha256=${SHA}`);
    expect(w.status).toBe(200);
    const wBytes = new Uint8Array(await w.arrayBuffer());
    expect(createHash('sha256').update(wBytes).digest('hex')).toBe(SHA);
    expect(w.headers.get('etag')).toBe(`"${SHA}"`);
    expect(w.headers.get('cache-control')).toMatch(/immutable/);
    expect(w.headers.get('content-type')).toBe('application/octet-stream');
    const notModified = await get('pointnet-scenes', card.weights, `?sha256=${SHA}`, { 'if-none-match': `"${SHA}"` });
    expect(notModified.status).toBe(304);
    expect((await get('pointnet-scenes', card.weights)).headers.get('cache-control')).toBe('no-cache');
    expect((await get('pointnet-scenes', card.weights, `?sha256=${'1'.repeat(64)}`)).status).toBe(409);

    for (const [name, file] of [
      ['pointnet-scenes', 'export.py'],
      ['pointnet-scenes', '..%2F..%2Fpackage.json'],
      ['pointnet-scenes', '../../package.json'],
      ['..', 'package.json'],
      ['unet-nuclei', 'card.json'],
    ]) {
      const r = await get(name, file);
      expect(r.status, `${name}/${file}`).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });
});
