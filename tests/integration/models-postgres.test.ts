/**
 * The model registry and model runs on a real PostgreSQL (TEST_DATABASE_URL_PG, own schema per run,
 * dropped afterwards): registration + typed errors storing nothing, a server 'ort' run, a browser
 * model run with a hand-made class map (instances checked against hand-counted components) and a
 * wrong grid, model deletion keeping the runs. Without the variable this file FAILS, unless
 * TESSERA_NO_PG=1 explicitly opts out for a local run (as db-postgres.test.ts).
 */
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti, writeLabelNifti, writeNifti } from '@/lib/formats/nifti';
import type { Vec3 } from '@/lib/volume';
import { LocalBlobStore } from '@/server/blob/local';
import { createDb, type Db } from '@/server/db/client';
import { migrate } from '@/server/db/migrate';
import { waitForJob } from '@/server/jobs/registry';
import { stopModelWorker } from '@/server/jobs/run-model';
import { createBrowserModelRun, startModelRun } from '@/server/services/model-runs';
import { deleteModel, listModels, registerModel } from '@/server/services/models';
import { submitBrowserResult } from '@/server/services/browser-runs';
import { getRun } from '@/server/services/runs';
import { listInstances } from '@/server/services/instances';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { blobFiles, tempDir } from './helpers';
import { GWM_PATH, gwmCard } from './models-fixtures';
import { describePostgres } from './pg-schema';

describePostgres('model registry on PostgreSQL', pgSuite, {
  name: 'still builds the model pipeline name the runs use',
  fn: async () => {
    const { modelPipeline, isModelPipeline } = await import('@/server/services/model-runs');
    expect(modelPipeline('gwm')).toBe('model:gwm');
    expect([isModelPipeline('model:gwm'), isModelPipeline('classical-cells')]).toEqual([true, false]);
  },
});

