/**
 * Point-cloud Runs and helpers at the service level (SQLite + temp blob folder):
 * storePointCloudRunResult round trip (labels asset = labelled PLY in the study's point order,
 * Instance rows, scores, class names, the viewer switching to the run's labels), its all-or-nothing
 * failures, the demo point-cloud seed, the pure per-instance statistics on a hand-computed cloud,
 * and the viewer's binary format.
 */
import { vi, describe, it, expect, beforeEach, afterEach } from 'vitest';
vi.mock('server-only', () => ({}));
import { readPly, writePly } from '@/lib/formats/pointcloud';
import { generateScene } from '@/lib/synth/scenes';
import {
  createPointCloudRun, createPointCloudStudyFromUpload, labelledPly, pointCloudView, pointInstanceStats, storePointCloudRunResult,
} from '@/server/services/pointclouds';
import { createVolumeStudyFromUpload, deleteStudy, getStudy } from '@/server/services/studies';
import { listInstances } from '@/server/services/instances';
import { DEMO_POINTCLOUD_NAME, seedDemoPointCloud } from '@/server/demo/seed';
import { decodePointsPayload, encodePointsPayload } from '@/lib/formats/pointcloud/points-format';
import { blobFiles, countRows, smallNifti, sqliteEnv, type TestEnv } from './helpers';

let env: TestEnv;
beforeEach(async () => {
  env = await sqliteEnv();
});
afterEach(async () => {
  await env.cleanup();
});

function scenePly(seed = 3, points = 4000) {
  const scene = generateScene({ seed, kind: 'tabletop', objects: [6, 6], points });
  const bytes = writePly(scene.cloud, { instance: scene.instance, classId: scene.classId });
  return { scene, bytes };
}

