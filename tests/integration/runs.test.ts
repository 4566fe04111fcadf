import { vi, describe, it, expect, beforeEach, afterEach } from 'vitest';
vi.mock('server-only', () => ({}));
import { readNifti } from '@/lib/formats/nifti';
import { waitForJob } from '@/server/jobs/registry';
import { createVolumeStudyFromUpload } from '@/server/services/studies';
import { INTERRUPTED, getRun, listRuns, recoverInterruptedRuns, startSegmentCells } from '@/server/services/runs';
import { instancesToCsv, listInstances, setReview } from '@/server/services/instances';
import { nucleiNifti, sqliteEnv, type TestEnv } from './helpers';

let env: TestEnv;
beforeEach(async () => {
  env = await sqliteEnv();
});
afterEach(async () => {
  await env.cleanup();
});

describe('segmentCells run (server, in-process)', () => {
  it('runs end to end: Run succeeded, Instances stored, label asset reads back with the same count', async () => {
    const { bytes, trueCount } = nucleiNifti();
    const { studyId } = await createVolumeStudyFromUpload(env, bytes, { filename: 'nuclei.nii.gz' });
    const { runId } = await startSegmentCells(env, { studyId, params: { smooth: 0.5, minSize: 10 } });
    const queued = await getRun(env, runId);
    expect(['queued', 'running']).toContain(queued.status);
    expect(queued).toMatchObject({ studyId, pipeline: 'classical-cells', location: 'server', runner: 'tessera', device: 'cpu' });

    await waitForJob(runId);
    const run = await getRun(env, runId);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'succeeded', stage: 'done', progress: 1 });
    expect(run.instanceCount).toBeGreaterThan(0);
    expect(Math.abs(run.instanceCount! - trueCount)).toBeLessThanOrEqual(Math.max(3, trueCount * 0.5));
    expect(run.timings).toMatchObject({ smooth: expect.any(Number), watershed: expect.any(Number), totalMs: expect.any(Number) });
    expect(run.params).toMatchObject({ smooth: 0.5, minSize: 10, threshold: expect.any(Number) });
    expect(run.startedAt && run.finishedAt && run.startedAt <= run.finishedAt).toBe(true);

    const rows = await listInstances(env, runId);
    expect(rows).toHaveLength(run.instanceCount!);
    expect(rows.map((r) => r.labelId)).toEqual(rows.map((_, i) => i + 1));
    for (const r of rows) {
      expect(r.voxels).toBeGreaterThanOrEqual(10);
      expect(r.review).toBe('proposed');
      for (let a = 0; a < 3; a++) {
        expect(r.bboxMin[a]).toBeLessThanOrEqual(r.centroid[a]);
        expect(r.centroid[a]).toBeLessThanOrEqual(r.bboxMax[a]);
      }
    }

    const labelAsset = await env.db.asset.findUniqueOrThrow({ where: { id: run.labelAssetId! } });
    expect(labelAsset).toMatchObject({ role: 'labels', runId, mediaType: 'application/gzip' });
    const labels = readNifti(await env.blobs.get(labelAsset.sha256));
    expect(labels.volume.shape).toEqual([48, 48, 24]);
    const ids = new Set<number>();
    for (const v of labels.volume.data) if (v > 0) ids.add(v);
    expect(ids.size).toBe(run.instanceCount);
    let voxelsOf1 = 0;
    for (const v of labels.volume.data) if (v === 1) voxelsOf1++;
    expect(voxelsOf1).toBe(rows[0].voxels);

    const updated = await setReview(env, { id: rows[0].id, review: 'accepted' });
    expect(updated.review).toBe('accepted');
    const csv = instancesToCsv(await listInstances(env, runId)).trim().split('\n');
    expect(csv[0].startsWith('label_id,class_name,score,voxels,volume,centroid_x,centroid_y,centroid_z')).toBe(true);
    expect(csv).toHaveLength(rows.length + 1);
    expect(csv[1].split(',')[0]).toBe('1');
    expect(csv[1].endsWith(',accepted')).toBe(true);
    expect((await listRuns(env, studyId)).map((r) => r.id)).toEqual([runId]);
  });

  it('marks the run failed with the message when the input cannot be read', async () => {
    const { bytes } = nucleiNifti([16, 16, 8]);
    const { studyId } = await createVolumeStudyFromUpload(env, bytes, { filename: 'n.nii.gz' });
    const original = await env.db.asset.findFirstOrThrow({ where: { studyId } });
    await env.blobs.delete(original.sha256);
    const { runId } = await startSegmentCells(env, { studyId });
    await waitForJob(runId);
    const run = await getRun(env, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/missing from the blob store/);
    expect(run.finishedAt).not.toBeNull();
    expect(await env.db.instance.count()).toBe(0);
  });

  it('rejects unknown studies and invalid parameters before creating a run', async () => {
    await expect(startSegmentCells(env, { studyId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { studyId } = await createVolumeStudyFromUpload(env, nucleiNifti([16, 16, 8]).bytes, { filename: 'n.nii.gz' });
    await expect(startSegmentCells(env, { studyId, params: { smooth: -1 } })).rejects.toThrow();
    expect(await env.db.run.count()).toBe(0);
  });
});

describe('crash recovery', () => {
  it("marks server runs left 'running'/'queued' failed and leaves the rest alone", async () => {
    const { studyId } = await createVolumeStudyFromUpload(env, nucleiNifti([16, 16, 8]).bytes, { filename: 'n.nii.gz' });
    const mk = (status: string, location = 'server') =>
      env.db.run.create({
        data: { studyId, pipeline: 'classical-cells', version: '1', params: {}, location, runner: 'tessera', device: 'cpu', status },
      });
    const running = await mk('running');
    const queued = await mk('queued');
    const done = await mk('succeeded');
    const browser = await mk('running', 'browser');
    expect(await recoverInterruptedRuns(env)).toBe(2);
    for (const r of [running, queued]) {
      expect(await getRun(env, r.id)).toMatchObject({ status: 'failed', error: INTERRUPTED });
    }
    expect((await getRun(env, done.id)).status).toBe('succeeded');
    expect((await getRun(env, browser.id)).status).toBe('running');
    expect(await recoverInterruptedRuns(env)).toBe(0);
  });
});