/** The tests on a fresh schema of TEST_DATABASE_URL_PG. */
function pgSuite({ url }: { url: string }): void {
  const dir = tempDir();
  const blobDir = join(dir, 'blobs');
  let db: Db;
  let deps: { db: Db; blobs: LocalBlobStore };
  const S: Vec3 = [24, 20, 16];
  let studyId = '';
  let modelId = '';

  beforeAll(async () => {
    await migrate(url);
    db = createDb(url);
    deps = { db, blobs: new LocalBlobStore(blobDir) };
    // A T1 corner crop as the study (small: onnxruntime runs it in well under a second).
    const v = readNifti(readFileSync('../shared/data/volumes/brainchop_t1_crop.nii.gz')).volume;
    const data = new Float32Array(S[0] * S[1] * S[2]);
    const o = v.shape.map((s, a) => Math.floor((s - S[a]) / 2));
    for (let z = 0; z < S[2]; z++)
      for (let y = 0; y < S[1]; y++)
        for (let x = 0; x < S[0]; x++) data[x + S[0] * (y + S[1] * z)] = Number(v.data[o[0] + x + v.shape[0] * (o[1] + y + v.shape[1] * (o[2] + z))]);
    const bytes = writeNifti({ volume: { data, shape: S, spacing: v.spacing, units: v.units } }, { gzip: true });
    ({ studyId } = await createVolumeStudyFromUpload(deps, bytes, { filename: 'crop.nii.gz' }));
  });
  afterAll(async () => {
    await stopModelWorker();
    await db?.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('model registry on PostgreSQL', () => {
    it('registers GWM, refuses a duplicate and a wrong card storing nothing, lists it', async () => {
      const bytes = new Uint8Array(readFileSync(GWM_PATH));
      ({ id: modelId } = await registerModel(deps, bytes, gwmCard()));
      const before = { models: await db.model.count(), blobs: blobFiles(blobDir).length };
      await expect(registerModel(deps, bytes, gwmCard())).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(registerModel(deps, bytes, gwmCard({ version: '2', input: { ...gwmCard().input, channels: 2 } }))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
      expect({ models: await db.model.count(), blobs: blobFiles(blobDir).length }).toEqual(before);
      const list = await listModels(deps);
      expect(list.map((m) => [m.id, m.name, m.version, m.bytes, m.unsupportedOps])).toEqual([[modelId, 'meshnet-gwm', '1', bytes.byteLength, []]]);
    });

    it("runs the model on the server with device 'ort' and stores classes + instances", async () => {
      const { runId } = await startModelRun(deps, { studyId, modelId, device: 'ort' });
      await waitForJob(runId);
      const r = await getRun(deps, runId);
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'succeeded', runner: 'onnxruntime-node', device: 'cpu', pipeline: 'model:meshnet-gwm', version: '1' });
      const row = await db.run.findUniqueOrThrow({ where: { id: runId } });
      expect([row.modelId, row.modelVersion]).toEqual([modelId, '1']);
      expect([r.modelId, r.modelVersion]).toEqual([modelId, '1']);
      const rows = await listInstances(deps, runId);
      expect(rows).toHaveLength(r.instanceCount!);
      for (const i of rows) expect(['white matter', 'grey matter']).toContain(i.className);
    });

    it('stores a browser class map with instances computed on the server; a wrong grid stores nothing', async () => {
      // Two boxes of class 1 (4·3·2 = 24 and 2·2·2 = 8 voxels) and one of class 2 (3·3·3 = 27); minInstanceVoxels 10 drops the 8.
      const [nx, ny] = S;
      const map = new Uint32Array(S[0] * S[1] * S[2]);
      const box = (x0: number, y0: number, z0: number, w: number, h: number, d: number, v: number) => {
        for (let z = z0; z < z0 + d; z++) for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) map[x + nx * (y + ny * z)] = v;
      };
      box(1, 1, 1, 4, 3, 2, 1);
      box(10, 10, 10, 2, 2, 2, 1);
      box(15, 2, 5, 3, 3, 3, 2);
      const study = readNifti(await deps.blobs.get((await db.asset.findFirstOrThrow({ where: { studyId, role: 'original' } })).sha256));
      const good = writeLabelNifti({ data: map, shape: S, spacing: study.volume.spacing, affine: study.volume.affine }, study.header, { gzip: true });
      const result = JSON.stringify({ runner: 'tessera', device: 'webgpu', adapter: 'test', delegated: 0, peakBytes: 1024, tiles: 2, ms: 5, params: {} });

      const { runId } = await createBrowserModelRun(deps, { studyId, modelId, runner: 'tessera', device: 'webgpu', adapter: 'test' });
      expect(await submitBrowserResult(deps, runId, { labels: good, result })).toEqual({ runId, instanceCount: 2 });
      const rows = await listInstances(deps, runId);
      expect(rows.map((i) => [i.labelId, i.className, i.voxels, i.bboxMin, i.bboxMax])).toEqual([
        [1, 'white matter', 24, [1, 1, 1], [4, 3, 2]],
        [2, 'grey matter', 27, [15, 2, 5], [17, 4, 7]],
      ]);
      expect(await getRun(deps, runId)).toMatchObject({ status: 'succeeded', runner: 'tessera', device: 'webgpu', adapter: 'test', timings: { tiles: 2, peakBytes: 1024, inferenceMs: 5 } });

      const bad = writeLabelNifti({ data: new Uint32Array(S[0] * S[1] * (S[2] + 1)), shape: [S[0], S[1], S[2] + 1], spacing: study.volume.spacing }, null, { gzip: true });
      const second = await createBrowserModelRun(deps, { studyId, modelId, runner: 'onnxruntime-web', device: 'webgpu', adapter: null });
      const blobs = blobFiles(blobDir).length;
      await expect(submitBrowserResult(deps, second.runId, { labels: bad, result: JSON.stringify({ runner: 'onnxruntime-web', device: 'webgpu', ms: 1 }) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await getRun(deps, second.runId)).toMatchObject({ status: 'failed', labelAssetId: null, instanceCount: null });
      expect(await db.instance.count({ where: { runId: second.runId } })).toBe(0);
      expect(blobFiles(blobDir).length).toBe(blobs);
    });

    it('deleting the model keeps its runs (modelId null, version kept)', async () => {
      const n = await db.run.count({ where: { modelId } });
      expect(await deleteModel(deps, modelId)).toEqual({ deleted: true, runsKept: n });
      const runs = await db.run.findMany({ where: { pipeline: 'model:meshnet-gwm' } });
      expect(runs).toHaveLength(n);
      expect(runs.every((r) => r.modelId === null && r.modelVersion === '1')).toBe(true);
      expect(await getRun(deps, runs[0].id)).toMatchObject({ modelId: null, modelVersion: '1', pipeline: 'model:meshnet-gwm' });
      expect(blobFiles(blobDir).some((f) => f.endsWith((runs[0].params as { model: { sha256: string } }).model.sha256))).toBe(false);
    });
  });
}
