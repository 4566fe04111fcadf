/**
 * The server-side model run job: the study's original NIfTI + the model's ONNX bytes and card →
 * `runModelOnVolume` (server/inference) in a long-lived worker thread
 * (`workers/run-model.worker.mjs`, one per server process, jobs one at a time; the Dawn device
 * lives there and is reused) → label NIfTI asset + Instance rows → Run succeeded (or failed with
 * the message). Stages: queued → loading → preparing → 'tile k/n' (progress = k/n of the inference
 * share) → saving → done. `storeModelResult` is shared with browser model runs.
 *
 * What the labels asset holds depends on the card's `output.instances`:
 * - 'connected-components' / 'none': the CLASS map (`<base>_<model>_classes.nii.gz`);
 * - 'cell-pipeline' (the bundled nuclei / cells U-Nets): the INSTANCE map, ids 1..N
 *   (`<base>_<model>_instances.nii.gz`), and `params.cellPipeline` = the instance-step parameters
 *   used (+ seedCount, minDistanceVoxels, grid).
 */
import { TesseraError } from '@/lib/errors';
import { readNifti, type NiftiImage } from '@/lib/formats/nifti';
import type { ModelCard } from '@/lib/model/card';
import type { CellPipelineParams } from '@/lib/model/cell-instances';
import { instancesFromClasses, type ClassInstance } from '@/lib/model/instances';
import type { LabelVolume, Vec3, Volume } from '@/lib/volume';
import { ensureVulkanIcd } from '../gpu/vulkan';
import type { RunInfo, RunModelOnVolumeResult } from '../inference/run-model-on-volume';
import type { ServiceDeps } from '../services/deps';
import { getModelBytes, type ModelSummary } from '../services/models';
import { JobWorker, fromWireError, type PendingJob, type WireError } from './job-worker';
import { ProgressWriter } from './progress';
import { failRun, storeRunResult } from './run-result';

/** Where a server model run may compute (server/inference/run-onnx.ts): 'auto' | 'gpu' | 'cpu' | 'ort'. */
export type ModelDeviceRequest = 'auto' | 'gpu' | 'cpu' | 'ort';

/** What runModelOnVolume reports about the run (server/inference): runner, device, adapter, delegated, unsupportedOps, fallbackReason, peakBytes, tiles, ms, … */
export type ModelRunInfo = RunInfo;

/**
 * What the worker sends back. `instanceLabels` only for 'cell-pipeline' cards (their instance map
 * is the run's labels); null otherwise (a connected-components map stays in the worker).
 */
export type ModelWorkerResult = Pick<RunModelOnVolumeResult, 'classMap' | 'instances' | 'instanceLabels' | 'runInfo' | 'params'>;

// ------------------------------------------------------------------ the worker

type Msg =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'result'; id: number; result: ModelWorkerResult }
  | { type: 'error'; id: number; error: WireError };

interface Pending extends PendingJob<ModelWorkerResult> {
  onProgress: (done: number, total: number) => void;
}

const modelWorker = new JobWorker<ModelWorkerResult, Msg, Pending>({
  key: '__tesseraModelWorker',
  script: 'server/jobs/workers/run-model.worker.mjs',
  modules: { inferenceModule: 'server/inference/run-model-on-volume.ts' },
  name: 'model worker',
  beforeStart: ensureVulkanIcd, // the Vulkan loader reads the main thread's environment
  onMessage: (m, p) => {
    if (m.type === 'progress') p.onProgress(m.done, m.total);
    else if (m.type === 'result') return { result: m.result };
    else return { error: fromWireError(m.error) };
    return undefined;
  },
});

/** Runs `runModelOnVolume` in the model worker thread (`cellPipeline`: overrides of a 'cell-pipeline' card's instance step). */
export function runModelInWorker(
  bytes: Uint8Array,
  volume: Volume,
  card: ModelCard,
  device: ModelDeviceRequest,
  onProgress: (done: number, total: number) => void,
  cellPipeline?: Partial<CellPipelineParams>,
): Promise<ModelWorkerResult> {
  return modelWorker.run({ bytes, volume, card, device, ...(cellPipeline ? { cellPipeline } : {}) }, { onProgress });
}

/** Stops the model worker (tests, graceful shutdown). Pending jobs reject. */
export function stopModelWorker(): Promise<void> {
  return modelWorker.stop();
}

// ------------------------------------------------------------------ storing a result

export interface ModelResultToStore {
  /**
   * The run's label volume on the study's native grid: class ids ('classes') or, for 'cell-pipeline'
   * models, instance ids 1..N ('instances', matching `instances` one to one).
   */
  labels: { kind: 'classes' | 'instances'; data: Uint8Array | Uint16Array | Uint32Array };
  instances: ClassInstance[];
  runner: 'tessera' | 'onnxruntime-node' | 'onnxruntime-web';
  device: 'webgpu' | 'cpu';
  adapter: string | null;
  /** Numbers only (ms, bytes, counts). */
  timings: Record<string, number>;
  /** Merged into the Run's params. */
  params: Record<string, unknown>;
}

/**
 * Instances of a class map as the card asks, exactly as runModelOnVolume computes them:
 * 'connected-components' → instancesFromClasses (6-connectivity, minInstanceVoxels); 'none' → no
 * instances. ('cell-pipeline' instances come from the network's probabilities, not from a class
 * map: a browser posts their label map, see server/services/model-runs.ts.)
 */
