/**
 * "Segment" on "Browser" for a point-cloud study: the PointNet++ instance model computed in this
 * page — `segmentPointsGpu` (gpu-kernels/pointnet/model) on navigator.gpu, or the CPU twin
 * `segmentPoints` (lib/pointnet/model) only when the browser has no WebGPU adapter — and the result
 * posted to the server, which checks and stores it.
 *
 *   pointclouds.model (URLs + sha256) → pointclouds.createBrowserRun (device, adapter recorded)
 *   → GET the card + weights (/api/pointnet-models/…) and the study's original file
 *     (/api/studies/:id/volume) → loadPointNetModel + readPointCloud → segment (stage progress to
 *     runs.reportProgress) → encodePointResult ("TPR1") → POST /api/runs/:id/point-result
 *
 * Browser-safe: imports lib/ and the browser-safe gpu-kernels modules only (never node-gpu).
 */
import { readPointCloud } from '@/lib/formats/pointcloud';
import { segmentPoints, type PointSegmentation } from '@/lib/pointnet/model/segment';
import { loadPointNetModel } from '@/gpu-kernels/pointnet/model/load';
import { segmentPointsGpu } from '@/gpu-kernels/pointnet/model/segment-gpu';
import { browserGpu } from './browser-run';
import { describeFailure, withBrowserRunSession, type BrowserRunReportApi } from './browser-run-session';
import { encodePointResult } from '@/lib/formats/pointcloud/result-format';

export interface PointNetModelInfo {
  name: string;
  weights: string;
  sha256: string;
  cardUrl: string;
  weightsUrl: string;
}

/** The tRPC calls the run makes (the page passes its client's procedures). */
export interface BrowserPointCloudRunApi extends BrowserRunReportApi {
  model: () => Promise<PointNetModelInfo>;
  createBrowserRun: (input: { studyId: string; device: 'webgpu' | 'cpu'; adapter: string | null }) => Promise<{ runId: string }>;
}

export type PointCloudRunPhase = 'loading' | 'preparing' | 'segmenting' | 'uploading';

export interface BrowserPointCloudRunOptions {
  studyId: string;
  /** The study's original file name (its extension picks the reader). */
  filename: string;
  api: BrowserPointCloudRunApi;
  onRun?: (run: BrowserPointCloudRunInfo) => void;
  onPhase?: (phase: PointCloudRunPhase) => void;
}

export interface BrowserPointCloudRunInfo {
  runId: string;
  device: 'webgpu' | 'cpu';
  adapter: string | null;
}

async function fetchBytes(url: string, what: string): Promise<{ bytes: Uint8Array; res: Response }> {
  const res = await fetch(url);
  if (!res.ok) {
    const j = (await res.json().catch(() => null)) as { error?: { message?: string; where?: string; hint?: string } } | null;
    throw new Error(`could not download the ${what}: HTTP ${res.status}${j?.error ? ` ${describeFailure(j.error)}` : ''}`);
  }
  return { bytes: new Uint8Array(await res.arrayBuffer()), res };
}

/** Hex sha256 of `bytes` (WebCrypto; null where the page is not a secure context). */
async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = typeof crypto !== 'undefined' ? crypto.subtle : undefined;
  if (!subtle) return null;
  const d = new Uint8Array(await subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Runs the model in the page and uploads the result. Resolves when the server stored it. */
export async function runPointCloudInBrowser(o: BrowserPointCloudRunOptions): Promise<BrowserPointCloudRunInfo> {
  o.onPhase?.('loading');
  const [ctx, model] = await Promise.all([browserGpu(), o.api.model()]);
  const device = ctx ? 'webgpu' : 'cpu';
  const adapter = ctx ? ctx.adapterInfo.name || 'unknown adapter' : null;
  const { runId } = await o.api.createBrowserRun({ studyId: o.studyId, device, adapter });
  const info: BrowserPointCloudRunInfo = { runId, device, adapter };
  o.onRun?.(info);

  return withBrowserRunSession({ runId, api: o.api, idleStage: 'segmenting' }, async ({ report }) => {
    const t0 = performance.now();
    report('loading', 0.02, true);
    const [card, weights, original] = await Promise.all([
      fetchBytes(model.cardUrl, 'model card'),
      fetchBytes(model.weightsUrl, 'model weights'),
      fetchBytes(`/api/studies/${encodeURIComponent(o.studyId)}/volume`, 'point cloud'),
    ]);
    const sha = (await sha256Hex(weights.bytes)) ?? weights.res.headers.get('x-content-sha256');
    if (sha !== model.sha256) throw new Error(`the downloaded weights have sha256 ${sha}, the server's model ${model.sha256}`);
    const downloadMs = performance.now() - t0;

    report('preparing', 0.1, true);
    o.onPhase?.('preparing');
    const t1 = performance.now();
    const pointNet = loadPointNetModel(JSON.parse(new TextDecoder().decode(card.bytes)), weights.bytes);
    const cloud = readPointCloud(original.bytes, o.filename);
    const readMs = performance.now() - t1;

    report('segmenting', 0.2, true);
    o.onPhase?.('segmenting');
    await new Promise((r) => setTimeout(r, 0)); // let the page paint the phase
    const t2 = performance.now();
    const seg: PointSegmentation = ctx ? await segmentPointsGpu(ctx, cloud, pointNet) : segmentPoints(cloud, pointNet);
    const segmentMs = performance.now() - t2;

    report('uploading', 0.9, true);
    o.onPhase?.('uploading');
    const k = seg.instances.length;
    const scores = new Float32Array(k);
    for (const inst of seg.instances) scores[inst.id - 1] = inst.score;
    const body = encodePointResult({
      instance: seg.instance,
      classIds: seg.classIds,
      instances: k,
      scores,
      meta: {
        runner: 'tessera',
        device,
        adapter,
        model: { name: pointNet.card.name, sha256: model.sha256 },
        timings: { ...seg.timings, downloadMs, readMs, segmentMs, totalMs: performance.now() - t0 },
      },
    });
    const up = await fetch(`/api/runs/${encodeURIComponent(runId)}/point-result`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: body as BodyInit });
    if (!up.ok) {
      const j = (await up.json().catch(() => null)) as { error?: { message?: string; where?: string; hint?: string } } | null;
      // The server has already marked the run failed with the reason.
      throw Object.assign(new Error(j?.error ? describeFailure(j.error) : `upload failed: HTTP ${up.status}`), { reported: true });
    }
    return info;
  });
}
