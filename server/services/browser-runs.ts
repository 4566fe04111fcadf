/**
 * Browser runs: the page computes the segmentation (WebGPU via gpu-kernels, or the CPU twin when
 * the browser has no adapter) and the server only records it. Runs of a registered model
 * (pipeline 'model:<name>', runs.createBrowserModelRun) post a class map instead; their result is
 * checked and stored by server/services/model-runs.ts `submitBrowserModelResult`.
 *
 *   runs.createBrowserRun({ studyId, params })  → Run status 'running', location 'browser'
 *   runs.reportProgress({ id, stage, progress })  (stage/progress on the Run row; also a heartbeat)
 *   POST /api/runs/:id/result (multipart: `labels` = label NIfTI, `result` = JSON)  → succeeded
 *   runs.failBrowserRun({ id, error })            (the page gave up)
 *
 * The result is validated before anything is stored: the label NIfTI is re-read with readNifti
 * (same grid as the study), its labels must be 1..N, and the instances must be exactly those N
 * labels with their voxel counts, bounding boxes and centroids as recomputed here. A bad result
 * marks the Run failed with the reason and stores nothing. Browser runs that stop reporting for
 * `BROWSER_RUN_TTL_MS` are marked failed when read.
 */
import { z } from 'zod';
import { ArgumentError, TesseraError, isTesseraError } from '@/lib/errors';
import { readNifti } from '@/lib/formats/nifti';
import { instanceStats, type InstanceStats } from '@/lib/segmentation';
import type { LabelVolume, Vec3 } from '@/lib/volume';
import { failRun } from '../jobs/run-result';
import { storeSegmentResult } from '../jobs/segment-cells';
import { browserRunColumns, parseResultJson, readLabelsOnStudyGrid } from './browser-result';
import type { ServiceDeps } from './deps';
import { notFound } from './errors';
import { SegmentCellsParams } from './params';
import { getOriginalAsset } from './studies';
import { isModelPipeline, submitBrowserModelResult } from './model-runs';

export const CLASSICAL_PIPELINE = 'classical-cells';
export const CLASSICAL_VERSION = '1';

/** A browser run with no report for this long is considered abandoned (page closed, crash). */
export const BROWSER_RUN_TTL_MS = Number(process.env.TESSERA_BROWSER_RUN_TTL_MS ?? 15 * 60_000) || 15 * 60_000;
export const ABANDONED = 'browser run abandoned: the page stopped reporting progress';

export const BrowserDevice = z.enum(['webgpu', 'cpu']);
/** Classical stages, model-run stages ('preparing', 'inference', 'instances') and model tiles 'tile k/n'. */
export const BrowserStage = z.union([
  z.enum(['loading', 'segmenting', 'smooth', 'threshold', 'edt', 'seeds', 'watershed', 'relabel', 'stats', 'saving', 'uploading', 'preparing', 'inference', 'instances']),
  z.string().regex(/^tile \d{1,6}\/\d{1,6}$/, "stage must be a pipeline stage or 'tile k/n'"),
]);

export const CreateBrowserRunInput = z.object({
  studyId: z.string().min(1).max(64),
  params: SegmentCellsParams.optional(),
  /** What the page will use: 'webgpu' (navigator.gpu adapter) or 'cpu' (no adapter). */
  device: BrowserDevice.optional(),
  adapter: z.string().max(300).nullable().optional(),
});
export type CreateBrowserRunInput = z.infer<typeof CreateBrowserRunInput>;

export async function createBrowserRun(deps: ServiceDeps, input: CreateBrowserRunInput): Promise<{ runId: string }> {
  const params = SegmentCellsParams.parse(input.params ?? {});
  await getOriginalAsset(deps, input.studyId, 'volume'); // NOT_FOUND before any Run exists
  const device = input.device ?? 'webgpu';
  const run = await deps.db.run.create({
    data: {
      studyId: input.studyId,
      pipeline: CLASSICAL_PIPELINE,
      version: CLASSICAL_VERSION,
      params,
      ...browserRunColumns('tessera', device, input.adapter),
    },
    select: { id: true },
  });
  return { runId: run.id };
}

