/**
 * Runs of a registered model on a volume study, on the server (`startModelRun` → the job in
 * server/jobs/run-model.ts) or in the browser (`createBrowserModelRun` → the page runs the model →
 * POST /api/runs/:id/result → `submitBrowserModelResult`). Both end in `storeModelResult`
 * (server/jobs/run-model.ts):
 *
 * - the CLASS label map (class ids of the card, on the study's native grid) → the Run's `labels`
 *   Asset (writeLabelNifti with the original's header: same grid, affine, units);
 * - the instances (card.output.instances; className from the card's classes) → Instance rows;
 * - Run: pipeline 'model:<name>', version = modelVersion = the model's version, modelId, runner
 *   ('tessera' | 'onnxruntime-node' | 'onnxruntime-web'), device ('webgpu' | 'cpu'), adapter;
 *   `timings` (numbers only): inferenceMs, totalMs, saveMs, instancesMs, peakBytes, tiles,
 *   delegated (+ prepareMs, labelsMs on the server); `params`: model { id, name, version, sha256 },
 *   deviceRequested, `prepare` (the runner's prepare params: normalisation numbers, axis order,
 *   conform record, tensor dims …), fallbackReason and unsupportedOps.
 *
 * A browser's class map is not trusted: the server re-reads it, checks the grid (shape, spacing,
 * affine) equals the study's and every value is a class id of the card, then computes the
 * instances itself. A bad result fails the Run and stores nothing.
 */
import { z } from 'zod';
import { ArgumentError, TesseraError, isTesseraError } from '@/lib/errors';
import { readNifti, type NiftiImage } from '@/lib/formats/nifti';
import type { ModelCard } from '@/lib/model/card';
import { track } from '../jobs/registry';
import { failRun } from '../jobs/run-result';
import { instancesForCard, runModelJob, storeModelResult, type ModelDeviceRequest } from '../jobs/run-model';
import { browserRunColumns, parseResultJson, readLabelsOnStudyGrid } from './browser-result';
import type { ServiceDeps } from './deps';
import { getModel, type ModelSummary } from './models';
import { getOriginalAsset } from './studies';

export type { ModelDeviceRequest };

/** Run.pipeline of a model run. */
export const modelPipeline = (name: string): string => `model:${name}`;
export const isModelPipeline = (pipeline: string): boolean => pipeline.startsWith('model:');

const Id = z.string().min(1).max(64);

/** Provenance kept in Run.params.model (survives the model's deletion). */
function modelRef(m: ModelSummary) {
  return { id: m.id, name: m.name, version: m.version, sha256: m.sha256 };
}

/**
 * The model and the study of a new model run (NOT_FOUND before any Run exists), and the Run
 * columns every model run has: pipeline, version, modelId, modelVersion.
 */
async function modelRunBase(deps: ServiceDeps, studyId: string, modelId: string) {
  await getOriginalAsset(deps, studyId, 'volume');
  const model = await getModel(deps, modelId);
  const row = { studyId, pipeline: modelPipeline(model.name), version: model.version, modelId: model.id, modelVersion: model.version };
  return { model, row };
}

// ------------------------------------------------------------------ server runs

export const RunModelInput = z.object({
  studyId: Id,
  modelId: Id,
  /** 'auto' = the engine on Dawn when possible, else onnxruntime-node; 'gpu' = Dawn or fail; 'cpu' and 'ort' = onnxruntime-node (the engine is GPU-only). */
  device: z.enum(['auto', 'gpu', 'cpu', 'ort']).default('auto'),
});
export type RunModelInput = z.input<typeof RunModelInput>;

/** Creates a queued server Run of the model on the study and starts the job in-process. */
export async function startModelRun(deps: ServiceDeps, input: RunModelInput): Promise<{ runId: string }> {
  const { studyId, modelId, device } = RunModelInput.parse(input);
  const { model, row } = await modelRunBase(deps, studyId, modelId);
  // server/inference/run-onnx.ts: 'cpu' and 'ort' are onnxruntime-node; so is any device for a model the engine lacks ops for.
  const ort = device === 'ort' || device === 'cpu' || model.unsupportedOps.length > 0;
  const run = await deps.db.run.create({
    data: {
      ...row,
      params: { model: modelRef(model), deviceRequested: device },
      location: 'server',
      // What it will most likely use; the job records what it actually used (runInfo).
      runner: ort ? 'onnxruntime-node' : 'tessera',
      device: ort ? 'cpu' : 'webgpu',
      status: 'queued',
      stage: 'queued',
      progress: 0,
    },
    select: { id: true },
  });
  track(run.id, runModelJob(deps, run.id, { device }));
  return { runId: run.id };
}

// ------------------------------------------------------------------ browser runs

export const CreateBrowserModelRunInput = z.object({
  studyId: Id,
  modelId: Id,
  runner: z.enum(['tessera', 'onnxruntime-web']),
  /** 'wasm' (onnxruntime-web's CPU backend) is stored as device 'cpu' with params.executionProvider 'wasm'. */
  device: z.enum(['webgpu', 'wasm', 'cpu']),
  adapter: z.string().max(300).nullable().optional(),
});
export type CreateBrowserModelRunInput = z.infer<typeof CreateBrowserModelRunInput>;

/** A running browser Run of the model (location 'browser'); the page reports progress and posts the result. */
export async function createBrowserModelRun(deps: ServiceDeps, input: CreateBrowserModelRunInput): Promise<{ runId: string }> {
  const { studyId, modelId, runner, device, adapter } = CreateBrowserModelRunInput.parse(input);
  const { model, row } = await modelRunBase(deps, studyId, modelId);
  const run = await deps.db.run.create({
    data: {
      ...row,
      params: { model: modelRef(model), deviceRequested: device, runnerRequested: runner },
      ...browserRunColumns(runner, device === 'webgpu' ? 'webgpu' : 'cpu', adapter),
    },
    select: { id: true },
  });
  return { runId: run.id };
}

