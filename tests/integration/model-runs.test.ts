/**
 * Runs of a registered model (GWM MeshNet) on a 40³ crop of brainchop_t1_crop.nii.gz:
 * server runs through tRPC runs.runModel on Dawn ('gpu', the machine's Vulkan driver: lavapipe or
 * SwiftShader) and on onnxruntime-node ('ort'), compared with each other; browser model runs
 * (createBrowserModelRun → reportProgress → POST /api/runs/:id/result) with a good class map, a
 * wrong grid and a foreign class id; deleting the model keeps its runs.
 */
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readFileSync } from 'node:fs';
import { readNifti, writeLabelNifti, writeNifti, type NiftiImage } from '@/lib/formats/nifti';
import { instancesFromClasses } from '@/lib/model/instances';
import type { LabelVolume, Vec3 } from '@/lib/volume';
import { createCaller } from '@/server/api/root';
import { createContextFor } from '@/server/api/context';
import { waitForJob } from '@/server/jobs/registry';
import { stopModelWorker } from '@/server/jobs/run-model';
import { stopGpuWorker } from '@/server/jobs/gpu-worker';
import { registerModel } from '@/server/services/models';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { submitBrowserResult } from '@/server/services/browser-runs';
import { blobFiles, sqliteEnv, type TestEnv } from './helpers';
import { GWM_PATH, gwmCard, tinyCard, tinyModel } from './models-fixtures';

const N = 40;

/** The centre N³ crop of the T1 volume as a NIfTI (same spacing; the affine's origin moved to the crop). */
function t1Crop(): Uint8Array {
  const img = readNifti(readFileSync('../shared/data/volumes/brainchop_t1_crop.nii.gz'));
  const v = img.volume;
  const [nx, ny] = v.shape;
  const o = v.shape.map((s) => Math.floor((s - N) / 2)) as Vec3;
  const data = new Float32Array(N * N * N);
  for (let z = 0; z < N; z++)
    for (let y = 0; y < N; y++)
      for (let x = 0; x < N; x++) data[x + N * (y + N * z)] = Number(v.data[o[0] + x + nx * (o[1] + y + ny * (o[2] + z))]);
  const affine = v.affine?.map((r) => [...r]) as NonNullable<typeof v.affine> | undefined;
  if (affine) for (let r = 0; r < 3; r++) affine[r][3] += affine[r][0] * o[0] + affine[r][1] * o[1] + affine[r][2] * o[2];
  return writeNifti({ volume: { data, shape: [N, N, N], spacing: v.spacing, affine, units: v.units } }, { gzip: true });
}

let env: TestEnv;
let studyId = '';
let modelId = '';
let study: NiftiImage;

beforeAll(async () => {
  env = await sqliteEnv();
  const crop = t1Crop();
  study = readNifti(crop);
  ({ studyId } = await createVolumeStudyFromUpload(env, crop, { filename: 't1_crop40.nii.gz' }));
  ({ id: modelId } = await registerModel(env, new Uint8Array(readFileSync(GWM_PATH)), gwmCard()));
});
afterAll(async () => {
  await stopModelWorker();
  await stopGpuWorker();
  await env.cleanup();
});

async function caller() {
  return createCaller(await createContextFor(env));
}

async function classMapOf(runId: string): Promise<Uint32Array> {
  const run = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
  const asset = await env.db.asset.findUniqueOrThrow({ where: { id: run.labelAssetId! } });
  const img = readNifti(await env.blobs.get(asset.sha256));
  expect(img.volume.shape).toEqual([N, N, N]);
  return Uint32Array.from(img.volume.data as ArrayLike<number>);
}

function labelNifti(data: Uint32Array, shape: Vec3 = [N, N, N]): Uint8Array {
  const v = study.volume;
  const labels: LabelVolume = { data, shape, spacing: v.spacing, affine: v.affine, units: v.units };
  return writeLabelNifti(labels, shape.every((s, i) => s === v.shape[i]) ? study.header : null, { gzip: true });
}

let gpuMap: Uint32Array;
let ortMap: Uint32Array;
let ortRunId = '';

