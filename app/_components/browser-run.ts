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

export interface BrowserRunApi {
  createBrowserRun: (input: { studyId: string; params?: ApiParams; device: 'webgpu' | 'cpu'; adapter: string | null }) => Promise<{ runId: string }>;
  reportProgress: (input: { id: string; stage: string; progress: number }) => Promise<unknown>;
  failBrowserRun: (input: { id: string; error: string }) => Promise<unknown>;
}

export interface BrowserRunOptions {
  studyId: string;
  params?: ApiParams;
  api: BrowserRunApi;
  /** Called once the Run exists (the page then follows it like a server run). */
  onRun?: (runId: string, device: 'webgpu' | 'cpu', adapter: string | null) => void;
  onStage?: (stage: string, progress: number) => void;
}

function describe(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const t = e as { message: string; where?: string; hint?: string };
    return `${t.message}${t.where ? ` (${t.where})` : ''}${t.hint ? `. ${t.hint}` : ''}`;
  }
  return String(e);
}

/** Runs the pipeline in the page and uploads the result. Resolves with the run id when stored. */
export async function runInBrowser(o: BrowserRunOptions): Promise<{ runId: string; device: 'webgpu' | 'cpu'; adapter: string | null }> {
  const ctx = await browserGpu();
  const device = ctx ? 'webgpu' : 'cpu';
  const adapter = ctx ? ctx.adapterInfo.name || 'unknown adapter' : null;
  const { runId } = await o.api.createBrowserRun({ studyId: o.studyId, ...(o.params ? { params: o.params } : {}), device, adapter });
  o.onRun?.(runId, device, adapter);

  let lastStage = '';
  let lastProgress = 0;
  let lastSent = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const report = (stage: string, progress: number, force = false) => {
    o.onStage?.(stage, progress);
    lastProgress = progress;
    const now = Date.now();
    if (!force && stage === lastStage && now - lastSent < 500) return;
    lastStage = stage;
    lastSent = now;
    chain = chain.then(() => o.api.reportProgress({ id: runId, stage, progress: Math.min(1, Math.max(0, progress)) })).catch(() => undefined);
  };
  // Heartbeat: a browser run that stops reporting is marked abandoned by the server.
  const heartbeat = setInterval(() => report(lastStage || 'segmenting', lastProgress, true), 60_000);
  try {
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
    const body = new FormData();
    body.append('labels', new Blob([labels as BlobPart], { type: 'application/gzip' }), 'labels.nii.gz');
    body.append(
      'result',
      JSON.stringify({
        device,
        adapter,
        instances: result.instances,
        timings: { ...result.timings, totalMs, downloadMs, readMs, writeMs },
        threshold: result.threshold,
        seedCount: result.seedCount,
        resolved: { ...result.params },
      }),
    );
    await chain;
    const up = await fetch(`/api/runs/${encodeURIComponent(runId)}/result`, { method: 'POST', body });
    if (!up.ok) {
      const j = (await up.json().catch(() => null)) as { error?: { message?: string; where?: string; hint?: string } } | null;
      // The server has already marked the run failed with the reason.
      throw Object.assign(new Error(j?.error ? describe(j.error) : `upload failed: HTTP ${up.status}`), { reported: true });
    }
    return { runId, device, adapter };
  } catch (e) {
    if (!(e as { reported?: boolean }).reported) {
      await chain;
      await o.api.failBrowserRun({ id: runId, error: describe(e).slice(0, 1900) || 'unknown error' }).catch(() => undefined);
    }
    throw e;
  } finally {
    clearInterval(heartbeat);
  }
}
