/**
 * Runs the classical pipeline in a worker thread so that a long run never blocks the server (the
 * UI polls the Run's stage and progress while it computes). The worker loads lib/ through tsx from
 * the project root, so the same sources run in the CLI, the tests and the server.
 */
import path from 'node:path';
import { TesseraError, type ErrorCode } from '@/lib/errors';
import type { ClassicalParams, PipelineStage, SegmentResult } from '@/lib/segmentation';
import type { Volume } from '@/lib/volume';

/** The project root: where package.json, lib/ and server/ live (Next runs from it). */
function projectRoot(): string {
  return process.env.TESSERA_ROOT ?? process.cwd();
}

/**
 * `worker_threads` through process.getBuiltinModule: a static `new Worker(path)` makes Turbopack try
 * to bundle the worker file (and tsx) at build time; this worker is a runtime file of the project.
 */
function workerThreads(): typeof import('node:worker_threads') {
  return process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
}

export function segmentCellsInWorker(
  volume: Volume,
  params: ClassicalParams,
  onProgress: (stage: PipelineStage, fraction: number) => void,
): Promise<SegmentResult> {
  const root = projectRoot();
  const entry = path.join(root, 'server/jobs/workers/segment-cells.worker.mjs');
  return new Promise((resolve, reject) => {
    const { Worker: WorkerThread } = workerThreads();
    const worker = new WorkerThread(entry, {
      workerData: {
        volume,
        params,
        tsconfig: path.join(root, 'tsconfig.json'),
        pipelineModule: path.join(root, 'lib/segmentation/index.ts'),
      },
    });
    let settled = false;
    worker.on('message', (m: { type: string; stage?: PipelineStage; fraction?: number; result?: SegmentResult; error?: { code?: ErrorCode; message: string; where?: string; hint?: string } }) => {
      if (m.type === 'progress' && m.stage) onProgress(m.stage, m.fraction ?? 0);
      else if (m.type === 'result' && m.result) {
        settled = true;
        resolve(m.result);
      } else if (m.type === 'error' && m.error) {
        settled = true;
        const err = m.error;
        reject(err.code ? new TesseraError(err.code, err.message, { where: err.where, hint: err.hint }) : new Error(err.message));
      }
    });
    worker.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`segmentation worker exited with code ${code}`));
      settled = true;
    });
  });
}
