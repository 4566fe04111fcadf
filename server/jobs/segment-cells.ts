/**
 * The server-side classical segmentation job: original NIfTI → segmentCells (CPU worker thread) or
 * segmentCellsGpu (Dawn, GPU worker thread) → label NIfTI asset + Instance rows → Run succeeded
 * (or failed with the message). `storeSegmentResult` is shared with browser runs, whose results
 * arrive through POST /api/runs/:id/result.
 */
import { readNifti } from '@/lib/formats/nifti';
import type { ClassicalParams, InstanceStats, SegmentResult } from '@/lib/segmentation';
import type { LabelVolume } from '@/lib/volume';
import type { NiftiHeader } from '@/lib/formats/nifti';
import { segmentCellsInWorker } from './run-in-worker';
import { GpuAcquireError, segmentCellsOnGpu } from './gpu-worker';
import type { ServiceDeps } from '../services/deps';
import { SegmentCellsParams } from '../services/params';
import { errorMessage } from '../services/errors';
import { ProgressWriter } from './progress';
import { failRun, storeRunResult } from './run-result';

/** Where a server run may compute: 'auto' = Dawn when an adapter exists, else CPU. */
export type DeviceRequest = 'auto' | 'cpu' | 'gpu';

/** API parameter names (runs.segmentCells) → the pipeline's. */
export function toClassicalParams(p: SegmentCellsParams): ClassicalParams {
  return {
    smoothSigma: p.smooth,
    minDistance: p.minDistance,
    threshold: p.threshold,
    minVoxels: p.minSize,
    excludeBorder: p.excludeBorder,
    connectivity: p.connectivity,
  };
}

/** Yields to the event loop so the request that queued the job can answer first. */
const yieldOnce = () => new Promise<void>((r) => setImmediate(r));

export interface StoreResultInput {
  labels: LabelVolume;
  /** The original image's header: the label NIfTI gets its grid, affine and units. */
  header: NiftiHeader;
  originalFilename: string;
  instances: InstanceStats[];
  timings: Record<string, number>;
  /** Extra fields merged into the Run's params (resolved params, threshold, seedCount, …). */
  params: Record<string, unknown>;
  device: 'webgpu' | 'cpu';
  adapter: string | null;
}

/**
 * Writes the label NIfTI blob, the labels Asset, the Instances and marks the Run succeeded, all in
 * one transaction (the blob is collected again if the transaction fails).
 */
export async function storeSegmentResult(deps: ServiceDeps, runId: string, r: StoreResultInput): Promise<void> {
  const base = r.originalFilename.replace(/\.nii(\.gz)?$/i, '');
  await storeRunResult(deps, runId, {
    labels: r.labels,
    header: r.header,
    filename: `${base}_labels.nii.gz`,
    instances: r.instances,
    runner: 'tessera',
    device: r.device,
    adapter: r.adapter,
    timings: r.timings,
    params: r.params,
  });
}

/** The result's own fields stored in the Run's params. */
function resultParams(result: SegmentResult): Record<string, unknown> {
  return { resolved: { ...result.params }, threshold: result.threshold, seedCount: result.seedCount };
}

export async function runSegmentCellsJob(deps: ServiceDeps, runId: string, opts: { device?: DeviceRequest } = {}): Promise<void> {
  const { db, blobs } = deps;
  const requested: DeviceRequest = opts.device ?? 'auto';
  try {
    await yieldOnce();
    const run = await db.run.update({
      where: { id: runId },
      data: { status: 'running', stage: 'loading', progress: 0, startedAt: new Date() },
    });
    const original = await db.asset.findFirst({ where: { studyId: run.studyId, role: 'original' }, orderBy: { createdAt: 'asc' } });
    if (!original) throw new Error(`study ${run.studyId} has no original asset`);
    const img = readNifti(await blobs.get(original.sha256), original.filename);

    const progress = new ProgressWriter(async (stage, p) => {
      await db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage, progress: p } });
    });
    const params = toClassicalParams(SegmentCellsParams.parse(run.params ?? {}));
    progress.report('segmenting', 0.01);
    await yieldOnce();
    const t0 = performance.now();
    const onProgress = (stage: string, fraction: number) => progress.report(stage, fraction);
    let result: SegmentResult | null = null;
    let device: 'webgpu' | 'cpu' = 'cpu';
    let adapter: string | null = null;
    let gpuFallback: string | undefined;
    if (requested !== 'cpu') {
      try {
        // The work runs in the long-lived GPU worker thread (Dawn); the device is acquired there.
        const r = await segmentCellsOnGpu(img.volume, params, onProgress, (name) => {
          void db.run.updateMany({ where: { id: runId }, data: { device: 'webgpu', adapter: name } }).catch(() => undefined);
        });
        result = r;
        device = 'webgpu';
        adapter = r.device.adapter;
      } catch (e) {
        if (!(e instanceof GpuAcquireError)) throw e;
        if (requested === 'gpu') {
          throw new GpuAcquireError('GPU_UNAVAILABLE', `device 'gpu' was requested but ${e.message}`, {
            where: e.where,
            hint: `${e.hint ?? ''} Runs with device 'gpu' never fall back to the CPU; use device 'auto' or 'cpu'.`.trim(),
          });
        }
        gpuFallback = errorMessage(e); // 'auto' without an adapter: the CPU twin
        await db.run.updateMany({ where: { id: runId }, data: { device: 'cpu', adapter: null } });
      }
    }
    // CPU work runs in a worker thread: the server keeps answering and stage updates land live.
    result ??= await segmentCellsInWorker(img.volume, params, onProgress);
    const segmentMs = performance.now() - t0;
    await progress.close();

    await db.run.update({ where: { id: runId }, data: { stage: 'saving', progress: 0.98 } });
    await storeSegmentResult(deps, runId, {
      labels: result.labels,
      header: img.header,
      originalFilename: original.filename,
      instances: result.instances,
      timings: { ...result.timings, totalMs: segmentMs },
      params: { ...resultParams(result), deviceRequested: requested, ...(gpuFallback ? { gpuFallback } : {}) },
      device,
      adapter,
    });
  } catch (e) {
    // The run may have been deleted meanwhile (study deleted): updateMany then touches nothing.
    await failRun(deps, runId, e);
  }
}
