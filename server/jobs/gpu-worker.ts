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
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { TesseraError, type ErrorCode } from '@/lib/errors';
import type { ClassicalParams, PipelineStage, SegmentResult } from '@/lib/segmentation';
import type { Volume } from '@/lib/volume';
import { ensureVulkanIcd } from '../gpu/vulkan';

export interface GpuJobResult extends SegmentResult {
  device: { kind: 'webgpu'; adapter: string };
}

/** No usable adapter: thrown before any work ran (the only case 'auto' falls back to the CPU). */
export class GpuAcquireError extends TesseraError {
  readonly acquire = true;
}

interface WireError {
  code?: ErrorCode;
  message: string;
  where?: string;
  hint?: string;
}
type Msg =
  | { type: 'device'; id: number; adapter: string }
  | { type: 'progress'; id: number; stage: PipelineStage; fraction: number }
  | { type: 'result'; id: number; result: GpuJobResult }
  | { type: 'error'; id: number; phase: 'acquire' | 'run'; error: WireError };

interface Pending {
  resolve: (r: GpuJobResult) => void;
  reject: (e: unknown) => void;
  onProgress: (stage: PipelineStage, fraction: number) => void;
  onDevice?: (adapter: string) => void;
}

const g = globalThis as unknown as {
  __tesseraGpuWorker?: { worker: Worker; pending: Map<number, Pending>; nextId: number } | null;
};

function projectRoot(): string {
  return process.env.TESSERA_ROOT ?? process.cwd();
}

function workerThreads(): typeof import('node:worker_threads') {
  return process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
}

function toError(err: WireError, acquire: boolean): Error {
  if (acquire) {
    return new GpuAcquireError('GPU_UNAVAILABLE', `no WebGPU adapter on the server: ${err.message}`, {
      where: err.where ?? 'server GPU (Dawn)',
      hint: err.hint ?? `Install a Vulkan driver Dawn accepts and check VK_ICD_FILENAMES (now ${process.env.VK_ICD_FILENAMES ?? 'unset'}).`,
    });
  }
  return err.code ? new TesseraError(err.code, err.message, { where: err.where, hint: err.hint }) : new Error(err.message);
}

function getWorker() {
  if (g.__tesseraGpuWorker) return g.__tesseraGpuWorker;
  ensureVulkanIcd(); // before Dawn loads anywhere in this process
  const root = projectRoot();
  const { Worker: WorkerThread } = workerThreads();
  const worker = new WorkerThread(path.join(root, 'server/jobs/workers/gpu-segment.worker.mjs'), {
    workerData: {
      tsconfig: path.join(root, 'tsconfig.json'),
      nodeGpuModule: path.join(root, 'gpu-kernels/runtime/node-gpu.ts'),
      pipelineModule: path.join(root, 'gpu-kernels/pipeline/pipeline.ts'),
    },
  });
  const state = { worker, pending: new Map<number, Pending>(), nextId: 1 };
  worker.unref(); // an idle GPU worker never keeps the process alive
  const fail = (e: unknown) => {
    if (g.__tesseraGpuWorker === state) g.__tesseraGpuWorker = null;
    for (const p of state.pending.values()) p.reject(e);
    state.pending.clear();
  };
  worker.on('message', (m: Msg) => {
    const p = state.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') p.onProgress(m.stage, m.fraction);
    else if (m.type === 'device') p.onDevice?.(m.adapter);
    else {
      state.pending.delete(m.id);
      if (state.pending.size === 0) worker.unref();
      if (m.type === 'result') p.resolve(m.result);
      else p.reject(toError(m.error, m.phase === 'acquire'));
    }
  });
  worker.on('error', (e) => fail(e));
  worker.on('exit', (code) => fail(new Error(`GPU segmentation worker exited with code ${code}`)));
  g.__tesseraGpuWorker = state;
  return state;
}

/** Runs `segmentCellsGpu` on the server's Dawn device (in the GPU worker thread). */
export function segmentCellsOnGpu(
  volume: Volume,
  params: ClassicalParams,
  onProgress: (stage: PipelineStage, fraction: number) => void,
  onDevice?: (adapter: string) => void,
): Promise<GpuJobResult> {
  const state = getWorker();
  const id = state.nextId++;
  return new Promise<GpuJobResult>((resolve, reject) => {
    state.pending.set(id, { resolve, reject, onProgress, onDevice });
    state.worker.ref(); // keep the process alive while a job is in flight
    state.worker.postMessage({ type: 'job', id, volume, params });
  });
}

/** Stops the GPU worker (tests, graceful shutdown). Pending jobs reject. */
export async function stopGpuWorker(): Promise<void> {
  const s = g.__tesseraGpuWorker;
  if (!s) return;
  g.__tesseraGpuWorker = null;
  await s.worker.terminate();
}
