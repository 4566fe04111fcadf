/**
 * Runs of the bundled `nuclei` model (a 'cell-pipeline' card) through the web app's services, on a
 * generated 64×64×32 nuclei volume (lib/synth generateNuclei, 0.5×0.5×1 µm) uploaded as a study:
 *
 * - server: runs.runModel (onnxruntime-node) stores the INSTANCE map as the labels asset
 *   (`<base>_nuclei_instances.nii.gz`, ids 1..N) with one Instance row per id whose stats match a
 *   hand count of the stored map, params.cellPipeline (the card's parameters + seedCount, grid),
 *   and AP@0.5 against the generator's ground truth ≥ AP50_BAR;
 * - browser-style posts (createBrowserModelRun → POST result): a valid instance map is stored with
 *   stats recomputed by the server (client-sent stats ignored); wrong labels (ids out of order, a gap,
 *   a foreign grid, a speck under the size limit, float values) and a record naming other parameters
 *   are refused: Run failed, no asset, no instances, no new blob;
 * - cellPipeline overrides are refused for a model that is not a 'cell-pipeline' model.
 *
 * The models come from models/ of the project root (TESSERA_ROOT when set).
 */
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti, writeLabelNifti, writeNifti, type NiftiImage } from '@/lib/formats/nifti';
import { instanceAP } from '@/lib/metrics';
import { generateNuclei } from '@/lib/synth';
import type { LabelVolume, Vec3 } from '@/lib/volume';
import { createCaller } from '@/server/api/root';
import { createContextFor } from '@/server/api/context';
import { waitForJob } from '@/server/jobs/registry';
import { stopModelWorker } from '@/server/jobs/run-model';
import { stopGpuWorker } from '@/server/jobs/gpu-worker';
import { submitBrowserResult } from '@/server/services/browser-runs';
import { registerBundledModels } from '@/server/services/bundled-registry';
import { registerModel } from '@/server/services/models';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { blobFiles, sqliteEnv, type TestEnv } from './helpers';
import { tinyCard, tinyModel } from './models-fixtures';

/**
 * AP@0.5 measured with the committed nuclei model v0.1.0 on this volume (onnxruntime-node): 0.857
 * (12 of 14 nuclei matched, no false positives). The bar leaves room for two more misses.
 */
const AP50_BAR = 0.7;
const SHAPE: Vec3 = [64, 64, 32];

let env: TestEnv;
let studyId = '';
let modelId = '';
let study: NiftiImage;
let gt: Uint32Array;
let serverRunId = '';
let serverLabels: Uint32Array;
let serverRecord: Record<string, unknown>;

beforeAll(async () => {
  env = await sqliteEnv();
  const g = generateNuclei({ shape: SHAPE, seed: 7, count: 14 });
  gt = Uint32Array.from(g.labels.data);
  const bytes = writeNifti({ volume: { ...g.image, units: 'um' } }, { gzip: true });
  study = readNifti(bytes);
  ({ studyId } = await createVolumeStudyFromUpload(env, bytes, { filename: 'nuclei64.nii.gz' }));
  const reg = await registerBundledModels(env);
  const nuclei = reg.find((r) => r.name === 'nuclei')!;
  expect(nuclei.status, nuclei.message ?? '').toBe('registered');
  modelId = nuclei.modelId!;
});
afterAll(async () => {
  await stopModelWorker();
  await stopGpuWorker();
  await env.cleanup();
});

async function caller() {
  return createCaller(await createContextFor(env));
}

async function storedLabels(runId: string): Promise<{ data: Uint32Array; filename: string }> {
  const run = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
  const asset = await env.db.asset.findUniqueOrThrow({ where: { id: run.labelAssetId! } });
  const img = readNifti(await env.blobs.get(asset.sha256));
  expect(img.volume.shape).toEqual(SHAPE);
  expect(img.volume.spacing).toEqual(study.volume.spacing);
  return { data: Uint32Array.from(img.volume.data as ArrayLike<number>), filename: asset.filename };
}

function labelNifti(data: ArrayLike<number>, shape: Vec3 = SHAPE): Uint8Array {
  const v = study.volume;
  const labels: LabelVolume = { data: Uint32Array.from(data), shape, spacing: v.spacing, affine: v.affine, units: v.units };
  return writeLabelNifti(labels, shape.every((s, i) => s === v.shape[i]) ? study.header : null, { gzip: true });
}