describe('server model runs', () => {
  it("runs GWM with device 'gpu' (Dawn) and 'ort' (onnxruntime-node); the class maps agree ≥ 99.9 %", async () => {
    const c = await caller();
    const gpu = await c.runs.runModel({ studyId, modelId, device: 'gpu' });
    const ort = await c.runs.runModel({ studyId, modelId, device: 'ort' });
    expect(await c.runs.get({ id: gpu.runId })).toMatchObject({ pipeline: 'model:meshnet-gwm', version: '1', location: 'server', runner: 'tessera', device: 'webgpu' });
    await Promise.all([waitForJob(gpu.runId), waitForJob(ort.runId)]);
    ortRunId = ort.runId;

    const g = await c.runs.get({ id: gpu.runId });
    expect(g.error).toBeNull();
    expect(g).toMatchObject({ status: 'succeeded', stage: 'done', progress: 1, runner: 'tessera', device: 'webgpu', pipeline: 'model:meshnet-gwm', version: '1' });
    expect(g.adapter).toBeTruthy();
    expect(g.timings).toMatchObject({ inferenceMs: expect.any(Number), totalMs: expect.any(Number), saveMs: expect.any(Number), tiles: expect.any(Number), delegated: 0, peakBytes: expect.any(Number) });
    expect(g.timings!.tiles).toBeGreaterThanOrEqual(1);
    expect(g.params).toMatchObject({ deviceRequested: 'gpu', model: { id: modelId, name: 'meshnet-gwm', version: '1' }, fallbackReason: null, unsupportedOps: [], prepare: expect.any(Object) });

    const o = await c.runs.get({ id: ort.runId });
    expect(o.error).toBeNull();
    expect(o).toMatchObject({ status: 'succeeded', runner: 'onnxruntime-node', device: 'cpu', adapter: null });
    expect(o.params).toMatchObject({ deviceRequested: 'ort' });

    for (const id of [gpu.runId, ort.runId]) {
      const row = await env.db.run.findUniqueOrThrow({ where: { id } });
      expect([row.modelId, row.modelVersion]).toEqual([modelId, '1']);
    }

    gpuMap = await classMapOf(gpu.runId);
    ortMap = await classMapOf(ort.runId);
    let same = 0;
    const seen = new Set<number>();
    for (let i = 0; i < ortMap.length; i++) {
      if (gpuMap[i] === ortMap[i]) same++;
      seen.add(ortMap[i]);
    }
    expect(same / ortMap.length).toBeGreaterThanOrEqual(0.999);
    // A brain crop: both tissue classes present, nothing outside the card's ids.
    expect([...seen].sort()).toEqual([0, 1, 2].filter((k) => seen.has(k)));
    expect(seen.has(1) && seen.has(2)).toBe(true);
  });

  it('stores the instances of the class map (connected components per class) with the card class names', async () => {
    const c = await caller();
    const run = await c.runs.get({ id: ortRunId });
    const rows = await c.instances.list({ runId: ortRunId });
    expect(rows).toHaveLength(run.instanceCount!);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.className))).toEqual(new Set(['white matter', 'grey matter']));
    // Independent recomputation from the stored class map.
    const want = instancesFromClasses(ortMap, [N, N, N], study.volume.spacing, { classes: gwmCard().output.classes, minVoxels: 10 }).instances;
    expect(rows.map((r) => [r.labelId, r.className, r.voxels])).toEqual(want.map((w) => [w.labelId, w.className, w.voxels]));
    for (const r of rows) expect(r.voxels).toBeGreaterThanOrEqual(10);
  });

  it("a model with an op the engine lacks runs on onnxruntime-node under 'auto', recording why", async () => {
    const { id, unsupportedOps } = await registerModel(env, tinyModel({ out: 2, tail: 'Abs' }), tinyCard('tiny-abs', 2, { instances: 'none' }));
    expect(unsupportedOps).toEqual(['Abs']);
    const c = await caller();
    const { runId } = await c.runs.runModel({ studyId, modelId: id });
    expect(await c.runs.get({ id: runId })).toMatchObject({ runner: 'onnxruntime-node', device: 'cpu' });
    await waitForJob(runId);
    const r = await c.runs.get({ id: runId });
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ status: 'succeeded', runner: 'onnxruntime-node', device: 'cpu', adapter: null, instanceCount: 0, pipeline: 'model:tiny-abs' });
    expect(r.params).toMatchObject({ deviceRequested: 'auto', unsupportedOps: ['Abs'], fallbackReason: expect.stringMatching(/Abs/) });
    expect(r.timings!.delegated).toBeGreaterThan(0);
    // Oracle: class = argmax(|x|, |0.1 − 2x|) (ties → 0) of the min-max normalised study.
    const v = study.volume.data as ArrayLike<number>;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < v.length; i++) {
      lo = Math.min(lo, v[i]);
      hi = Math.max(hi, v[i]);
    }
    const got = await classMapOf(runId);
    let same = 0;
    for (let i = 0; i < v.length; i++) {
      const x = (v[i] - lo) / (hi - lo);
      if (got[i] === (Math.abs(0.1 - 2 * x) > Math.abs(x) ? 1 : 0)) same++;
    }
    expect(same / v.length).toBeGreaterThanOrEqual(0.999);
  });

  it('refuses an unknown model or study before creating a Run', async () => {
    const c = await caller();
    const before = await env.db.run.count();
    await expect(c.runs.runModel({ studyId, modelId: 'nope', device: 'ort' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(c.runs.runModel({ studyId: 'nope', modelId, device: 'ort' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(c.runs.runModel({ studyId, modelId, device: 'tpu' as 'gpu' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await env.db.run.count()).toBe(before);
  });
});

describe('browser model runs', () => {
  const resultJson = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ runner: 'onnxruntime-web', device: 'wasm', adapter: null, delegated: 0, peakBytes: 0, tiles: 1, ms: 123, params: { tensorDims: [1, 1, N, N, N] }, ...over });

  async function expectRejected(runId: string, labels: Uint8Array, result: string, message: RegExp) {
    const blobs = blobFiles(env.blobDir).length;
    await expect(submitBrowserResult(env, runId, { labels, result })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    const r = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^invalid browser result: /);
    expect([r.labelAssetId, r.instanceCount]).toEqual([null, null]);
    expect(await env.db.instance.count({ where: { runId } })).toBe(0);
    expect(await env.db.asset.count({ where: { runId } })).toBe(0);
    expect(blobFiles(env.blobDir).length).toBe(blobs);
  }

  it('stores a valid class map: instances computed by the server, runner/device from the result', async () => {
    const c = await caller();
    const { runId } = await c.runs.createBrowserModelRun({ studyId, modelId, runner: 'onnxruntime-web', device: 'wasm', adapter: null });
    expect(await c.runs.get({ id: runId })).toMatchObject({ status: 'running', location: 'browser', runner: 'onnxruntime-web', device: 'cpu', pipeline: 'model:meshnet-gwm' });
    expect(await c.runs.reportProgress({ id: runId, stage: 'tile 1/2', progress: 0.5 })).toEqual({ ok: true });
    expect(await c.runs.get({ id: runId })).toMatchObject({ stage: 'tile 1/2', progress: 0.5 });
    await expect(c.runs.reportProgress({ id: runId, stage: 'tile one', progress: 0.5 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    const out = await submitBrowserResult(env, runId, { labels: labelNifti(ortMap), result: resultJson() });
    const r = await c.runs.get({ id: runId });
    expect(r.error).toBeNull();
    expect(out).toEqual({ runId, instanceCount: r.instanceCount });
    expect(r).toMatchObject({ status: 'succeeded', location: 'browser', runner: 'onnxruntime-web', device: 'cpu', adapter: null });
    expect(r.params).toMatchObject({ executionProvider: 'wasm', model: { id: modelId }, prepare: { tensorDims: [1, 1, N, N, N] } });
    expect(r.timings).toMatchObject({ inferenceMs: 123, tiles: 1, delegated: 0, peakBytes: 0, saveMs: expect.any(Number) });
    expect(await classMapOf(runId)).toEqual(ortMap);
    // The same class map gives the same instances as the server run.
    const mine = await c.instances.list({ runId });
    const server = await c.instances.list({ runId: ortRunId });
    expect(mine.map((i) => [i.labelId, i.className, i.voxels, i.bboxMin, i.bboxMax])).toEqual(server.map((i) => [i.labelId, i.className, i.voxels, i.bboxMin, i.bboxMax]));
    const row = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect([row.modelId, row.modelVersion]).toEqual([modelId, '1']);
  });

  it('rejects a class map on another grid, with a foreign class id, or a bad result JSON, storing nothing', async () => {
    const c = await caller();
    const start = async () => (await c.runs.createBrowserModelRun({ studyId, modelId, runner: 'tessera', device: 'webgpu', adapter: 'test adapter' })).runId;
    const small = new Uint32Array((N - 1) * N * N);
    await expectRejected(await start(), labelNifti(small, [N - 1, N, N]), resultJson(), /39×40×40 voxels but the study is 40×40×40/);
    const foreign = ortMap.slice();
    foreign[5 + N * (6 + N * 7)] = 7;
    await expectRejected(await start(), labelNifti(foreign), resultJson(), /voxel \(5, 6, 7\) holds 7, which is not a class id/);
    await expectRejected(await start(), labelNifti(ortMap), resultJson({ runner: 'tessera', device: 'wasm' }), /tessera engine runs on 'webgpu' or 'cpu'/);
    await expectRejected(await start(), labelNifti(ortMap), resultJson({ ms: undefined }), /invalid result/);
    // A finished run takes no second result.
    const done = await env.db.run.findFirstOrThrow({ where: { location: 'browser', status: 'succeeded', modelId } });
    await expect(submitBrowserResult(env, done.id, { labels: labelNifti(ortMap), result: resultJson() })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('deleting a model', () => {
  it('is refused while a run is in progress, then keeps the runs with modelId null', async () => {
    const c = await caller();
    const { runId } = await c.runs.createBrowserModelRun({ studyId, modelId, runner: 'tessera', device: 'webgpu', adapter: 'x' });
    await expect(c.models.delete({ id: modelId })).rejects.toMatchObject({ code: 'CONFLICT' });
    await c.runs.failBrowserRun({ id: runId, error: 'closed' });
    const succeeded = await env.db.run.count({ where: { modelId, status: 'succeeded' } });
    const all = await env.db.run.count({ where: { modelId } });
    expect(await c.models.delete({ id: modelId })).toEqual({ deleted: true, runsKept: all });
    const runs = await env.db.run.findMany({ where: { pipeline: 'model:meshnet-gwm' } });
    expect(runs).toHaveLength(all);
    expect(runs.every((r) => r.modelId === null && r.modelVersion === '1')).toBe(true);
    expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(succeeded);
    // the class maps of the kept runs are still there
    expect(await classMapOf(ortRunId)).toEqual(ortMap);
    expect((await c.models.list()).map((m) => m.name)).toEqual(['tiny-abs']);
  });
});