describe('storePointCloudRunResult', () => {
  it('stores labels, instances and scores; the viewer and downloads switch to the run', async () => {
    const { scene, bytes } = scenePly();
    const { studyId } = await createPointCloudStudyFromUpload(env, bytes, { filename: 'scene.ply' });
    const n = scene.cloud.count;
    // A "model" result: every object split in two by x (ids 1.. in order of appearance), class + 10.
    const instance = new Int32Array(n);
    const classIds = new Int32Array(n);
    const remap = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      classIds[i] = scene.classId[i] + 10;
      if (scene.instance[i] <= 0) continue;
      const key = `${scene.instance[i]}:${scene.cloud.positions[3 * i] < 0 ? 'l' : 'r'}`;
      if (!remap.has(key)) remap.set(key, remap.size + 1);
      instance[i] = remap.get(key)!;
    }
    const classNames: Record<number, string> = { 10: 'table', 11: 'crate', 12: 'can', 13: 'ball', 14: 'ring', 15: 'cup', 16: 'flask' };
    const scores = Array.from({ length: remap.size + 1 }, (_, id) => (id === 0 ? 0 : 1 - id / 100));
    const before = await countRows(env.db);
    const { runId } = await createPointCloudRun(env, { studyId, pipeline: 'pointnet2-instances', version: '0.1', device: 'cpu' });
    expect((await env.db.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe('running');

    const copy = instance.slice();
    const r = await storePointCloudRunResult(env, runId, { instance, classIds, classNames, scores, timings: { totalMs: 12 } });
    expect(instance).toEqual(copy); // input untouched
    expect(r.instanceCount).toBe(remap.size);

    const run = await env.db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ status: 'succeeded', stage: 'done', progress: 1, instanceCount: remap.size, labelAssetId: r.labelAssetId, error: null });
    expect(run.finishedAt).not.toBeNull();
    expect((run.params as { classNames: Record<string, string> }).classNames).toEqual({ '10': 'table', '11': 'crate', '12': 'can', '13': 'ball', '14': 'ring', '15': 'cup', '16': 'flask' });
    expect((run.timings as Record<string, number>).totalMs).toBe(12);
    expect(await countRows(env.db)).toEqual({ ...before, runs: before.runs + 1, assets: before.assets + 1, instances: remap.size });

    // labels asset: a labelled PLY with the study's points in its order
    const asset = await env.db.asset.findUniqueOrThrow({ where: { id: r.labelAssetId } });
    expect(asset).toMatchObject({ role: 'labels', runId, filename: 'scene_labels.ply' });
    const stored = readPly(await env.blobs.get(asset.sha256));
    expect(Buffer.from(stored.positions.buffer).equals(Buffer.from(scene.cloud.positions.buffer))).toBe(true);
    expect(Array.from(stored.labels!.instance)).toEqual(Array.from(instance));
    expect(Array.from(stored.labels!.class)).toEqual(Array.from(classIds));

    // Instance rows: point counts and centroids by plain loops, scores, class names
    const rows = await listInstances(env, runId);
    expect(rows.map((x) => x.labelId)).toEqual(Array.from({ length: remap.size }, (_, k) => k + 1));
    for (const row of rows) {
      let k = 0;
      const s = [0, 0, 0];
      const cls = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        if (instance[i] !== row.labelId) continue;
        k++;
        for (let a = 0; a < 3; a++) s[a] += scene.cloud.positions[3 * i + a];
        cls.set(classIds[i], (cls.get(classIds[i]) ?? 0) + 1);
      }
      expect(row.voxels).toBe(k);
      for (let a = 0; a < 3; a++) expect(row.centroidWorld[a]).toBeCloseTo(s[a] / k, 9);
      const major = [...cls.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0][0];
      expect(row.className).toBe(classNames[major]);
      expect(row.score).toBeCloseTo(1 - row.labelId / 100, 12);
      for (let a = 0; a < 3; a++) expect(row.bboxMin[a]).toBeLessThanOrEqual(row.centroidWorld[a]);
    }

    // the viewer's default is now the run; 'file' still gives the ground truth
    const auto = await pointCloudView(env, studyId);
    expect(auto.labels).toMatchObject({ source: 'run', runId });
    expect(Array.from(auto.labels.instance!)).toEqual(Array.from(instance));
    expect(auto.table.instances.map((x) => x.score)).toEqual(rows.map((x) => x.score));
    expect(auto.table.instances[0].className).toBe(rows[0].className);
    const file = await pointCloudView(env, studyId, 'file');
    expect(file.labels.source).toBe('file');
    expect(Array.from(file.labels.instance!)).toEqual(Array.from(scene.instance));
    const ply = await labelledPly(env, studyId);
    const back = readPly(ply.bytes);
    expect(ply).toMatchObject({ source: 'run', runId });
    expect(Array.from(back.labels!.instance)).toEqual(Array.from(instance));
    expect(Array.from(back.labels!.class)).toEqual(Array.from(classIds));

    // a second result for the same run is refused; deleting the study removes everything
    await expect(storePointCloudRunResult(env, runId, { instance, classIds, classNames })).rejects.toMatchObject({ code: 'CONFLICT' });
    await deleteStudy(env, studyId);
    expect(await countRows(env.db)).toEqual({ studies: 0, assets: 0, runs: 0, instances: 0 });
    expect(blobFiles(env.blobDir)).toEqual([]);
  });

  it('refuses a result of the wrong length and stores nothing', async () => {
    const { bytes, scene } = scenePly(4, 2000);
    const { studyId } = await createPointCloudStudyFromUpload(env, bytes, { filename: 's.ply' });
    const { runId } = await createPointCloudRun(env, { studyId });
    const before = await countRows(env.db);
    const blobs = blobFiles(env.blobDir);
    const n = scene.cloud.count;
    await expect(storePointCloudRunResult(env, runId, { instance: new Int32Array(n - 1), classIds: new Int32Array(n - 1), classNames: [] }))
      .rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(storePointCloudRunResult(env, runId, { instance: new Int32Array(n), classIds: new Int32Array(n + 1), classNames: [] }))
      .rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(storePointCloudRunResult(env, runId, { instance: Array.from({ length: n }, () => 1) as unknown as Int32Array, classIds: new Int32Array(n), classNames: [] }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(storePointCloudRunResult(env, 'missing', { instance: new Int32Array(n), classIds: new Int32Array(n), classNames: [] }))
      .rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await countRows(env.db)).toEqual(before);
    expect(blobFiles(env.blobDir)).toEqual(blobs);
    expect((await env.db.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe('running');
    // the viewer keeps showing the file's labels while no run has succeeded
    expect((await pointCloudView(env, studyId)).labels.source).toBe('file');
  });

  it('only on point-cloud studies', async () => {
    const { studyId } = await createVolumeStudyFromUpload(env, smallNifti(), { filename: 'v.nii' });
    await expect(createPointCloudRun(env, { studyId })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createPointCloudRun(env, { studyId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await countRows(env.db)).runs).toBe(0);
  });
});

describe('demo point cloud', () => {
  it('is seeded once, with the scene labels and class names as ground truth', async () => {
    const a = await seedDemoPointCloud(env);
    expect(a.created).toBe(true);
    const b = await seedDemoPointCloud(env);
    expect(b).toEqual({ studyId: a.studyId, created: false });
    const s = await getStudy(env, a.studyId);
    expect(s).toMatchObject({ name: DEMO_POINTCLOUD_NAME, kind: 'pointcloud' });
    expect(s.meta).toMatchObject({ format: 'ply', fields: { colours: true, normals: true, labels: ['instance', 'class'] }, groundTruth: { instanceField: 'instance', classField: 'class', instances: 8 } });
    expect((s.meta as { classNames: Record<string, string> }).classNames).toMatchObject({ '1': 'box', '6': 'bottle' });
    const v = await pointCloudView(env, a.studyId);
    expect(v.table.instances).toHaveLength(8);
    expect(v.table.instances.every((r) => r.className !== null && !r.className.startsWith('class '))).toBe(true);
    expect(await env.db.study.count()).toBe(1);
  });
});

describe('pointInstanceStats', () => {
  it('matches a hand-computed cloud (background, NaN points and classes)', () => {
    // 6 points: two of instance 2, three of instance 5 (one NaN), one background
    const positions = new Float32Array([0, 0, 0, 2, 4, 6, NaN, 0, 0, 1, 1, 1, 3, 1, 1, 9, 9, 9]);
    const instance = new Int32Array([2, 2, 5, 5, 5, 0]);
    const classIds = new Int32Array([7, 7, 3, 4, 4, 1]);
    expect(pointInstanceStats(positions, instance, classIds)).toEqual([
      { id: 2, classId: 7, points: 2, centroid: [1, 2, 3], min: [0, 0, 0], max: [2, 4, 6], extent: [2, 4, 6] },
      { id: 5, classId: 4, points: 2, centroid: [2, 1, 1], min: [1, 1, 1], max: [3, 1, 1], extent: [2, 0, 0] },
    ]);
    expect(pointInstanceStats(positions, instance).map((r) => r.classId)).toEqual([null, null]);
    // class ties go to the lowest id
    expect(pointInstanceStats(new Float32Array(6), new Int32Array([1, 1]), new Int32Array([9, 3]))[0].classId).toBe(3);
  });
});

describe('points payload', () => {
  it('round-trips with an odd point count (colour padding)', () => {
    const positions = new Float32Array([1, 2, 3, NaN, 5, 6, -1, -2, -3]);
    const colors = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const instance = new Int32Array([1, 0, -1]);
    const classIds = new Int32Array([4, 5, 6]);
    const bytes = encodePointsPayload({ count: 3, positions, colors, instance, classIds, source: 'run' });
    expect(bytes.byteLength).toBe(32 + 36 + 12 + 12 + 12);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('TPC1');
    const p = decodePointsPayload(bytes.buffer.slice(0));
    expect(p).toMatchObject({ count: 3, source: 'run' });
    expect(Array.from(p.positions)).toEqual(Array.from(positions));
    expect(Array.from(p.colors!)).toEqual(Array.from(colors));
    expect(Array.from(p.instance!)).toEqual([1, 0, -1]);
    expect(Array.from(p.classIds!)).toEqual([4, 5, 6]);
    const bare = decodePointsPayload(encodePointsPayload({ count: 1, positions: new Float32Array(3), source: 'none' }).buffer as ArrayBuffer);
    expect(bare.colors).toBeUndefined();
    expect(bare.instance).toBeUndefined();
    expect(() => decodePointsPayload(bytes.buffer.slice(0, 40) as ArrayBuffer)).toThrow(/bytes/);
  });
});

describe('volume pipelines refuse point-cloud studies before any Run exists', () => {
  it('segment-cells (server and browser) and model runs answer INVALID_ARGUMENT and create nothing', async () => {
    const { startSegmentCells } = await import('@/server/services/runs');
    const { startModelRun } = await import('@/server/services/model-runs');
    const { bytes } = scenePly(4, 2000);
    const { studyId } = await createPointCloudStudyFromUpload(env, bytes, { filename: 'scene.ply' });
    const before = await countRows(env.db);
    await expect(startSegmentCells(env, { studyId })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(startSegmentCells(env, { studyId, location: 'browser' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(startModelRun(env, { studyId, modelId: 'none', device: 'auto' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await countRows(env.db)).toEqual(before);
  });
});