export const ReportProgressInput = z.object({
  id: z.string().min(1).max(64),
  stage: BrowserStage,
  progress: z.number().min(0).max(1),
});

/** Stage/progress of a running browser run; `{ ok: false }` once it is no longer running. */
export async function reportBrowserProgress(deps: Pick<ServiceDeps, 'db'>, input: z.infer<typeof ReportProgressInput>): Promise<{ ok: boolean }> {
  const r = await deps.db.run.updateMany({
    where: { id: input.id, location: 'browser', status: 'running' },
    data: { stage: input.stage, progress: input.progress },
  });
  return { ok: r.count > 0 };
}

export const FailBrowserRunInput = z.object({ id: z.string().min(1).max(64), error: z.string().min(1).max(2000) });

/** The page could not finish (no volume, GPU error, …): the run fails with its message. */
export async function failBrowserRun(deps: Pick<ServiceDeps, 'db'>, input: z.infer<typeof FailBrowserRunInput>): Promise<{ ok: boolean }> {
  const r = await deps.db.run.updateMany({
    where: { id: input.id, location: 'browser', status: 'running' },
    data: { status: 'failed', error: `browser: ${input.error}`.slice(0, 4000), finishedAt: new Date() },
  });
  return { ok: r.count > 0 };
}

/** Marks browser runs that stopped reporting as failed (called when runs are read). */
export async function expireStaleBrowserRuns(deps: Pick<ServiceDeps, 'db'>, where: { id?: string; studyId?: string }): Promise<void> {
  await deps.db.run.updateMany({
    where: { ...where, location: 'browser', status: 'running', updatedAt: { lt: new Date(Date.now() - BROWSER_RUN_TTL_MS) } },
    data: { status: 'failed', error: ABANDONED, finishedAt: new Date() },
  });
}

const finite = z.number().finite();
const Vec3Z = z.tuple([finite, finite, finite]);
const IntVec3Z = z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]);

/** The JSON part of POST /api/runs/:id/result. */
export const BrowserResult = z
  .object({
    device: BrowserDevice,
    adapter: z.string().min(1).max(300).nullable().optional(),
    instances: z
      .array(
        z.object({
          labelId: z.number().int().min(1),
          voxels: z.number().int().min(1),
          volume: finite.min(0),
          centroid: Vec3Z,
          centroidWorld: Vec3Z,
          bbox: z.object({ min: IntVec3Z, max: IntVec3Z }),
        }),
      )
      .max(5_000_000),
    timings: z.record(z.string().max(40), finite.min(0)),
    threshold: finite,
    seedCount: z.number().int().min(0),
    /** The pipeline's resolved parameters (stored as `params.resolved`). */
    resolved: z.record(z.string().max(40), z.unknown()).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.device === 'webgpu' && !r.adapter) ctx.addIssue({ code: 'custom', path: ['adapter'], message: "device 'webgpu' needs the adapter's name" });
  });
export type BrowserResult = z.infer<typeof BrowserResult>;

const bad = (message: string, where: string, hint = 'The page must upload the label NIfTI it wrote and the instances of that same volume.') =>
  new ArgumentError(message, { where, hint });

