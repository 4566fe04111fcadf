/**
 * `tessera segment-cells <input> --out <labels.nii.gz> [--model classical|nuclei|cells|<onnx|ref>]
 *   [--card card.json] [--json <stats.json>] [--min-size <voxels>] [--device auto|cpu|gpu]
 *   [--smooth <sigma>] [--min-distance <d>] [--threshold <t>]`
 *
 * Instance segmentation of nuclei / cells in a NIfTI (.nii, .nii.gz) or TIFF stack (.tif, .tiff;
 * cli/io.ts) into a label NIfTI on the input's grid (uint16, or uint32 past 65,535 instances): a
 * NIfTI input's header is kept, a TIFF's voxel size goes on a diagonal affine.
 *
 * `--model classical` (default): the classical pipeline (lib/segmentation/pipeline.ts) with
 * --smooth / --min-distance / --threshold / --min-size. `--device gpu` runs segmentCellsGpu
 * (gpu-kernels/pipeline) on Dawn and fails (exit 2, one line) without a WebGPU adapter — never a
 * silent CPU run; `auto` uses Dawn when an adapter exists, else the CPU pipeline; `cpu` always the
 * CPU pipeline.
 *
 * `--model nuclei | cells`: the bundled 3-D U-Nets (server/inference/bundled-models.ts, models/<name>/);
 * any other value is resolved like `run-model --model` (an .onnx file, with --card, or a registry id /
 * name / name@version in the workstation's database): `runModelOnVolume` runs the network and its
 * instance step ('cell-pipeline': seeds + watershed on the network's maps; 'connected-components');
 * a card whose output.instances is 'none' is refused before anything runs. Devices for models
 * (server/inference/run-onnx.ts): gpu = our WebGPU engine on Dawn (exit 2 without an adapter), cpu =
 * onnxruntime-node on the CPU (our engine is GPU-only), auto = our engine when an adapter exists and
 * supports the model, else onnxruntime-node (the reason is reported). `--min-size` overrides the
 * instance step's minimum size; the classical-only flags are refused with a model.
 *
 * The device, runner and adapter actually used are printed; --json adds the parameters (per-axis
 * voxel values; the model, its card and the instance-step parameters), per-instance stats and timings.
 */
import { createHash } from 'node:crypto';
import { ArgumentError, TesseraError, isTesseraError } from '../../lib/errors';
import type { ModelCard } from '../../lib/model/card';
import { segmentCells, type ClassicalParams, type SegmentResult } from '../../lib/segmentation/pipeline';
import { isBundledModelName, loadBundledModel } from '../../server/inference/bundled-models';
import { runModelOnVolume } from '../../server/inference/run-model-on-volume';
import { acquireCliGpu } from '../gpu';
import { numberFlag, parse, requireString, type Parsed } from '../args';
import { labelNiftiFor, readImageFile, wantsGzip, writeBytes, type ImageFile } from '../io';
import { deviceNote, pipelineMsOf, writeJsonReport } from '../report';
import { readCard, readModel } from './run-model';

export const SEGMENT_CELLS_HELP = `Usage: tessera segment-cells <input.nii[.gz] | input.tif[f]> --out <labels.nii.gz> [options]

Segment nuclei/cells into instances: the classical pipeline (Gaussian smoothing, Otsu threshold,
distance transform, seeds, watershed) or a 3-D U-Net (bundled 'nuclei' / 'cells', or your own).
Input: NIfTI, or a TIFF z stack (ImageJ / OME; 8/16/32-bit, float; one channel). Output: a label
NIfTI on the input's grid (a TIFF's voxel size, e.g. µm, goes on a diagonal affine).

Options:
  --out <file>            label NIfTI to write (required; .gz = gzip)
  --model <m>             classical (default) = the classical pipeline;
                          nuclei = bundled U-Net for fluorescent nuclei;
                          cells = bundled U-Net for membrane-stained cells (PlantSeg-style);
                          or, like run-model: an .onnx file (with --card), or a registry id /
                          name / name@version (the workstation's database: DATABASE_URL)
  --card <card.json>      model card for an .onnx file (overrides a registered/bundled card); its
                          output.instances must be 'cell-pipeline' or 'connected-components'
  --json <file>           per-instance stats, parameters, model, device, runner and timings
  --min-size <voxels>     drop instances smaller than this (default 50; models: the card's)
  --device <auto|cpu|gpu> where to run (default auto).
                          classical: gpu = WebGPU (Dawn), fails without an adapter;
                                     auto = WebGPU when an adapter exists, else CPU; cpu = CPU
                          models:    gpu = Tessera's WebGPU engine (Dawn), fails without an adapter;
                                     cpu = onnxruntime-node on the CPU;
                                     auto = WebGPU engine when an adapter exists, else onnxruntime-node
  -h, --help              show this help
Classical pipeline only:
  --smooth <sigma>        Gaussian sigma in physical units, 0 = off (default 0.5)
  --min-distance <d>      minimum seed distance in physical units (default 3.0)
  --threshold <t>         foreground threshold on the smoothed image (default: Otsu)`;

