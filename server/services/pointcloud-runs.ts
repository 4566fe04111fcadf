/**
 * Browser point-cloud runs: the page runs the PointNet++ instance model (gpu-kernels/pointnet/model
 * on navigator.gpu, or the CPU twin lib/pointnet/model when the browser has no adapter) and the
 * server only records the result, after checking it.
 *
 *   pointclouds.createBrowserRun({ studyId, device, adapter }) → Run (location 'browser', running)
 *   runs.reportProgress / runs.failBrowserRun                  (shared with the volume browser runs)
 *   POST /api/runs/:id/point-result (lib/formats/pointcloud/result-format.ts "TPR1")
 *     → storeBrowserPointCloudResult → storePointCloudRunResult (labelled PLY asset + Instances)
 *
 * The result is checked before anything is stored: the body's layout, one instance id and one class
 * id per point of the study, class ids of the model card, instance ids dense 0…k with every id used
 * (and only on points of an object class), scores in [0, 1], the meta naming the same model (name
 * and weights sha256) and the device the Run was created for. A bad result fails the Run with the
 * reason, stores nothing, and the error is rethrown (400 from the route).
 *
 * Also: the committed model files the page downloads (`pointNetModelFile`, allowlisted names).
 */
import 'server-only';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ArgumentError, FormatError, ShapeError, TesseraError, isTesseraError } from '@/lib/errors';
import { decodePointResult } from '@/lib/formats/pointcloud/result-format';
import { POINTNET_PIPELINE, serverPointNetModel } from '../jobs/segment-points';
import type { ServiceDeps } from './deps';
import { errorMessage, notFound } from './errors';
import { createPointCloudRun, loadStudyCloud, storePointCloudRunResult } from './pointclouds';

// ---------------------------------------------------------------------------------------------
// the model files the browser downloads

/** Model folders under models/ the route may serve (no other path reaches the file system). */
export const POINTNET_MODEL_NAMES = ['pointnet-scenes'] as const;
/** The model browser and server runs use (server/jobs/segment-points.ts loads the same folder). */
export const POINTNET_MODEL_NAME = 'pointnet-scenes';

function modelsRoot(): string {
  return path.join(process.env.TESSERA_ROOT ?? process.cwd(), 'models');
}

export interface ModelFile {
  bytes: Uint8Array;
  sha256: string;
  contentType: string;
}

const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * `models/<name>/card.json`, or the weights file its card names (sha256-checked against the card).
 * NOT_FOUND for a name outside the allowlist or any other file.
 */
export async function pointNetModelFile(name: string, file: string): Promise<ModelFile> {
  if (!(POINTNET_MODEL_NAMES as readonly string[]).includes(name)) {
    throw new TesseraError('NOT_FOUND', `no PointNet++ model '${name.slice(0, 80)}'`, { where: 'name', hint: `Served: ${POINTNET_MODEL_NAMES.join(', ')}.` });
  }
  const dir = path.join(modelsRoot(), name);
  const cardBytes = new Uint8Array(await readFile(path.join(dir, 'card.json')));
  if (file === 'card.json') return { bytes: cardBytes, sha256: sha256Of(cardBytes), contentType: 'application/json' };
  const card = JSON.parse(new TextDecoder().decode(cardBytes)) as { weights?: unknown; files?: Record<string, { sha256?: string }> };
  if (typeof card.weights !== 'string' || file !== card.weights) {
    throw new TesseraError('NOT_FOUND', `model '${name}' has no file '${file.slice(0, 80)}'`, { where: 'file', hint: `Served: card.json, ${String(card.weights)}.` });
  }
  const bytes = new Uint8Array(await readFile(path.join(dir, card.weights)));
  const sha256 = sha256Of(bytes);
  const want = card.files?.[card.weights]?.sha256;
  if (want !== sha256) {
    throw new FormatError(`model weights sha256 ${sha256} differs from the card's ${String(want)}`, { where: `models/${name}/${card.weights}`, hint: 'Restore the committed weights or update the card.' });
  }
  return { bytes, sha256, contentType: 'application/octet-stream' };
}