/** Voxel count, bounding box and centroid per id 1..N, by hand. */
function handStats(labels: Uint32Array, n: number) {
  const [nx, ny] = SHAPE;
  const s = Array.from({ length: n }, () => ({ voxels: 0, min: [Infinity, Infinity, Infinity], max: [-1, -1, -1], sum: [0, 0, 0] }));
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!l) continue;
    const p = [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
    const e = s[l - 1];
    e.voxels++;
    for (let a = 0; a < 3; a++) {
      e.min[a] = Math.min(e.min[a], p[a]);
      e.max[a] = Math.max(e.max[a], p[a]);
      e.sum[a] += p[a];
    }
  }
  return s.map((e, k) => ({ labelId: k + 1, voxels: e.voxels, bboxMin: e.min, bboxMax: e.max, centroid: e.sum.map((x) => x / e.voxels) }));
}

describe('server run of the bundled nuclei model', () => {
  it('stores the instance map, Instance rows matching it, params.cellPipeline; AP@0.5 vs the generator', async () => {
    // The committed card's own instance-step parameters, read independently of the code under test.
    const card = JSON.parse(readFileSync(join(process.env.TESSERA_ROOT ?? '.', 'models', 'nuclei', 'card.json'), 'utf8')) as {
      output: { minInstanceVoxels: number; cellPipeline: Record<string, unknown> };
    };
    const c = await caller();
    const { runId } = await c.runs.runModel({ studyId, modelId, device: 'ort' });
    serverRunId = runId;
    await waitForJob(runId);
    const r = await c.runs.get({ id: runId });
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ status: 'succeeded', location: 'server', runner: 'onnxruntime-node', device: 'cpu', pipeline: 'model:nuclei' });

    const stored = await storedLabels(runId);
    expect(stored.filename).toBe('nuclei64_nuclei_instances.nii.gz');
    serverLabels = stored.data;
    let n = 0;
    for (const v of serverLabels) n = Math.max(n, v);
    expect(n).toBe(r.instanceCount);
    expect(n).toBeGreaterThan(0);

    // Instance rows: one per id, stats as counted by hand from the stored map, the card's foreground class.
    const rows = await c.instances.list({ runId });
    expect(rows.map((x) => x.labelId)).toEqual(Array.from({ length: n }, (_, k) => k + 1));
    const hand = handStats(serverLabels, n);
    for (let k = 0; k < n; k++) {
      expect(rows[k]).toMatchObject({ labelId: hand[k].labelId, voxels: hand[k].voxels, bboxMin: hand[k].bboxMin, bboxMax: hand[k].bboxMax, className: 'nucleus' });
      for (let a = 0; a < 3; a++) expect(rows[k].centroid[a]).toBeCloseTo(hand[k].centroid[a], 6);
      expect(rows[k].voxels).toBeGreaterThanOrEqual(card.output.minInstanceVoxels);
    }

    // The parameters used, at the top of params (not inside prepare).
    const p = r.params as Record<string, unknown>;
    serverRecord = p.cellPipeline as Record<string, unknown>;
    expect(card.output.cellPipeline.mode).toBe('distance');
    expect(serverRecord).toMatchObject({ ...card.output.cellPipeline, minVoxels: card.output.minInstanceVoxels, grid: { shape: SHAPE, spacing: study.volume.spacing } });
    expect(serverRecord.seedCount as number).toBeGreaterThanOrEqual(n);
    expect((p.prepare as Record<string, unknown>).cellPipeline).toBeUndefined();

    const ap = instanceAP(serverLabels, gt);
    console.log(`[cell-pipeline-run] nuclei on ${SHAPE.join('×')}: ${n} instances (${ap.nGt} true), AP@0.5 ${ap.ap50.toFixed(3)}, mean AP ${ap.apMean.toFixed(3)}, matched IoU ${ap.meanMatchedIoU.toFixed(3)}`);
    expect(ap.ap50).toBeGreaterThanOrEqual(AP50_BAR);
  });

  it('refuses cellPipeline overrides for a model that is not a cell-pipeline model, before any Run', async () => {
    const c = await caller();
    const { id } = await registerModel(env, tinyModel({ out: 2 }), tinyCard('tiny-cc', 2));
    const before = await env.db.run.count();
    await expect(c.runs.runModel({ studyId, modelId: id, device: 'ort', cellPipeline: { minVoxels: 5 } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/does not use the cell pipeline/),
    });
    await expect(c.runs.runModel({ studyId, modelId, device: 'ort', cellPipeline: { foregroundThreshold: 1.5 } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/foregroundThreshold must be in \(0, 1\)/),
    });
    const unknown = await c.runs.runModel({ studyId, modelId, device: 'ort', cellPipeline: { thresholdd: 0.4 } }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'BAD_REQUEST', message: 'invalid input' });
    expect(String((unknown as { cause?: unknown }).cause)).toMatch(/unknown cell-pipeline parameter 'thresholdd'/);
    expect(await env.db.run.count()).toBe(before);
  });
});

