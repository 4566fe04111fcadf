/** Runs: start a server-side segmentation, read status, list a study's runs, recover after a crash. */
import { SegmentCellsParams } from './params';
import type { ServiceDeps } from './deps';
import { notFound } from './errors';
import { getOriginalAsset } from './studies';
import { toRunSummary, type RunSummary } from './serialize';
import { track } from '../jobs/registry';
import { runSegmentCellsJob, type DeviceRequest } from '../jobs/segment-cells';
import { createBrowserRun, expireStaleBrowserRuns } from './browser-runs';

export { SegmentCellsParams };
export { CLASSICAL_PIPELINE, CLASSICAL_VERSION } from './browser-runs';
import { CLASSICAL_PIPELINE, CLASSICAL_VERSION } from './browser-runs';


export type { DeviceRequest };

/**
 * Creates a Run. `location: 'server'` (default): queued and started in this process on `device`
 * ('auto' = Dawn when the server has a WebGPU adapter, else CPU; 'gpu' fails the Run when there is
 * none; 'cpu'). `location: 'browser'`: the same as `createBrowserRun` — the caller computes and
 * posts the result to /api/runs/:id/result. Resolves once the Run row exists.
 */
export async function startSegmentCells(
  deps: ServiceDeps,
  input: { studyId: string; params?: SegmentCellsParams; device?: DeviceRequest; location?: 'server' | 'browser' },
): Promise<{ runId: string }> {
  const device: DeviceRequest = input.device ?? 'auto';
  if (input.location === 'browser') {
    return createBrowserRun(deps, { studyId: input.studyId, params: input.params, device: device === 'cpu' ? 'cpu' : 'webgpu' });
  }
  const params = SegmentCellsParams.parse(input.params ?? {});
  await getOriginalAsset(deps, input.studyId, 'volume'); // NOT_FOUND before any Run exists
  const run = await deps.db.run.create({
    data: {
      studyId: input.studyId,
      pipeline: CLASSICAL_PIPELINE,
      version: CLASSICAL_VERSION,
      params,
      location: 'server',
      runner: 'tessera',
      // What it will most likely use; the job records the device (and adapter) it actually used.
      device: device === 'gpu' ? 'webgpu' : 'cpu',
      status: 'queued',
      stage: 'queued',
      progress: 0,
    },
    select: { id: true },
  });
  track(run.id, runSegmentCellsJob(deps, run.id, { device }));
  return { runId: run.id };
}

export async function getRun(deps: ServiceDeps, id: string): Promise<RunSummary> {
  await expireStaleBrowserRuns(deps, { id });
  const r = await deps.db.run.findUnique({ where: { id } });
  if (!r) throw notFound('run', id);
  return toRunSummary(r);
}

export async function listRuns(deps: ServiceDeps, studyId: string): Promise<RunSummary[]> {
  const s = await deps.db.study.findUnique({ where: { id: studyId }, select: { id: true } });
  if (!s) throw notFound('study', studyId);
  await expireStaleBrowserRuns(deps, { studyId });
  const rows = await deps.db.run.findMany({ where: { studyId }, orderBy: { createdAt: 'desc' } });
  return rows.map(toRunSummary);
}

export const INTERRUPTED = 'interrupted by server restart';

/**
 * Server-side runs left 'queued'/'running' by a previous process can never finish: mark them failed.
 * Call once at start-up, before any job starts. Browser runs are left alone (their client reports).
 */
export async function recoverInterruptedRuns(deps: Pick<ServiceDeps, 'db'>): Promise<number> {
  const r = await deps.db.run.updateMany({
    where: { status: { in: ['queued', 'running'] }, location: 'server' },
    data: { status: 'failed', error: INTERRUPTED, finishedAt: new Date() },
  });
  return r.count;
}

/** The label asset of a finished run (for download). */
export async function getLabelAsset(deps: ServiceDeps, runId: string) {
  const run = await deps.db.run.findUnique({ where: { id: runId }, select: { labelAssetId: true, status: true } });
  if (!run) throw notFound('run', runId);
  const asset = run.labelAssetId ? await deps.db.asset.findUnique({ where: { id: run.labelAssetId } }) : null;
  if (!asset) throw notFound('labels of run', runId);
  return asset;
}
