/**
 * Runs of a registered model on a volume study, on the server (`startModelRun` → the job in
 * server/jobs/run-model.ts) or in the browser (`createBrowserModelRun` → the page runs the model →
 * POST /api/runs/:id/result → `submitBrowserModelResult`). Both end in `storeModelResult`
 * (server/jobs/run-model.ts):
 *
 * - the label map on the study's native grid → the Run's `labels` Asset (writeLabelNifti with the
 *   original's header: same grid, affine, units): the CLASS map (class ids of the card) for
 *   'connected-components' / 'none' cards; the INSTANCE map (ids 1..N) for 'cell-pipeline' cards
 *   (the bundled nuclei / cells U-Nets, lib/model/cell-instances.ts), with `params.cellPipeline`;
 * - the instances (card.output.instances; className from the card's classes) → Instance rows;
 * - Run: pipeline 'model:<name>', version = modelVersion = the model's version, modelId, runner
 *   ('tessera' | 'onnxruntime-node' | 'onnxruntime-web'), device ('webgpu' | 'cpu'), adapter;
 *   `timings` (numbers only): inferenceMs, totalMs, saveMs, instancesMs, peakBytes, tiles,
 *   delegated (+ prepareMs, labelsMs on the server); `params`: model { id, name, version, sha256 },
 *   deviceRequested, `prepare` (the runner's prepare params: normalisation numbers, axis order,
 *   conform record, tensor dims …), fallbackReason and unsupportedOps.
 *
 * A browser's result is not trusted: the server re-reads the label NIfTI and checks the grid
 * (shape, spacing, affine) equals the study's. A class map: every value is a class id of the card;
 * the server computes the instances itself. A 'cell-pipeline' instance map: integer ids 1..N
 * numbered in order of first voxel (x fastest; what `cellInstancesOnGrid` writes), no gaps, each
 * instance at least the card's minimum size on the native grid (1 voxel when the model ran on a
 * resampled grid), N ≤ MAX_BROWSER_INSTANCES; the per-instance stats are recomputed here from the
 * labels (the page sends none), and the page's `cellPipeline` record must name the card's
 * parameters. A bad result fails the Run and stores nothing.
 */
import { z } from 'zod';
import { ArgumentError, TesseraError, isTesseraError } from '@/lib/errors';
import { readNifti, type NiftiImage } from '@/lib/formats/nifti';
import type { ModelCard } from '@/lib/model/card';
import { CELL_PIPELINE_DEFAULTS, cellPipelineCard, resolveCellPipelineParams, type CellPipelineParams } from '@/lib/model/cell-instances';
import type { ClassInstance } from '@/lib/model/instances';
import { instanceStats } from '@/lib/segmentation';
import type { LabelVolume, Vec3 } from '@/lib/volume';
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

/** The instance-step parameters a caller may override (lib/model/cell-instances.ts CellPipelineParams; the mode comes from the card). */
const OVERRIDABLE = new Set(Object.keys(CELL_PIPELINE_DEFAULTS));
const paramValue = z.union([z.number().finite(), z.string().max(40)]);

/**
 * Overrides of a 'cell-pipeline' card's instance step: names from CELL_PIPELINE_DEFAULTS; the values
 * are checked by resolveCellPipelineParams (typed INVALID_ARGUMENT) before any Run exists.
 */
export const CellPipelineOverrides = z.record(z.string().max(40), paramValue).superRefine((o, ctx) => {
  for (const k of Object.keys(o)) {
    if (!OVERRIDABLE.has(k)) ctx.addIssue({ code: 'custom', path: [k], message: `unknown cell-pipeline parameter '${k}' (known: ${[...OVERRIDABLE].join(', ')})` });
  }
});

export const RunModelInput = z.object({
  studyId: Id,
  modelId: Id,
  /** 'auto' = the engine on Dawn when possible, else onnxruntime-node; 'gpu' = Dawn or fail; 'cpu' and 'ort' = onnxruntime-node (the engine is GPU-only). */
  device: z.enum(['auto', 'gpu', 'cpu', 'ort']).default('auto'),
  /** Only for models whose card says instances 'cell-pipeline': overrides of the card's instance-step parameters. */
  cellPipeline: CellPipelineOverrides.optional(),
});
export type RunModelInput = z.input<typeof RunModelInput>;