/** Checks the uploaded labels and instances against each other and the study; returns what to store. */
function validateResult(labelsBytes: Uint8Array, result: BrowserResult, original: ReturnType<typeof readNifti>): { labels: LabelVolume; instances: InstanceStats[] } {
  const img = readLabelsOnStudyGrid(labelsBytes, original, bad, 'label volume', 'labels');
  const data = img.volume.data;
  const shape = original.volume.shape;
  const n = data.length;
  const labelData = new Uint32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v < 0) throw bad(`negative label ${v} at voxel ${i}`, 'labels');
    labelData[i] = v;
    if (v > max) max = v;
  }
  const count = result.instances.length;
  if (max !== count) throw bad(`the label volume's largest label is ${max} but ${count} instances were sent`, 'instances');
  const labels: LabelVolume = { data: labelData, shape: [...shape] as Vec3, spacing: [...original.volume.spacing] as Vec3 };
  if (original.volume.affine) labels.affine = original.volume.affine.map((row) => [...row]) as LabelVolume['affine'];
  if (original.volume.units !== undefined) labels.units = original.volume.units;
  const stats = instanceStats(labels); // one entry per label present, in label order
  if (stats.length !== count) {
    const present = new Set(stats.map((s) => s.labelId));
    const missing = [];
    for (let l = 1; l <= count && missing.length < 5; l++) if (!present.has(l)) missing.push(l);
    throw bad(`labels must be 1..${count} with no gaps; missing ${missing.join(', ')}`, 'labels');
  }
  for (let i = 0; i < count; i++) {
    const got = result.instances[i];
    const want = stats[i];
    const where = `instances[${i}]`;
    if (got.labelId !== want.labelId) throw bad(`instance ${i} has labelId ${got.labelId}; expected ${want.labelId} (instances in label order 1..N)`, `${where}.labelId`);
    if (got.voxels !== want.voxels) throw bad(`instance ${want.labelId} claims ${got.voxels} voxels but the label volume has ${want.voxels}`, `${where}.voxels`);
    for (let a = 0; a < 3; a++) {
      if (got.bbox.min[a] !== want.bbox.min[a] || got.bbox.max[a] !== want.bbox.max[a]) {
        throw bad(`instance ${want.labelId}'s bounding box differs from the label volume's`, `${where}.bbox`);
      }
      if (Math.abs(got.centroid[a] - want.centroid[a]) > 1e-3) throw bad(`instance ${want.labelId}'s centroid differs from the label volume's`, `${where}.centroid`);
    }
  }
  return { labels, instances: stats };
}

/**
 * Records a browser run's result. Not found / not a running browser run: throws without touching
 * the run. Anything invalid: the run fails with the reason, nothing is stored, and the error is
 * rethrown (400 from the route).
 */
export async function submitBrowserResult(
  deps: ServiceDeps,
  runId: string,
  body: { labels: Uint8Array | null; result: unknown } | Error,
): Promise<{ runId: string; instanceCount: number }> {
  const run = await deps.db.run.findUnique({ where: { id: runId } });
  if (!run) throw notFound('run', runId);
  if (run.location !== 'browser') {
    throw new TesseraError('CONFLICT', `run ${runId} runs on the server; only browser runs accept a result`, { where: `run:${runId}` });
  }
  if (run.status !== 'running') {
    throw new TesseraError('CONFLICT', `run ${runId} is already ${run.status}`, { where: `run:${runId}`, hint: 'Start a new browser run.' });
  }
  // A registered model's run: a class map checked against the card; instances computed here.
  if (isModelPipeline(run.pipeline)) return submitBrowserModelResult(deps, run, body);
  try {
    if (body instanceof Error) throw body;
    if (!body.labels || body.labels.byteLength === 0) throw bad('missing the label NIfTI (multipart field "labels")', 'labels');
    const r = parseResultJson(BrowserResult, body.result, bad);
    const original = await getOriginalAsset(deps, run.studyId);
    const img = readNifti(await deps.blobs.get(original.sha256), original.filename);
    const { labels, instances } = validateResult(body.labels, r, img);
    await deps.db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage: 'saving', progress: 0.98 } });
    await storeSegmentResult(deps, runId, {
      labels,
      header: img.header,
      originalFilename: original.filename,
      instances,
      timings: r.timings,
      params: { resolved: r.resolved ?? null, threshold: r.threshold, seedCount: r.seedCount },
      device: r.device,
      adapter: r.device === 'webgpu' ? (r.adapter ?? null) : null,
    });
    return { runId, instanceCount: instances.length };
  } catch (e) {
    await failRun(deps, runId, e, isTesseraError(e) ? 'invalid browser result: ' : 'browser result not stored: ');
    throw e;
  }
}