/** What the page needs to fetch and check the model (pointclouds.model). */
export async function pointNetModelInfo(): Promise<{ name: string; weights: string; sha256: string; classes: string[]; cardUrl: string; weightsUrl: string }> {
  const { card } = await serverPointNetModel();
  const sha256 = card.files[card.weights]?.sha256;
  if (!sha256) throw new FormatError(`the card of ${card.name} lists no sha256 for ${card.weights}`, { where: `models/${card.name}/card.json` });
  const base = `/api/pointnet-models/${encodeURIComponent(POINTNET_MODEL_NAME)}`;
  return {
    name: card.name,
    weights: card.weights,
    sha256,
    classes: [...card.classes],
    cardUrl: `${base}/card.json`,
    weightsUrl: `${base}/${encodeURIComponent(card.weights)}?sha256=${sha256}`,
  };
}

// ---------------------------------------------------------------------------------------------
// creating the Run

export const CreateBrowserPointCloudRunInput = z
  .object({
    studyId: z.string().min(1).max(64),
    /** What the page will use: 'webgpu' (navigator.gpu adapter) or 'cpu' (the CPU twin, no adapter). */
    device: z.enum(['webgpu', 'cpu']),
    adapter: z.string().min(1).max(300).nullable().default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.device === 'webgpu' && !r.adapter) ctx.addIssue({ code: 'custom', path: ['adapter'], message: "device 'webgpu' needs the adapter's name" });
  });
export type CreateBrowserPointCloudRunInput = z.input<typeof CreateBrowserPointCloudRunInput>;

/** A 'running' browser Run of the PointNet++ model on a point-cloud study (NOT_FOUND / wrong kind before any Run exists). */
export async function createBrowserPointCloudRun(deps: ServiceDeps, input: CreateBrowserPointCloudRunInput): Promise<{ runId: string }> {
  const p = CreateBrowserPointCloudRunInput.parse(input);
  const { card } = await serverPointNetModel();
  const { runId } = await createPointCloudRun(deps, {
    studyId: p.studyId,
    pipeline: POINTNET_PIPELINE,
    version: card.name,
    location: 'browser',
    runner: 'tessera',
    device: p.device,
    adapter: p.device === 'webgpu' ? p.adapter : null,
    params: { model: card.name, modelSha256: card.files[card.weights]?.sha256 ?? null, deviceRequested: 'browser', clustering: card.clustering },
  });
  await deps.db.run.update({ where: { id: runId }, data: { stage: 'loading' } });
  return { runId };
}

// ---------------------------------------------------------------------------------------------
// the result