describe('browser-style results of the nuclei model', () => {
  const result = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ runner: 'tessera', device: 'webgpu', adapter: 'test adapter', delegated: 0, tiles: 4, ms: 321, params: { tensorDims: [1, 1, 32, 64, 64] }, cellPipeline: serverRecord, ...over });
  const start = async () => (await (await caller()).runs.createBrowserModelRun({ studyId, modelId, runner: 'tessera', device: 'webgpu', adapter: 'test adapter' })).runId;

  async function expectRefused(labels: Uint8Array, res: string, message: RegExp) {
    const runId = await start();
    const blobs = blobFiles(env.blobDir).length;
    await expect(submitBrowserResult(env, runId, { labels, result: res })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    const r = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^invalid browser result: /);
    expect([r.labelAssetId, r.instanceCount]).toEqual([null, null]);
    expect(await env.db.instance.count({ where: { runId } })).toBe(0);
    expect(await env.db.asset.count({ where: { runId } })).toBe(0);
    expect(blobFiles(env.blobDir).length).toBe(blobs);
  }

  it('stores a valid instance map with stats the server computed (client stats ignored), like the server run', async () => {
    const runId = await start();
    const bogus = [{ labelId: 1, voxels: 999999, centroid: [0, 0, 0] }];
    const out = await submitBrowserResult(env, runId, { labels: labelNifti(serverLabels), result: result({ instances: bogus, instanceCount: 1 }) });
    const c = await caller();
    const r = await c.runs.get({ id: runId });
    expect(r.error).toBeNull();
    expect(out).toEqual({ runId, instanceCount: r.instanceCount });
    expect(r).toMatchObject({ status: 'succeeded', location: 'browser', runner: 'tessera', device: 'webgpu', adapter: 'test adapter', pipeline: 'model:nuclei' });
    expect((r.params as Record<string, unknown>).cellPipeline).toEqual(serverRecord);
    expect(r.timings).toMatchObject({ inferenceMs: 321, tiles: 4, statsMs: expect.any(Number) });
    const stored = await storedLabels(runId);
    expect(stored.filename).toBe('nuclei64_nuclei_instances.nii.gz');
    expect(stored.data).toEqual(serverLabels);
    const mine = await c.instances.list({ runId });
    const server = await c.instances.list({ runId: serverRunId });
    const key = (i: (typeof mine)[number]) => [i.labelId, i.className, i.voxels, i.bboxMin, i.bboxMax, i.centroid, i.centroidWorld];
    expect(mine.map(key)).toEqual(server.map(key));
  });

  it('refuses wrong labels and a record naming other parameters, storing nothing', async () => {
    const n = serverLabels.reduce((m, v) => Math.max(m, v), 0);
    expect(n).toBeGreaterThanOrEqual(2);
    // ids 1 and 2 swapped: not in the order of their first voxel
    const swapped = serverLabels.map((v) => (v === 1 ? 2 : v === 2 ? 1 : v));
    await expectRefused(labelNifti(swapped), result(), /instance 2 first appears at voxel .* before instance 1/);
    // a gap: id n renamed n + 1
    const gap = serverLabels.map((v) => (v === n ? n + 1 : v));
    await expectRefused(labelNifti(gap), result(), new RegExp(`instance ${n + 1} first appears .* before instance ${n}`));
    // another grid
    await expectRefused(labelNifti(new Uint32Array(63 * 64 * 32), [63, 64, 32]), result(), /63×64×32 voxels but the study is 64×64×32/);
    // a one-voxel speck as a new instance: under the card's minInstanceVoxels
    const speck = serverLabels.slice();
    const at = speck.lastIndexOf(0);
    speck[at] = n + 1;
    await expectRefused(labelNifti(speck), result(), new RegExp(`instance ${n + 1} has 1 voxel\\(s\\)`));
    // float labels
    const v = study.volume;
    const floats = writeNifti({ volume: { data: Float32Array.from(serverLabels), shape: SHAPE, spacing: v.spacing, affine: v.affine } }, { gzip: true });
    await expectRefused(floats, result(), /must hold integer instance ids/);
    // the right labels, but the page claims other parameters than the card's
    const tf = serverRecord.foregroundThreshold as number;
    await expectRefused(labelNifti(serverLabels), result({ cellPipeline: { ...serverRecord, foregroundThreshold: tf / 2 } }), new RegExp(`cellPipeline.foregroundThreshold is ${tf / 2} but the model's card gives ${tf}`));
    await expectRefused(labelNifti(serverLabels), result({ cellPipeline: { ...serverRecord, extraKnob: 2 } }), /result.cellPipeline.extraKnob is not a parameter/);
    await expectRefused(labelNifti(serverLabels), result({ cellPipeline: undefined }), /missing result.cellPipeline/);
  });
});
