import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readNifti, writeLabelNifti } from '@/lib/formats/nifti';
import { segmentCells } from '@/lib/segmentation';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { getRun, listRuns, startSegmentCells } from '@/server/services/runs';
import { ABANDONED, createBrowserRun, failBrowserRun, reportBrowserProgress, submitBrowserResult } from '@/server/services/browser-runs';
import { listInstances } from '@/server/services/instances';
import { waitForJob } from '@/server/jobs/registry';
import { stopGpuWorker } from '@/server/jobs/gpu-worker';
import { blobFiles, nucleiNifti, sqliteEnv, type TestEnv } from './helpers';

/**
 * Browser runs (server side): createBrowserRun → reportProgress → POST /api/runs/:id/result
 * (`submitBrowserResult`), with the page's computation replaced by the CPU twin here.
 */
let env: TestEnv;
let studyId = '';
let image: ReturnType<typeof readNifti>;
let seg: ReturnType<typeof segmentCells>;
let goodLabels: Uint8Array;

beforeAll(async () => {
  env = await sqliteEnv();
  const { bytes } = nucleiNifti([32, 32, 16]);
  ({ studyId } = await createVolumeStudyFromUpload(env, bytes, { filename: 'n.nii.gz' }));
  image = readNifti(bytes);
  seg = segmentCells(image.volume, { minVoxels: 5 });
  goodLabels = writeLabelNifti(seg.labels, image.header, { gzip: true });
});
afterAll(async () => {
  await stopGpuWorker();
  await env.cleanup();
});

function resultJson(over: Record<string, unknown> = {}) {
  return JSON.stringify({
    device: 'webgpu',
    adapter: 'google/swiftshader (test)',
    instances: seg.instances,
    timings: { ...seg.timings, totalMs: 12, downloadMs: 3 },
    threshold: seg.threshold,
    seedCount: seg.seedCount,
    resolved: { ...seg.params },
    ...over,
  });
}

async function expectFailedAndEmpty(runId: string, message: RegExp) {
  const r = await getRun(env, runId);
  expect(r.status).toBe('failed');
  expect(r.error).toMatch(/^invalid browser result: /);
  expect(r.error).toMatch(message);
  expect(r.labelAssetId).toBeNull();
  expect(r.instanceCount).toBeNull();
  expect(await env.db.instance.count({ where: { runId } })).toBe(0);
  expect(await env.db.asset.count({ where: { runId } })).toBe(0);
}