const finite = z.number().finite();
export const PointResultMetaSchema = z
  .object({
    runner: z.literal('tessera'),
    device: z.enum(['webgpu', 'cpu']),
    adapter: z.string().min(1).max(300).nullable(),
    model: z.object({ name: z.string().min(1).max(100), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
    timings: z.record(z.string().max(40), finite.min(0)).refine((t) => Object.keys(t).length <= 40, 'at most 40 timings'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.device === 'webgpu' && !r.adapter) ctx.addIssue({ code: 'custom', path: ['adapter'], message: "device 'webgpu' needs the adapter's name" });
  });

const HINT = 'Upload the TPR1 result of segmentPointsGpu / segmentPoints on this study with the committed model.';
const bad = (message: string, where: string) => new ArgumentError(message, { where, hint: HINT });

/** Fails a still-running Run (a Run another request already finished is left alone). */
async function failRunning(deps: Pick<ServiceDeps, 'db'>, runId: string, e: unknown): Promise<void> {
  await deps.db.run
    .updateMany({ where: { id: runId, status: 'running' }, data: { status: 'failed', error: `browser result rejected: ${errorMessage(e)}`.slice(0, 4000), finishedAt: new Date() } })
    .catch(() => undefined);
}

/** Checks a decoded result against the study's point count and the card; returns the scores by id. */
function checkLabels(r: ReturnType<typeof decodePointResult>, points: number, classes: number, background: ReadonlySet<number>): Record<number, number> {
  const n = r.instance.length;
  if (n !== points) throw new ShapeError(`the result has ${n} points, the study ${points}`, { where: 'result.n', hint: HINT });
  const k = r.instances;
  const used = new Uint8Array(k + 1);
  for (let i = 0; i < n; i++) {
    const c = r.classIds[i];
    if (c < 0 || c >= classes) throw bad(`point ${i} has class ${c}; the model's classes are 0…${classes - 1}`, `class[${i}]`);
    const id = r.instance[i];
    if (id < 0 || id > k) throw bad(`point ${i} has instance ${id}; instance ids must be 0…${k}`, `instance[${i}]`);
    if (id > 0 && background.has(c)) throw bad(`point ${i} is in instance ${id} but has the background class ${c}`, `instance[${i}]`);
    used[id] = 1;
  }
  const missing: number[] = [];
  for (let id = 1; id <= k && missing.length < 5; id++) if (!used[id]) missing.push(id);
  if (missing.length > 0) throw bad(`instance ids must be dense 1…${k}; unused: ${missing.join(', ')}`, 'instance');
  const scores: Record<number, number> = {};
  if (r.scores) {
    for (let id = 1; id <= k; id++) {
      const s = r.scores[id - 1];
      // f32 means of probabilities: allow a rounding step above 1
      if (!(s >= 0 && s <= 1 + 1e-5)) throw bad(`instance ${id} has score ${s}; scores are in [0, 1]`, `scores[${id - 1}]`);
      scores[id] = Math.min(1, s);
    }
  }
  return scores;
}

/**
 * Records a browser point-cloud run's result (the TPR1 body). Unknown run → NOT_FOUND; not a
 * running browser PointNet++ run → CONFLICT, the Run untouched. Anything invalid: the Run fails
 * with the reason, nothing is stored, the error is rethrown.
 */
export async function storeBrowserPointCloudResult(deps: ServiceDeps, runId: string, body: Uint8Array | Error): Promise<{ runId: string; instanceCount: number; labelAssetId: string }> {
  const t0 = performance.now();
  const run = await deps.db.run.findUnique({ where: { id: runId } });
  if (!run) throw notFound('run', runId);
  if (run.location !== 'browser' || run.pipeline !== POINTNET_PIPELINE) {
    throw new TesseraError('CONFLICT', `run ${runId} is not a browser point-cloud run (${run.location}, ${run.pipeline})`, { where: `run:${runId}`, hint: 'Post here only the result of a run created by pointclouds.createBrowserRun.' });
  }
  if (run.status !== 'running' || run.labelAssetId) {
    throw new TesseraError('CONFLICT', `run ${runId} is already ${run.status}`, { where: `run:${runId}`, hint: 'Start a new browser run.' });
  }
  try {
    if (body instanceof Error) throw body;
    const model = await serverPointNetModel();
    const card = model.card;
    const r = decodePointResult(body, 'point result');
    const parsed = PointResultMetaSchema.safeParse(r.meta);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw bad(`invalid result meta: ${i.message}`, `meta.${i.path.join('.')}`);
    }
    const meta = parsed.data;
    const sha = card.files[card.weights]?.sha256;
    if (meta.model.name !== card.name || meta.model.sha256 !== sha) {
      throw bad(`the result is of model ${meta.model.name} (${meta.model.sha256.slice(0, 12)}…), the server's is ${card.name} (${String(sha).slice(0, 12)}…)`, 'meta.model');
    }
    if (meta.device !== run.device) throw bad(`the run was created for device '${run.device}' but the result says '${meta.device}'`, 'meta.device');
    const { cloud } = await loadStudyCloud(deps, run.studyId);
    const scores = checkLabels(r, cloud.count, card.classes.length, new Set(card.backgroundClasses));
    const checkMs = performance.now() - t0;
    const stored = await storePointCloudRunResult(deps, runId, {
      instance: r.instance,
      classIds: r.classIds,
      classNames: card.classes,
      scores,
      device: meta.device,
      adapter: meta.device === 'webgpu' ? meta.adapter : null,
      timings: { ...meta.timings, checkMs },
    });
    return { runId, ...stored };
  } catch (e) {
    // CONFLICT from storePointCloudRunResult: another request stored a result meanwhile; leave it.
    if (!(isTesseraError(e) && e.code === 'CONFLICT')) await failRunning(deps, runId, e);
    throw e;
  }
}
