import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readNifti } from '@/lib/formats/nifti';
import { waitForJob } from '@/server/jobs/registry';
import { stopGpuWorker } from '@/server/jobs/gpu-worker';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { getRun, startSegmentCells } from '@/server/services/runs';
import { listInstances } from '@/server/services/instances';
import { nucleiNifti, sqliteEnv, type TestEnv } from './helpers';
import { matchedVoxelAgreement } from '@/lib/metrics';

/**
 * Server runs on Dawn (the GPU worker thread) with the machine's Vulkan driver (lavapipe or
 * SwiftShader, chosen by server/gpu/vulkan.ts when VK_ICD_FILENAMES is unset).
 */
let env: TestEnv;
let studyId = '';
beforeAll(async () => {
  env = await sqliteEnv();
  ({ studyId } = await createVolumeStudyFromUpload(env, nucleiNifti([48, 48, 24]).bytes, { filename: 'nuclei.nii.gz' }));
});
afterAll(async () => {
  await stopGpuWorker();
  await env.cleanup();
});

async function labelsOf(runId: string): Promise<Uint32Array> {
  const run = await getRun(env, runId);
  const asset = await env.db.asset.findUniqueOrThrow({ where: { id: run.labelAssetId! } });
  return Uint32Array.from(readNifti(await env.blobs.get(asset.sha256)).volume.data as ArrayLike<number>);
}

describe('server runs on the GPU (Dawn)', () => {
  it("device 'gpu' runs on Dawn and records webgpu + adapter; equal to the CPU run", async () => {
    const gpu = await startSegmentCells(env, { studyId, device: 'gpu', params: { smooth: 0.5, minSize: 10 } });
    expect((await getRun(env, gpu.runId)).device).toBe('webgpu');
    await waitForJob(gpu.runId);
    const g = await getRun(env, gpu.runId);
    expect(g.error).toBeNull();
    expect(g).toMatchObject({ status: 'succeeded', location: 'server', runner: 'tessera', device: 'webgpu' });
    expect(g.adapter).toBeTruthy();
    expect(g.timings).toMatchObject({ smooth: expect.any(Number), threshold: expect.any(Number), edt: expect.any(Number), seeds: expect.any(Number), watershed: expect.any(Number), relabel: expect.any(Number), stats: expect.any(Number), totalMs: expect.any(Number), saveMs: expect.any(Number) });
    expect(g.params).toMatchObject({ deviceRequested: 'gpu', seedCount: expect.any(Number), resolved: expect.any(Object) });

    const cpu = await startSegmentCells(env, { studyId, device: 'cpu', params: { smooth: 0.5, minSize: 10 } });
    await waitForJob(cpu.runId);
    const c = await getRun(env, cpu.runId);
    expect(c).toMatchObject({ status: 'succeeded', device: 'cpu', adapter: null });
    expect(g.instanceCount).toBe(c.instanceCount);
    expect(g.instanceCount).toBeGreaterThan(0);
    const agreement = matchedVoxelAgreement(await labelsOf(g.id), await labelsOf(c.id));
    expect(agreement).toBeGreaterThanOrEqual(0.995);
    expect(await listInstances(env, g.id)).toHaveLength(g.instanceCount!);
  });

  it("device 'auto' (the default) uses Dawn when an adapter exists; the worker and device are reused", async () => {
    const a = await startSegmentCells(env, { studyId });
    const b = await startSegmentCells(env, { studyId, device: 'auto' });
    await Promise.all([waitForJob(a.runId), waitForJob(b.runId)]);
    for (const id of [a.runId, b.runId]) {
      const r = await getRun(env, id);
      expect(r.error).toBeNull();
      expect(r).toMatchObject({ status: 'succeeded', device: 'webgpu', location: 'server' });
      expect(r.adapter).toBeTruthy();
      expect(r.params).toMatchObject({ deviceRequested: 'auto' });
    }
    expect((await getRun(env, a.runId)).instanceCount).toBe((await getRun(env, b.runId)).instanceCount);
  });
});
