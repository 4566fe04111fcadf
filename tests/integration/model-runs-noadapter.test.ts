// No Vulkan driver for Dawn in this test process: set BEFORE the model worker (and Dawn) start.
process.env.VK_ICD_FILENAMES = '/nonexistent/tessera-no-such-icd.json';
/**
 * Server model runs without a WebGPU adapter: device 'gpu' fails the Run (GPU_UNAVAILABLE, never a
 * silent CPU run) and stores nothing; 'auto' runs on onnxruntime-node and records the reason.
 */
import { vi, describe, it, expect, beforeAll, afterAll } from 'vitest';
vi.mock('server-only', () => ({}));
import { readFileSync } from 'node:fs';
import { waitForJob } from '@/server/jobs/registry';
import { stopModelWorker } from '@/server/jobs/run-model';
import { registerModel } from '@/server/services/models';
import { startModelRun } from '@/server/services/model-runs';
import { getRun } from '@/server/services/runs';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { blobFiles, nucleiNifti, sqliteEnv, type TestEnv } from './helpers';
import { GWM_PATH, gwmCard } from './models-fixtures';

let env: TestEnv;
let studyId = '';
let modelId = '';
beforeAll(async () => {
  env = await sqliteEnv();
  ({ studyId } = await createVolumeStudyFromUpload(env, nucleiNifti([24, 24, 12]).bytes, { filename: 'n.nii.gz' }));
  ({ id: modelId } = await registerModel(env, new Uint8Array(readFileSync(GWM_PATH)), gwmCard()));
});
afterAll(async () => {
  await stopModelWorker();
  await env.cleanup();
});

describe('server model runs without a WebGPU adapter', () => {
  it("device 'gpu' fails the run with GPU_UNAVAILABLE and stores nothing", async () => {
    const blobs = blobFiles(env.blobDir).length;
    const { runId } = await startModelRun(env, { studyId, modelId, device: 'gpu' });
    await waitForJob(runId);
    const r = await getRun(env, runId);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/no WebGPU adapter/);
    expect([r.labelAssetId, r.instanceCount]).toEqual([null, null]);
    expect(await env.db.instance.count({ where: { runId } })).toBe(0);
    expect(await env.db.asset.count({ where: { runId } })).toBe(0);
    expect(blobFiles(env.blobDir).length).toBe(blobs);
  });

  it("device 'auto' runs on onnxruntime-node and records the fallback reason", async () => {
    const { runId } = await startModelRun(env, { studyId, modelId, device: 'auto' });
    await waitForJob(runId);
    const r = await getRun(env, runId);
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ status: 'succeeded', runner: 'onnxruntime-node', device: 'cpu', adapter: null });
    expect(r.params).toMatchObject({ deviceRequested: 'auto', fallbackReason: expect.stringMatching(/no WebGPU adapter/), unsupportedOps: [] });
    expect(r.labelAssetId).not.toBeNull();
  });
});
