/**
 * "Run on: Browser": the classical pipeline computed in this page — segmentCellsGpu on
 * navigator.gpu (gpu-kernels), or the CPU twin segmentCells only when the browser has no WebGPU
 * adapter — and the result posted to the server, which validates and stores it.
 *
 *   runs.createBrowserRun → GET /api/studies/:id/volume → readNifti → segment (stage progress to
 *   runs.reportProgress) → writeLabelNifti → POST /api/runs/:id/result (multipart: labels + JSON)
 *
 * Browser-safe: imports only lib/ and the browser-safe gpu-kernels modules (never node-gpu).
 */
import { acquireDevice, type GpuContext } from '@/gpu-kernels/runtime';
import { segmentCellsGpu } from '@/gpu-kernels/pipeline/pipeline';
import { readNifti, writeLabelNifti } from '@/lib/formats/nifti';
import { segmentCells, type ClassicalParams, type SegmentResult } from '@/lib/segmentation/pipeline';
import { withBrowserRunSession, type BrowserRunReportApi } from './browser-run-session';

export type ApiParams = { smooth?: number; minDistance?: number; threshold?: number | 'otsu'; minSize?: number };

/** API parameter names → the pipeline's (as server/jobs/segment-cells.ts toClassicalParams). */
export function toClassicalParams(p: ApiParams): ClassicalParams {
  return { smoothSigma: p.smooth, minDistance: p.minDistance, threshold: p.threshold, minVoxels: p.minSize };
}

let ctxPromise: Promise<GpuContext | null> | null = null;

/** The page's WebGPU device (acquired once), or null when navigator.gpu gives no adapter/device. */
export function browserGpu(): Promise<GpuContext | null> {
  ctxPromise ??= (async () => {
    if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) return null;
    try {
      const ctx = await acquireDevice({ label: 'tessera-browser' });
      ctx.device.lost.then(() => {
        ctxPromise = null; // a lost device is re-acquired by the next run
      });
      return ctx;
    } catch {
      return null;
    }
  })();
  return ctxPromise;
}

export interface BrowserRunApi extends BrowserRunReportApi {
  createBrowserRun: (input: { studyId: string; params?: ApiParams; device: 'webgpu' | 'cpu'; adapter: string | null }) => Promise<{ runId: string }>;
}

export interface BrowserRunOptions {
  studyId: string;
  params?: ApiParams;
  api: BrowserRunApi;
  /** Called once the Run exists (the page then follows it like a server run). */
  onRun?: (runId: string, device: 'webgpu' | 'cpu', adapter: string | null) => void;
  onStage?: (stage: string, progress: number) => void;
}

/** Runs the pipeline in the page and uploads the result. Resolves with the run id when stored. */
export async function runInBrowser(o: BrowserRunOptions): Promise<{ runId: string; device: 'webgpu' | 'cpu'; adapter: string | null }> {
  const ctx = await browserGpu();
  const device = ctx ? 'webgpu' : 'cpu';
  const adapter = ctx ? ctx.adapterInfo.name || 'unknown adapter' : null;
  const { runId } = await o.api.createBrowserRun({ studyId: o.studyId, ...(o.params ? { params: o.params } : {}), device, adapter });
  o.onRun?.(runId, device, adapter);

  return withBrowserRunSession({ runId, api: o.api, idleStage: 'segmenting', onReport: o.onStage }, async ({ report, upload }) => {
    const t0 = performance.now();
    report('loading', 0.01, true);
    const res = await fetch(`/api/studies/${encodeURIComponent(o.studyId)}/volume`);
    if (!res.ok) throw new Error(`could not download the volume: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const downloadMs = performance.now() - t0;
    const t1 = performance.now();
    const img = readNifti(bytes, 'volume');
    const readMs = performance.now() - t1;

    const params = toClassicalParams(o.params ?? {});
    const onProgress = (stage: string, fraction: number) => report(stage, 0.05 + 0.85 * fraction);
    const t2 = performance.now();
    let result: SegmentResult;
    if (ctx) {
      result = await segmentCellsGpu(ctx, img.volume, params, onProgress);
    } else {
      await new Promise((r) => setTimeout(r, 0));
      result = segmentCells(img.volume, params, onProgress);
    }
    const totalMs = performance.now() - t2;

    report('uploading', 0.95, true);
    const t3 = performance.now();
    const labels = writeLabelNifti(result.labels, img.header, { gzip: true });
    const writeMs = performance.now() - t3;
    await upload(labels, {
      device,
      adapter,
      instances: result.instances,
      timings: { ...result.timings, totalMs, downloadMs, readMs, writeMs },
      threshold: result.threshold,
      seedCount: result.seedCount,
      resolved: { ...result.params },
    });
    return { runId, device, adapter };
  });
}
