/**
 * Server-side GPU segmentation: one long-lived worker thread per server process
 * (`workers/gpu-segment.worker.mjs`) holds the Dawn GPU and the device, so the server keeps
 * answering while a run computes and the device (pipelines, buffer pool) is reused across runs.
 * Jobs are queued in the worker and run one at a time.
 *
 * `segmentCellsOnGpu` rejects with a `GpuUnavailableError` (code GPU_UNAVAILABLE, `acquire: true`)
 * when there is no adapter — the caller decides whether that falls back to the CPU ('auto') or fails
 * the run ('gpu'). Any other failure (shader, device lost, limits) rejects with its typed error.
 */
import { TesseraError } from '@/lib/errors';
import type { ClassicalParams, PipelineStage, SegmentResult } from '@/lib/segmentation';
import type { Volume } from '@/lib/volume';
import { ensureVulkanIcd } from '../gpu/vulkan';
import { JobWorker, fromWireError, type PendingJob, type WireError } from './job-worker';

export interface GpuJobResult extends SegmentResult {
  device: { kind: 'webgpu'; adapter: string };
}

/** No usable adapter: thrown before any work ran (the only case 'auto' falls back to the CPU). */
export class GpuAcquireError extends TesseraError {
  readonly acquire = true;
}

type Msg =
  | { type: 'device'; id: number; adapter: string }
  | { type: 'progress'; id: number; stage: PipelineStage; fraction: number }
  | { type: 'result'; id: number; result: GpuJobResult }
  | { type: 'error'; id: number; phase: 'acquire' | 'run'; error: WireError };

interface Pending extends PendingJob<GpuJobResult> {
  onProgress: (stage: PipelineStage, fraction: number) => void;
  onDevice?: (adapter: string) => void;
}

function toError(err: WireError, acquire: boolean): Error {
  if (acquire) {
    return new GpuAcquireError('GPU_UNAVAILABLE', `no WebGPU adapter on the server: ${err.message}`, {
      where: err.where ?? 'server GPU (Dawn)',
      hint: err.hint ?? `Install a Vulkan driver Dawn accepts and check VK_ICD_FILENAMES (now ${process.env.VK_ICD_FILENAMES ?? 'unset'}).`,
    });
  }
  return fromWireError(err);
}

const gpuWorker = new JobWorker<GpuJobResult, Msg, Pending>({
  key: '__tesseraGpuWorker',
  script: 'server/jobs/workers/gpu-segment.worker.mjs',
  modules: { nodeGpuModule: 'gpu-kernels/runtime/node-gpu.ts', pipelineModule: 'gpu-kernels/pipeline/pipeline.ts' },
  name: 'GPU segmentation worker',
  beforeStart: ensureVulkanIcd, // before Dawn loads anywhere in this process
  onMessage: (m, p) => {
    if (m.type === 'progress') p.onProgress(m.stage, m.fraction);
    else if (m.type === 'device') p.onDevice?.(m.adapter);
    else if (m.type === 'result') return { result: m.result };
    else return { error: toError(m.error, m.phase === 'acquire') };
    return undefined;
  },
});

/** Runs `segmentCellsGpu` on the server's Dawn device (in the GPU worker thread). */
export function segmentCellsOnGpu(
  volume: Volume,
  params: ClassicalParams,
  onProgress: (stage: PipelineStage, fraction: number) => void,
  onDevice?: (adapter: string) => void,
): Promise<GpuJobResult> {
  return gpuWorker.run({ volume, params }, { onProgress, onDevice });
}

/** Stops the GPU worker (tests, graceful shutdown). Pending jobs reject. */
export function stopGpuWorker(): Promise<void> {
  return gpuWorker.stop();
}