export function instancesForCard(
  classMap: Uint8Array | Uint16Array | Uint32Array,
  vol: Pick<Volume, 'shape' | 'spacing' | 'affine'>,
  card: ModelCard,
): ClassInstance[] {
  if (card.output.instances !== 'connected-components') return [];
  return instancesFromClasses(classMap, vol.shape, vol.spacing, {
    classes: card.output.classes,
    minVoxels: card.output.minInstanceVoxels,
    affine: vol.affine,
  }).instances;
}

/**
 * Writes the label NIfTI blob (class or instance map; the original's grid, affine and units), the
 * labels Asset (`<base>_<model>_classes.nii.gz` or `_instances.nii.gz`) and the Instances
 * (className from the card) and marks the Run succeeded, in one transaction; the blob is collected
 * again if the transaction fails.
 */
export async function storeModelResult(
  deps: ServiceDeps,
  runId: string,
  original: { image: NiftiImage; filename: string },
  model: Pick<ModelSummary, 'name'>,
  r: ModelResultToStore,
): Promise<void> {
  const saveStart = performance.now();
  const v = original.image.volume;
  const data = r.labels.data instanceof Uint32Array ? r.labels.data : Uint32Array.from(r.labels.data);
  const labels: LabelVolume = { data, shape: [...v.shape] as Vec3, spacing: [...v.spacing] as Vec3 };
  if (v.affine) labels.affine = v.affine;
  if (v.units !== undefined) labels.units = v.units;
  const base = original.filename.replace(/\.nii(\.gz)?$/i, '');
  const tag = model.name.replace(/[^\w.-]+/g, '_');
  await storeRunResult(deps, runId, {
    labels,
    header: original.image.header,
    filename: `${base}_${tag}_${r.labels.kind}.nii.gz`,
    instances: r.instances,
    runner: r.runner,
    device: r.device,
    adapter: r.adapter,
    timings: r.timings,
    params: r.params,
    saveStart,
  });
}

/** The run's numbers for Run.timings (ms, bytes, counts; null values left out), with the runner's stage times. */
export function runInfoTimings(info: ModelRunInfo, params: Record<string, unknown> = {}): Record<string, number> {
  const t: Record<string, number> = { inferenceMs: info.ms, tiles: info.tiles, delegated: info.delegated };
  if (info.peakBytes !== null) t.peakBytes = info.peakBytes;
  const stages = params.timingsMs;
  if (stages && typeof stages === 'object') {
    for (const [k, v] of Object.entries(stages as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isFinite(v) && k !== 'inference' && k !== 'total') t[`${k}Ms`] = v;
    }
  }
  return t;
}

// ------------------------------------------------------------------ the job

const yieldOnce = () => new Promise<void>((r) => setImmediate(r));

export async function runModelJob(
  deps: ServiceDeps,
  runId: string,
  opts: { device?: ModelDeviceRequest; cellPipeline?: Partial<CellPipelineParams> } = {},
): Promise<void> {
  const { db, blobs } = deps;
  const device: ModelDeviceRequest = opts.device ?? 'auto';
  try {
    await yieldOnce(); // the request that queued the job answers first
    const run = await db.run.update({ where: { id: runId }, data: { status: 'running', stage: 'loading', progress: 0, startedAt: new Date() } });
    if (!run.modelId) throw new TesseraError('NOT_FOUND', `the model of run ${runId} was deleted`, { where: `run:${runId}`, hint: 'Register the model again.' });
    const { model, bytes } = await getModelBytes(deps, run.modelId);
    const original = await db.asset.findFirst({ where: { studyId: run.studyId, role: 'original' }, orderBy: { createdAt: 'asc' } });
    if (!original) throw new Error(`study ${run.studyId} has no original asset`);
    const image = readNifti(await blobs.get(original.sha256), original.filename);

    const progress = new ProgressWriter(async (stage, p) => {
      await db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage, progress: p } });
    });
    progress.report('preparing', 0.02);
    const t0 = performance.now();
    // Inference gets progress 0.05..0.95; tiles are reported as 'tile k/n'.
    const result = await runModelInWorker(
      bytes,
      image.volume,
      model.card,
      device,
      (done, total) => {
        const n = Math.max(1, total);
        progress.report(`tile ${Math.min(done, n)}/${n}`, 0.05 + 0.9 * (done / n));
      },
      opts.cellPipeline,
    );
    const totalMs = performance.now() - t0;
    await progress.close();
    await db.run.updateMany({ where: { id: runId, status: 'running' }, data: { stage: 'saving', progress: 0.97 } });
    const info = result.runInfo;
    const cellPipeline = model.card.output.instances === 'cell-pipeline';
    if (cellPipeline && !result.instanceLabels) throw new Error(`the model worker returned no instance labels for the 'cell-pipeline' model ${model.name}`);
    // The instance step's record goes to params.cellPipeline (not inside params.prepare).
    const { cellPipeline: cellRecord, ...prepare } = result.params;
    await storeModelResult(deps, runId, { image, filename: original.filename }, model, {
      labels: cellPipeline ? { kind: 'instances', data: result.instanceLabels! } : { kind: 'classes', data: result.classMap },
      instances: result.instances,
      runner: info.runner,
      device: info.device,
      adapter: info.adapter,
      timings: { ...runInfoTimings(info, result.params), totalMs },
      params: {
        prepare,
        ...(cellPipeline ? { cellPipeline: cellRecord } : {}),
        fallbackReason: info.fallbackReason,
        unsupportedOps: info.unsupportedOps,
        output: { dims: info.outputDims, type: info.outputType },
      },
    });
  } catch (e) {
    await failRun(deps, runId, e);
  }
}