export type Device = 'auto' | 'cpu' | 'gpu';

/** Validates --device. */
export function resolveDevice(requested: string): Device {
  if (requested === 'cpu' || requested === 'auto' || requested === 'gpu') return requested;
  throw new ArgumentError(`--device must be auto, cpu or gpu, got '${requested}'`, { where: '--device' });
}

export interface DeviceRun {
  result: SegmentResult;
  device: 'webgpu' | 'cpu';
  adapter: string | null;
  /** Why 'auto' ran on the CPU (no adapter), if it did. */
  fallback?: string;
}

/** Runs the pipeline on the requested device (see the file comment for the rules). */
export async function segmentOnDevice(requested: Device, volume: Parameters<typeof segmentCells>[0], params: ClassicalParams): Promise<DeviceRun> {
  if (requested !== 'cpu') {
    let ctx: Awaited<ReturnType<typeof acquireCliGpu>> | null = null;
    let fallback: string | undefined;
    try {
      ctx = await acquireCliGpu();
    } catch (e) {
      if (requested === 'gpu' || !(e instanceof TesseraError) || e.code !== 'GPU_UNAVAILABLE') throw e;
      fallback = e.message;
    }
    if (ctx) {
      const { segmentCellsGpu } = await import('../../gpu-kernels/pipeline/pipeline');
      const result = await segmentCellsGpu(ctx, volume, params);
      return { result, device: 'webgpu', adapter: result.device.adapter };
    }
    return { result: segmentCells(volume, params), device: 'cpu', adapter: null, fallback };
  }
  return { result: segmentCells(volume, params), device: 'cpu', adapter: null };
}

const CLASSICAL_ONLY = ['smooth', 'min-distance', 'threshold'] as const;
const MODEL_HINT = "Give --model classical, nuclei or cells, an .onnx file (with --card), or a registry id / name / name@version.";

export interface SegmentModel {
  bytes: Uint8Array;
  card: ModelCard;
  /** 'bundled' | 'file' | 'registry', and where exactly. */
  source: 'bundled' | 'file' | 'registry';
  from: string;
}

/**
 * The model behind `--model` (anything but 'classical'): 'nuclei' / 'cells' = the bundled models;
 * else run-model's resolver (.onnx file or registry reference). `--card` replaces the card. The
 * card's sha256, when it has one, must match the bytes; its instance step must produce instances.
 */
export async function resolveSegmentModel(arg: string, cardPath: string | undefined): Promise<SegmentModel> {
  let m: Omit<SegmentModel, 'card'> & { card: ModelCard | null };
  if (isBundledModelName(arg)) {
    const b = loadBundledModel(arg);
    m = { bytes: b.bytes, card: b.card, source: 'bundled', from: b.path };
  } else {
    try {
      const r = await readModel(arg);
      m = { bytes: r.bytes, card: r.card, source: r.from === arg ? 'file' : 'registry', from: r.from };
    } catch (e) {
      if (isTesseraError(e) && e.code === 'INVALID_ARGUMENT' && e.where === '--model') {
        throw new ArgumentError(`unknown model '${arg}': not classical, nuclei or cells, not a file, and ${e.message.replace(/^no model '[^']*' /, 'not ')}`, {
          where: '--model',
          hint: MODEL_HINT,
        });
      }
      throw e;
    }
  }
  const card = cardPath !== undefined ? readCard(cardPath) : m.card;
  if (!card) {
    throw new ArgumentError(`the model file ${arg} needs a card saying how to make instances`, {
      where: '--card',
      hint: "Give --card card.json with output.instances 'cell-pipeline' (or 'connected-components'), or use run-model for a class map.",
    });
  }
  if (card.sha256) {
    const got = createHash('sha256').update(m.bytes).digest('hex');
    if (got !== card.sha256) {
      throw new ArgumentError(`the model's sha256 ${got} differs from the card's ${card.sha256}`, { where: '--model', hint: 'Give the model file the card describes.' });
    }
  }
  if (card.output.instances === 'none') {
    throw new ArgumentError(`model ${card.name}@${card.version} makes no instances (its card's output.instances is 'none')`, {
      where: '--model',
      hint: "Use a card with output.instances 'cell-pipeline' or 'connected-components', or run-model for a class map.",
    });
  }
  return { ...m, card };
}

function oneInput(positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new ArgumentError(`expected one input file, got ${positionals.length}`, {
      where: 'segment-cells',
      hint: "Run 'tessera segment-cells --help' for usage.",
    });
  }
  return positionals[0];
}