const finite = z.number().finite();

/** The JSON part of POST /api/runs/:id/result for a model run. */
export const BrowserModelResult = z
  .object({
    runner: z.enum(['tessera', 'onnxruntime-web']),
    device: z.enum(['webgpu', 'wasm', 'cpu']),
    adapter: z.string().min(1).max(300).nullable().optional(),
    /** Nodes the engine delegated to a CPU path (tessera). */
    delegated: z.number().int().min(0).optional(),
    peakBytes: finite.min(0).optional(),
    tiles: z.number().int().min(0).optional(),
    /** Inference wall time (ms). */
    ms: finite.min(0),
    /** The prepare params the page used (spacing, grid, normalisation, …). */
    params: z.record(z.string().max(60), z.unknown()).optional(),
    fallbackReason: z.string().max(2000).nullable().optional(),
    unsupportedOps: z.array(z.string().max(200)).max(500).optional(),
    /** Extra per-stage times (ms). */
    timings: z.record(z.string().max(40), finite.min(0)).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.runner === 'tessera' && r.device === 'wasm') ctx.addIssue({ code: 'custom', path: ['device'], message: "the tessera engine runs on 'webgpu' or 'cpu', not 'wasm'" });
  });
export type BrowserModelResult = z.infer<typeof BrowserModelResult>;

const bad = (message: string, where: string, hint = 'Upload the class label NIfTI written on the study grid (writeLabelNifti with the original header).') =>
  new ArgumentError(message, { where, hint });

/** Checks the uploaded class map against the study's grid and the card's classes; returns the class ids. */
export function validateClassMap(bytes: Uint8Array, original: NiftiImage, card: ModelCard): Uint8Array | Uint16Array | Uint32Array {
  const img = readLabelsOnStudyGrid(bytes, original, bad, 'class map', 'class ids');
  const data = img.volume.data;
  const o = original.volume;
  if (o.affine && img.volume.affine) {
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 4; c++)
        if (Math.abs(img.volume.affine[r][c] - o.affine[r][c]) > 1e-3 * Math.max(1, Math.abs(o.affine[r][c]))) {
          throw bad("the class map's affine (voxel → world) differs from the study's", 'labels.affine');
        }
  }
  const ids = new Set(card.output.classes.map((c) => c.id));
  ids.add(0);
  const maxId = Math.max(...ids);
  const out = maxId <= 255 ? new Uint8Array(data.length) : maxId <= 65535 ? new Uint16Array(data.length) : new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!ids.has(v)) {
      const [x, y, z] = [i % o.shape[0], Math.floor(i / o.shape[0]) % o.shape[1], Math.floor(i / (o.shape[0] * o.shape[1]))];
      throw bad(`voxel (${x}, ${y}, ${z}) holds ${v}, which is not a class id of the card (${[...ids].sort((a, b) => a - b).join(', ')})`, 'labels');
    }
    out[i] = v;
  }
  return out;
}

/**
 * The result of a browser model run (called by submitBrowserResult for 'model:' runs, after it
 * checked the run is a running browser run). Anything invalid fails the Run, stores nothing, rethrows.
 */
export async function submitBrowserModelResult(
  deps: ServiceDeps,
  run: { id: string; studyId: string; modelId: string | null },
  body: { labels: Uint8Array | null; result: unknown } | Error,
): Promise<{ runId: string; instanceCount: number }> {
  const runId = run.id;
  try {
    if (body instanceof Error) throw body;
    if (!run.modelId) {
      throw new TesseraError('NOT_FOUND', `the model of run ${runId} was deleted while it ran`, { where: `run:${runId}`, hint: 'Register the model again and start a new run.' });
    }
    const model = await getModel(deps, run.modelId);
    if (!body.labels || body.labels.byteLength === 0) throw bad('missing the class label NIfTI (multipart field "labels")', 'labels');
    const r = parseResultJson(BrowserModelResult, body.result, bad, 'Send { runner, device, adapter, delegated, peakBytes, tiles, ms, params }.');
    const original = await getOriginalAsset(deps, run.studyId);
    const image = readNifti(await deps.blobs.get(original.sha256), original.filename);
    const classMap = validateClassMap(body.labels, image, model.card);
    const t0 = performance.now();
    const instances = instancesForCard(classMap, image.volume, model.card);
    const instancesMs = performance.now() - t0;
    await deps.db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage: 'saving', progress: 0.98 } });
    const timings: Record<string, number> = { ...(r.timings ?? {}), inferenceMs: r.ms, instancesMs };
    if (r.peakBytes !== undefined) timings.peakBytes = r.peakBytes;
    if (r.tiles !== undefined) timings.tiles = r.tiles;
    if (r.delegated !== undefined) timings.delegated = r.delegated;
    await storeModelResult(deps, runId, { image, filename: original.filename }, model, {
      classMap,
      instances,
      runner: r.runner,
      device: r.device === 'webgpu' ? 'webgpu' : 'cpu',
      adapter: r.device === 'webgpu' ? (r.adapter ?? null) : null,
      timings,
      params: {
        prepare: r.params ?? null,
        ...(r.device === 'wasm' ? { executionProvider: 'wasm' } : {}),
        fallbackReason: r.fallbackReason ?? null,
        unsupportedOps: r.unsupportedOps ?? model.unsupportedOps,
      },
    });
    return { runId, instanceCount: instances.length };
  } catch (e) {
    await failRun(deps, runId, e, isTesseraError(e) ? 'invalid browser result: ' : 'browser result not stored: ');
    throw e;
  }
}