/** Creates a queued server Run of the model on the study and starts the job in-process. */
export async function startModelRun(deps: ServiceDeps, input: RunModelInput): Promise<{ runId: string }> {
  const { studyId, modelId, device, cellPipeline } = RunModelInput.parse(input);
  const { model, row } = await modelRunBase(deps, studyId, modelId);
  if (cellPipeline) {
    if (model.card.output.instances !== 'cell-pipeline') {
      throw new ArgumentError(`model ${model.name} does not use the cell pipeline (its card says instances '${model.card.output.instances}')`, {
        where: 'cellPipeline',
        hint: "Leave cellPipeline out for this model; it applies to 'cell-pipeline' models such as the bundled nuclei and cells.",
      });
    }
    resolveCellPipelineParams(model.card, cellPipeline as Partial<CellPipelineParams>); // typed error before any Run exists
  }
  // server/inference/run-onnx.ts: 'cpu' and 'ort' are onnxruntime-node; so is any device for a model the engine lacks ops for.
  const ort = device === 'ort' || device === 'cpu' || model.unsupportedOps.length > 0;
  const run = await deps.db.run.create({
    data: {
      ...row,
      params: { model: modelRef(model), deviceRequested: device, ...(cellPipeline ? { cellPipelineRequested: cellPipeline } : {}) },
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
  track(run.id, runModelJob(deps, run.id, { device, ...(cellPipeline ? { cellPipeline: cellPipeline as Partial<CellPipelineParams> } : {}) }));
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
const intVec3 = z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]);
const posIntVec3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const posVec3 = z.tuple([finite.positive(), finite.positive(), finite.positive()]);

/**
 * What a browser 'cell-pipeline' run reports about its instance step (lib/model/cell-instances.ts):
 * the parameters it used (CellPipelineParams: numbers and names; checked against the card's by
 * `checkCellRecord`) plus seedCount, minDistanceVoxels and grid.
 */
export const BrowserCellPipelineRecord = z
  .object({
    seedCount: z.number().int().min(0),
    minDistanceVoxels: intVec3,
    grid: z.object({ shape: posIntVec3, spacing: posVec3 }).strict(),
  })
  .catchall(paramValue);
type BrowserCellPipelineRecord = z.infer<typeof BrowserCellPipelineRecord>;

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
    /** 'cell-pipeline' models: the instance step the page ran (parameters + seedCount, grid). */
    cellPipeline: BrowserCellPipelineRecord.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.runner === 'tessera' && r.device === 'wasm') ctx.addIssue({ code: 'custom', path: ['device'], message: "the tessera engine runs on 'webgpu' or 'cpu', not 'wasm'" });
  });
export type BrowserModelResult = z.infer<typeof BrowserModelResult>;

const bad = (message: string, where: string, hint = 'Upload the class label NIfTI written on the study grid (writeLabelNifti with the original header).') =>
  new ArgumentError(message, { where, hint });

/** The uploaded label NIfTI's affine (voxel → world) must be the study's (relative tolerance 1e-3). */
function checkAffine(img: NiftiImage, original: NiftiImage, noun: string): void {
  const a = img.volume.affine;
  const o = original.volume.affine;
  if (!a || !o) return;
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 4; c++)
      if (Math.abs(a[r][c] - o[r][c]) > 1e-3 * Math.max(1, Math.abs(o[r][c]))) {
        throw bad(`the ${noun}'s affine (voxel → world) differs from the study's`, 'labels.affine');
      }
}

/** Checks the uploaded class map against the study's grid and the card's classes; returns the class ids. */
export function validateClassMap(bytes: Uint8Array, original: NiftiImage, card: ModelCard): Uint8Array | Uint16Array | Uint32Array {
  const img = readLabelsOnStudyGrid(bytes, original, bad, 'class map', 'class ids');
  const data = img.volume.data;
  const o = original.volume;
  checkAffine(img, original, 'class map');
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

/** Most instances a browser 'cell-pipeline' result may hold (far above any plausible microscopy volume). */
export const MAX_BROWSER_INSTANCES = 1_000_000;

const badInstances = (message: string, where: string) =>
  bad(message, where, 'Upload the instance label NIfTI that cellInstancesOnGrid (lib/model/cell-instances.ts) wrote on the study grid.');

/**
 * Checks a 'cell-pipeline' instance map (see the module comment) and recomputes the instances from
 * it: per-instance stats on the study grid (affine, units), class 1 of the card (its foreground).
 */
export function validateInstanceMap(
  bytes: Uint8Array,
  original: NiftiImage,
  card: ModelCard,
): { labels: Uint32Array; instances: ClassInstance[]; params: CellPipelineParams } {
  const params = resolveCellPipelineParams(card);
  const img = readLabelsOnStudyGrid(bytes, original, badInstances, 'instance map', 'instance ids');
  checkAffine(img, original, 'instance map');
  const o = original.volume;
  const data = img.volume.data;
  const n = data.length;
  // Every instance has ≥ minVoxels voxels on the network's grid; on the native grid too when nothing was resampled.
  const resampled = cellPipelineCard(card, o.spacing, params).input.spacing !== null;
  const minPer = resampled ? 1 : Math.max(1, params.minVoxels);
  const cap = Math.min(MAX_BROWSER_INSTANCES, Math.floor(n / minPer));
  const labels = new Uint32Array(n);
  let next = 1; // ids must appear in the order 1, 2, 3, … of their first voxel (x fastest)
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v === 0) continue;
    if (v < 0 || v > next) {
      const [x, y, z] = [i % o.shape[0], Math.floor(i / o.shape[0]) % o.shape[1], Math.floor(i / (o.shape[0] * o.shape[1]))];
      if (v < 0) throw badInstances(`voxel (${x}, ${y}, ${z}) holds the negative id ${v}`, 'labels');
      throw badInstances(`instance ${v} first appears at voxel (${x}, ${y}, ${z}), before instance ${next}: ids must be 1..N in the order of their first voxel`, 'labels');
    }
    if (v === next) {
      if (next > cap) throw badInstances(`more than ${cap} instances: not a plausible result on ${o.shape.join('×')} voxels with instances of ≥ ${minPer} voxels`, 'labels');
      next++;
    }
    labels[i] = v;
  }
  const lv: LabelVolume = { data: labels, shape: [...o.shape] as Vec3, spacing: [...o.spacing] as Vec3 };
  if (o.affine) lv.affine = o.affine;
  if (o.units !== undefined) lv.units = o.units;
  const stats = instanceStats(lv);
  const small = stats.find((s) => s.voxels < minPer);
  if (small) throw badInstances(`instance ${small.labelId} has ${small.voxels} voxel(s); the card's instance step keeps only instances of ≥ ${minPer}`, 'labels');
  const fg = card.output.classes.find((c) => c.id === 1);
  const instances = stats.map((s) => ({ ...s, classId: 1, className: fg?.name ?? 'class1' }));
  return { labels, instances, params };
}

