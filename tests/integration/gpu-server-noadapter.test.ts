// No Vulkan driver for Dawn in this test process: set BEFORE the GPU worker (and Dawn) start.
process.env.VK_ICD_FILENAMES = '/nonexistent/tessera-no-such-icd.json';
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { waitForJob } from '@/server/jobs/registry';
import { stopGpuWorker } from '@/server/jobs/gpu-worker';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { getRun, startSegmentCells } from '@/server/services/runs';
import { nucleiNifti, sqliteEnv, type TestEnv } from './helpers';

let env: TestEnv;
let studyId = '';
beforeAll(async () => {
  env = await sqliteEnv();
  ({ studyId } = await createVolumeStudyFromUpload(env, nucleiNifti([32, 32, 16]).bytes, { filename: 'n.nii.gz' }));
});
afterAll(async () => {
  await stopGpuWorker();
  await env.cleanup();
});

describe('server runs without a WebGPU adapter', () => {
  it("device 'gpu' fails the run clearly (never a silent CPU run); nothing stored", async () => {
    const { runId } = await startSegmentCells(env, { studyId, device: 'gpu' });
    await waitForJob(runId);
    const r = await getRun(env, runId);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/device 'gpu' was requested but no WebGPU adapter/);
    expect(r.error).toMatch(/never fall back to the CPU/);
    expect(r.labelAssetId).toBeNull();
    expect(await env.db.instance.count({ where: { runId } })).toBe(0);
    expect(await env.db.asset.count({ where: { runId } })).toBe(0);
  });

  it("device 'auto' falls back to the CPU and records device 'cpu'", async () => {
    const { runId } = await startSegmentCells(env, { studyId, device: 'auto', params: { minSize: 5 } });
    await waitForJob(runId);
    const r = await getRun(env, runId);
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ status: 'succeeded', device: 'cpu', adapter: null, location: 'server', runner: 'tessera' });
    expect(r.params).toMatchObject({ deviceRequested: 'auto', gpuFallback: expect.stringMatching(/no WebGPU adapter/) });
  });
});