export async function segmentCellsCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('segment-cells', argv, {
    out: { type: 'string' },
    model: { type: 'string', default: 'classical' },
    card: { type: 'string' },
    json: { type: 'string' },
    smooth: { type: 'string' },
    'min-distance': { type: 'string' },
    threshold: { type: 'string' },
    'min-size': { type: 'string' },
    device: { type: 'string', default: 'auto' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(SEGMENT_CELLS_HELP);
    return 0;
  }
  const input = oneInput(positionals);
  const out = requireString(values, 'out', 'segment-cells');
  const modelArg = String(values.model);
  if (modelArg === '') throw new ArgumentError('--model is empty', { where: '--model', hint: MODEL_HINT });
  const requested = String(values.device);
  const wanted = resolveDevice(requested);
  if (modelArg !== 'classical') return segmentWithModel(values, input, out, modelArg, wanted, log);
  if (typeof values.card === 'string') {
    throw new ArgumentError('--card applies to models, not to --model classical', { where: '--card', hint: MODEL_HINT });
  }
  const params: ClassicalParams = {
    smoothSigma: numberFlag(values, 'smooth', { min: 0 }),
    minDistance: numberFlag(values, 'min-distance', { min: 0, exclusiveMin: true }),
    threshold: numberFlag(values, 'threshold'),
    minVoxels: numberFlag(values, 'min-size', { min: 0, integer: true }),
  };
  const t0 = performance.now();
  const img = readImageFile(input);
  const tRead = performance.now() - t0;
  const { result: res, device, adapter, fallback } = await segmentOnDevice(wanted, img.volume, params);
  const t1 = performance.now();
  writeBytes(out, labelNiftiFor(img, res.labels.data, { gzip: wantsGzip(out) }));
  const tWrite = performance.now() - t1;
  const pipelineMs = pipelineMsOf(res.timings);
  writeJsonReport(values.json, () => ({
    input,
    output: out,
    model: 'classical',
    runner: 'tessera',
    device,
    adapter,
    deviceRequested: requested,
    ...(fallback ? { gpuFallback: fallback } : {}),
    ...inputReport(img),
    threshold: res.threshold,
    params: res.params,
    seedCount: res.seedCount,
    instanceCount: res.instances.length,
    timingsMs: { read: tRead, ...res.timings, write: tWrite },
    pipelineMs,
    versions: { node: process.versions.node },
    instances: res.instances,
  }));
  log(
    `segment-cells: ${res.instances.length} instances, threshold ${res.threshold.toPrecision(6)}, ` +
      `min distance ${res.params.minDistanceVoxels.join('×')} voxels, ${pipelineMs.toFixed(0)} ms ` +
      `(${deviceNote(device, adapter)}) → ${out}`,
  );
  return 0;
}

/** The input's format, grid and units for the --json report. */
function inputReport(img: ImageFile) {
  return {
    inputFormat: img.format,
    shape: img.volume.shape,
    spacing: img.volume.spacing,
    units: img.volume.units ?? null,
  };
}

/** `--model` other than classical: a U-Net (or any instance-making model) through runModelOnVolume. */
async function segmentWithModel(values: Parsed['values'], input: string, out: string, modelArg: string, device: Device, log: (s: string) => void): Promise<number> {
  for (const f of CLASSICAL_ONLY) {
    if (values[f] !== undefined) {
      throw new ArgumentError(`--${f} applies to --model classical only`, {
        where: `--${f}`,
        hint: "A model's instance step takes its parameters from the card; --min-size overrides its minimum size.",
      });
    }
  }
  const minVoxels = numberFlag(values, 'min-size', { min: 0, integer: true });
  const cardPath = typeof values.card === 'string' ? values.card : undefined;
  const model = await resolveSegmentModel(modelArg, cardPath);
  const t0 = performance.now();
  const img = readImageFile(input);
  const tRead = performance.now() - t0;
  const res = await runModelOnVolume(model.bytes, img.volume, model.card, {
    device,
    acquire: acquireCliGpu,
    ...(minVoxels !== undefined ? { cellPipeline: { minVoxels } } : {}),
  });
  if (!res.instanceLabels) {
    throw new TesseraError('SHAPE_MISMATCH', `model ${model.card.name}@${model.card.version} returned no instance labels`, { where: '--model', hint: 'Check the card\'s output.instances.' });
  }
  const t1 = performance.now();
  writeBytes(out, labelNiftiFor(img, res.instanceLabels, { gzip: wantsGzip(out) }));
  const tWrite = performance.now() - t1;
  const ri = res.runInfo;
  const modelTimings = (res.params.timingsMs ?? {}) as Record<string, number>;
  const sha256 = createHash('sha256').update(model.bytes).digest('hex');
  const card = model.card;
  writeJsonReport(values.json, () => ({
    input,
    output: out,
    model: { arg: modelArg, name: card.name, version: card.version, task: card.task, sha256, source: model.source, from: model.from, instances: card.output.instances },
    deviceRequested: device,
    ...ri,
    ...inputReport(img),
    params: res.params,
    instanceCount: res.instances.length,
    timingsMs: { read: tRead, ...modelTimings, write: tWrite },
    pipelineMs: modelTimings.total ?? null,
    versions: { node: process.versions.node },
    instances: res.instances,
  }));
  log(
    `segment-cells: ${res.instances.length} instances, model ${card.name}@${card.version}, ` +
      `${(modelTimings.total ?? ri.ms).toFixed(0)} ms (device: ${ri.device}, adapter: ${ri.adapter ?? 'none'}, runner: ${ri.runner})` +
      `${ri.fallbackReason ? ` (fallback: ${ri.fallbackReason})` : ''} → ${out}`,
  );
  return 0;
}