describe('browser runs', () => {
  it('creates a running browser run, records progress and stores a valid result (location browser, webgpu + adapter)', async () => {
    expect(seg.instances.length).toBeGreaterThan(1);
    const { runId } = await createBrowserRun(env, { studyId, params: { minSize: 5 }, device: 'webgpu', adapter: 'google/swiftshader (test)' });
    const created = await getRun(env, runId);
    expect(created).toMatchObject({ status: 'running', location: 'browser', runner: 'tessera', device: 'webgpu', adapter: 'google/swiftshader (test)', stage: 'loading' });
    expect(created.startedAt).not.toBeNull();
    expect(await reportBrowserProgress(env, { id: runId, stage: 'watershed', progress: 0.5 })).toEqual({ ok: true });
    expect(await getRun(env, runId)).toMatchObject({ stage: 'watershed', progress: 0.5 });

    const blobsBefore = blobFiles(env.blobDir).length;
    const out = await submitBrowserResult(env, runId, { labels: goodLabels, result: resultJson() });
    expect(out).toEqual({ runId, instanceCount: seg.instances.length });
    const r = await getRun(env, runId);
    expect(r).toMatchObject({ status: 'succeeded', stage: 'done', progress: 1, location: 'browser', device: 'webgpu', adapter: 'google/swiftshader (test)', instanceCount: seg.instances.length });
    expect(r.timings).toMatchObject({ watershed: expect.any(Number), totalMs: 12, downloadMs: 3, saveMs: expect.any(Number) });
    expect(r.params).toMatchObject({ minSize: 5, threshold: seg.threshold, seedCount: seg.seedCount, resolved: expect.any(Object) });
    expect(blobFiles(env.blobDir).length).toBe(blobsBefore + 1);
    const rows = await listInstances(env, runId);
    expect(rows.map((x) => x.voxels)).toEqual(seg.instances.map((x) => x.voxels));
    const asset = await env.db.asset.findUniqueOrThrow({ where: { id: r.labelAssetId! } });
    const back = readNifti(await env.blobs.get(asset.sha256));
    expect(Array.from(back.volume.data)).toEqual(Array.from(seg.labels.data));
    expect(back.volume.affine).toEqual(image.volume.affine);

    // A finished run accepts no second result (409) and is left as it is.
    await expect(submitBrowserResult(env, runId, { labels: goodLabels, result: resultJson() })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await getRun(env, runId)).status).toBe('succeeded');
    expect(await reportBrowserProgress(env, { id: runId, stage: 'stats', progress: 0.9 })).toEqual({ ok: false });
  });

  it('records a CPU-twin browser run as device cpu (no adapter)', async () => {
    const { runId } = await createBrowserRun(env, { studyId, device: 'cpu' });
    await submitBrowserResult(env, runId, { labels: goodLabels, result: resultJson({ device: 'cpu', adapter: null }) });
    expect(await getRun(env, runId)).toMatchObject({ status: 'succeeded', location: 'browser', device: 'cpu', adapter: null });
  });

  const labelsWith = (edit: (d: Uint32Array) => void) => {
    const data = seg.labels.data.slice();
    edit(data);
    return writeLabelNifti({ ...seg.labels, data }, image.header, { gzip: true });
  };

  const badCases: [string, () => { labels: Uint8Array | null; result: unknown }, RegExp][] = [
    ['instance count ≠ labels', () => ({ labels: goodLabels, result: resultJson({ instances: seg.instances.slice(1) }) }), /largest label is \d+ but \d+ instances/],
    ['a label id missing (gap)', () => ({
      labels: labelsWith((d) => { for (let i = 0; i < d.length; i++) if (d[i] === 1) d[i] = 0; }),
      result: resultJson(),
    }), /labels must be 1\.\.\d+ with no gaps; missing 1/],
    ['voxel counts differ', () => ({
      labels: goodLabels,
      result: resultJson({ instances: seg.instances.map((s, i) => (i === 0 ? { ...s, voxels: s.voxels + 1 } : s)) }),
    }), /instance 1 claims \d+ voxels but the label volume has \d+/],
    ['wrong grid', () => ({
      labels: writeLabelNifti({ data: new Uint32Array(8 * 8 * 8), shape: [8, 8, 8], spacing: image.volume.spacing }, null, { gzip: true }),
      result: resultJson({ instances: [] }),
    }), /label volume is 8×8×8 voxels but the study is 32×32×16/],
    ['not a NIfTI', () => ({ labels: new TextEncoder().encode('not a nifti file, clearly not'), result: resultJson() }), /./],
    ['missing labels', () => ({ labels: null, result: resultJson() }), /missing the label NIfTI/],
    ['webgpu without an adapter', () => ({ labels: goodLabels, result: resultJson({ adapter: null }) }), /device 'webgpu' needs the adapter's name/],
    ['not JSON', () => ({ labels: goodLabels, result: '{oops' }), /"result" field is not valid JSON/],
    ['unknown field', () => ({ labels: goodLabels, result: resultJson({ extra: 1 }) }), /invalid result/],
  ];
  for (const [name, body, message] of badCases) {
    it(`a bad result (${name}) fails the run with a clear error and stores nothing`, async () => {
      const { runId } = await createBrowserRun(env, { studyId, device: 'webgpu', adapter: 'test' });
      const blobsBefore = blobFiles(env.blobDir).length;
      await expect(submitBrowserResult(env, runId, body())).rejects.toThrow();
      await expectFailedAndEmpty(runId, message);
      expect(blobFiles(env.blobDir).length).toBe(blobsBefore);
    });
  }

  it('server runs and unknown runs accept no browser result; the page can fail its own run', async () => {
    const server = await startSegmentCells(env, { studyId, device: 'cpu' });
    await expect(submitBrowserResult(env, server.runId, { labels: goodLabels, result: resultJson() })).rejects.toMatchObject({ code: 'CONFLICT' });
    await waitForJob(server.runId);
    expect((await getRun(env, server.runId)).status).toBe('succeeded');
    await expect(submitBrowserResult(env, 'nope', { labels: goodLabels, result: resultJson() })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const { runId } = await createBrowserRun(env, { studyId });
    expect(await failBrowserRun(env, { id: runId, error: 'GPU device lost' })).toEqual({ ok: true });
    expect(await getRun(env, runId)).toMatchObject({ status: 'failed', error: 'browser: GPU device lost' });
  });

  it("segmentCells with location 'browser' creates a browser run; stale browser runs are marked abandoned", async () => {
    const { runId } = await startSegmentCells(env, { studyId, location: 'browser' });
    expect(await getRun(env, runId)).toMatchObject({ status: 'running', location: 'browser', device: 'webgpu' });
    await env.db.run.update({ where: { id: runId }, data: { updatedAt: new Date(Date.now() - 24 * 3600_000) } });
    const runs = await listRuns(env, studyId);
    expect(runs.find((r) => r.id === runId)).toMatchObject({ status: 'failed', error: ABANDONED });
  });
});