/** The page's instance-step record must name exactly the card's own parameters (browser runs take no overrides). */
function checkCellRecord(record: BrowserCellPipelineRecord | undefined, want: CellPipelineParams): BrowserCellPipelineRecord {
  if (!record) throw bad("missing result.cellPipeline (the instance step's parameters, seedCount and grid)", 'result.cellPipeline', 'Send the cellPipeline record of the instance step.');
  const hint = "Run the instance step with the card's parameters (resolveCellPipelineParams).";
  const got = record as Record<string, unknown>;
  for (const [k, v] of Object.entries(want)) {
    if (got[k] !== v) throw bad(`result.cellPipeline.${k} is ${String(got[k])} but the model's card gives ${String(v)}`, `result.cellPipeline.${k}`, hint);
  }
  const stats = new Set(['seedCount', 'minDistanceVoxels', 'grid']);
  const extra = Object.keys(got).find((k) => !(k in want) && !stats.has(k));
  if (extra) throw bad(`result.cellPipeline.${extra} is not a parameter of the instance step`, `result.cellPipeline.${extra}`, hint);
  return record;
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
    const cell = model.card.output.instances === 'cell-pipeline';
    if (!body.labels || body.labels.byteLength === 0) throw bad(`missing the ${cell ? 'instance' : 'class'} label NIfTI (multipart field "labels")`, 'labels');
    const r = parseResultJson(BrowserModelResult, body.result, bad, 'Send { runner, device, adapter, delegated, peakBytes, tiles, ms, params }.');
    const original = await getOriginalAsset(deps, run.studyId);
    const image = readNifti(await deps.blobs.get(original.sha256), original.filename);
    const t0 = performance.now();
    let labels: { kind: 'classes' | 'instances'; data: Uint8Array | Uint16Array | Uint32Array };
    let instances: ClassInstance[];
    let cellRecord: BrowserCellPipelineRecord | null = null;
    if (cell) {
      const checked = validateInstanceMap(body.labels, image, model.card);
      cellRecord = checkCellRecord(r.cellPipeline, checked.params);
      labels = { kind: 'instances', data: checked.labels };
      instances = checked.instances;
    } else {
      const classMap = validateClassMap(body.labels, image, model.card);
      labels = { kind: 'classes', data: classMap };
      instances = instancesForCard(classMap, image.volume, model.card);
    }
    // A class map: the server computes the instances ('instancesMs'); an instance map: the page did, the server recomputed the stats ('statsMs').
    const serverMs = performance.now() - t0;
    await deps.db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage: 'saving', progress: 0.98 } });
    const timings: Record<string, number> = { ...(r.timings ?? {}), inferenceMs: r.ms, ...(cell ? { statsMs: serverMs } : { instancesMs: serverMs }) };
    if (r.peakBytes !== undefined) timings.peakBytes = r.peakBytes;
    if (r.tiles !== undefined) timings.tiles = r.tiles;
    if (r.delegated !== undefined) timings.delegated = r.delegated;
    await storeModelResult(deps, runId, { image, filename: original.filename }, model, {
      labels,
      instances,
      runner: r.runner,
      device: r.device === 'webgpu' ? 'webgpu' : 'cpu',
      adapter: r.device === 'webgpu' ? (r.adapter ?? null) : null,
      timings,
      params: {
        prepare: r.params ?? null,
        ...(cellRecord ? { cellPipeline: cellRecord } : {}),
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
