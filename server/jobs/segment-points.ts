/**
 * The server-side PointNet++ instance job on a point-cloud study: the study's original cloud →
 * `segmentPoints` (CPU twins) or `segmentPointsGpu` (Dawn) with the committed model
 * (models/pointnet-scenes) → `storePointCloudRunResult` (labelled PLY asset + Instance rows with
 * scores, Run succeeded) — or the Run failed with the message. Runs in-process (the CPU twin blocks
 * the event loop for the duration of one run, ~1 s for a 300k-point scan); the GPU path holds one
 * Dawn device per process, acquired on first use.
 */
import 'server-only';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FormatError, TesseraError, isTesseraError } from '@/lib/errors';
import { segmentPoints, type PointNetModel, type PointSegmentation } from '@/lib/pointnet/model';
import { loadPointNetModel } from '@/gpu-kernels/pointnet/model/load';
import type { GpuContext } from '@/gpu-kernels/runtime';
import { ensureVulkanIcd } from '../gpu/vulkan';
import type { ServiceDeps } from '../services/deps';
import { createPointCloudRun, loadStudyCloud, storePointCloudRunResult } from '../services/pointclouds';
import { failRun } from './run-result';
import { track } from './registry';

export const POINTNET_PIPELINE = 'pointnet2-instances';

export const SegmentPointsInput = z.object({
  studyId: z.string().min(1).max(64),
  /** 'auto' = Dawn when the server has an adapter, else the CPU twins; 'gpu' fails without one. */
  device: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
});
export type SegmentPointsInput = z.input<typeof SegmentPointsInput>;

function projectRoot(): string {
  return process.env.TESSERA_ROOT ?? process.cwd();
}

let modelPromise: Promise<PointNetModel> | null = null;

/** The committed model (card + ONNX, sha256-checked), loaded once per process. */
export function serverPointNetModel(dir = path.join(projectRoot(), 'models/pointnet-scenes')): Promise<PointNetModel> {
  modelPromise ??= (async () => {
    const card = JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8')) as { weights: string; files?: Record<string, { sha256: string }> };
    const bytes = new Uint8Array(readFileSync(path.join(dir, card.weights)));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const want = card.files?.[card.weights]?.sha256;
    if (want && want !== sha) throw new FormatError(`model weights sha256 ${sha} differs from the card's ${want}`, { where: path.join(dir, card.weights) });
    return loadPointNetModel(card, bytes);
  })().catch((e) => {
    modelPromise = null;
    throw e;
  });
  return modelPromise;
}

let gpuPromise: Promise<GpuContext> | null = null;
function serverGpu(): Promise<GpuContext> {
  gpuPromise ??= (async () => {
    ensureVulkanIcd();
    const { acquireNodeDevice } = await import('@/gpu-kernels/runtime/node-gpu');
    return acquireNodeDevice({ label: 'tessera-server-pointnet' });
  })().catch((e) => {
    gpuPromise = null;
    throw e;
  });
  return gpuPromise;
}

/** Creates the Run and starts the job; resolves with the Run id at once. */
export async function startSegmentPoints(deps: ServiceDeps, input: SegmentPointsInput): Promise<{ runId: string }> {
  const p = SegmentPointsInput.parse(input);
  const model = await serverPointNetModel();
  const { runId } = await createPointCloudRun(deps, {
    studyId: p.studyId,
    pipeline: POINTNET_PIPELINE,
    version: model.card.name,
    location: 'server',
    runner: 'tessera',
    device: p.device === 'gpu' ? 'webgpu' : 'cpu',
    params: { model: model.card.name, deviceRequested: p.device, clustering: model.card.clustering },
  });
  track(runId, runSegmentPointsJob(deps, runId, p.studyId, p.device, model));
  return { runId };
}

const yieldOnce = () => new Promise<void>((r) => setImmediate(r));

export async function runSegmentPointsJob(deps: ServiceDeps, runId: string, studyId: string, device: 'auto' | 'cpu' | 'gpu', model: PointNetModel): Promise<void> {
  try {
    await yieldOnce();
    const { cloud } = await loadStudyCloud(deps, studyId);
    await deps.db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage: 'segmenting', progress: 0.05 } });
    await yieldOnce();
    let result: PointSegmentation | null = null;
    let used: 'webgpu' | 'cpu' = 'cpu';
    let adapter: string | null = null;
    if (device !== 'cpu') {
      let ctx: GpuContext | null = null;
      try {
        ctx = await serverGpu();
      } catch (e) {
        if (device === 'gpu' || !(isTesseraError(e) && e.code === 'GPU_UNAVAILABLE')) {
          throw isTesseraError(e) && e.code === 'GPU_UNAVAILABLE'
            ? new TesseraError('GPU_UNAVAILABLE', `device 'gpu' was requested but ${e.message}`, { where: e.where, hint: "Runs with device 'gpu' never fall back to the CPU; use device 'auto' or 'cpu'." })
            : e;
        }
        // 'auto' without an adapter: the CPU twins
      }
      if (ctx) {
        const { segmentPointsGpu } = await import('@/gpu-kernels/pointnet/model/segment-gpu');
        result = await segmentPointsGpu(ctx, cloud, model);
        used = 'webgpu';
        adapter = ctx.adapterInfo.name;
      }
    }
    result ??= segmentPoints(cloud, model);
    await deps.db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage: 'saving', progress: 0.95 } });
    const scores: Record<number, number> = {};
    for (const inst of result.instances) scores[inst.id] = inst.score;
    await storePointCloudRunResult(deps, runId, {
      instance: result.instance,
      classIds: result.classIds,
      classNames: result.classNames,
      scores,
      device: used,
      adapter,
      timings: result.timings,
    });
  } catch (e) {
    await failRun(deps, runId, e);
  }
}
