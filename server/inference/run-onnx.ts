/**
 * SERVER-SIDE (Node only; also used by the CLI): run an ONNX network on one input tensor with our
 * WebGPU engine (gpu-kernels/onnx on Dawn) or with onnxruntime-node, and say which ran and why.
 *
 * Devices:
 * - 'gpu': our engine on Dawn. No adapter → `GpuUnavailableError` (code GPU_UNAVAILABLE), never a
 *   silent CPU run. A model our engine rejects (unsupported ops, checked before any GPU work) runs
 *   on onnxruntime-node instead, with `unsupportedOps`, `fallbackReason` and `delegated` = the
 *   model's node count (the whole graph ran on onnxruntime) recorded.
 * - 'auto': our engine when an adapter exists and the model is supported, else onnxruntime-node
 *   with `fallbackReason` ('no WebGPU adapter: …', 'unsupported ops: Erf, Floor', or a GPU limits
 *   error for an over-large non-tileable model).
 * - 'cpu' and 'ort': onnxruntime-node's CPU execution provider. Our engine is GPU-only (its CPU
 *   twins are per-kernel test references, not a runner), so "cpu" means onnxruntime.
 * onnxruntime runs with spinning worker threads disabled (they starve other work sharing the cores).
 * When the model declares fixed spatial input dims that differ from the tensor's (fully
 * convolutional nets exported at 256³ run on crops), those dims are made symbolic for onnxruntime;
 * our engine accepts any spatial size itself.
 *
 * The Dawn device is acquired lazily once per process and shared (re-acquired if lost); the Vulkan
 * driver is chosen by server/gpu/vulkan.ts before Dawn loads. Call from the main thread, or set
 * VK_ICD_FILENAMES in the main thread before a worker calls it. The CLI passes its own `acquire`.
 */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { ArgumentError, FormatError, TesseraError, isTesseraError } from '../../lib/errors';
import { type GpuModel, type RunStats, UnsupportedOpError, prepareModel, runModel } from '../../gpu-kernels/onnx';
import { declaresOtherSpatialDims, freeSpatialDims } from '../../gpu-kernels/onnx/meshnet-data';
import { runSlidingWindow } from '../../gpu-kernels/onnx/sliding-window';
import { slidingWindow } from '../../lib/tensor/sliding-window';
import { decodeModelProto } from '../../gpu-kernels/onnx/proto';
import { type GpuContext, GpuUnavailableError } from '../../gpu-kernels/runtime';
import { ensureVulkanIcd } from '../gpu/vulkan';

export type InferenceDevice = 'auto' | 'gpu' | 'cpu' | 'ort';

export interface RunOnnxOptions {
  device: InferenceDevice;
  /** Progress of the run: (tiles done, tiles total) on the GPU; (0,1) then (1,1) on onnxruntime. */
  onProgress?(done: number, total: number): void;
  /** Caps on the limits our engine sees (e.g. a small binding forces its tiled path). */
  limits?: { maxStorageBufferBindingSize?: number };
  /** The GPU device to use (default: the process-wide Dawn device, see `acquireInferenceGpu`). */
  acquire?: () => Promise<GpuContext>;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  ortThreads?: number;
  /**
   * Sliding-window inference (U-Nets, crop-trained nets): window size per spatial axis in TENSOR
   * order, overlap fraction (default 0.5), Gaussian blending (lib/tensor/sliding-window.ts). Both
   * runners use the same windows and weights; progress counts windows.
   */
  window?: number[] | null;
  overlap?: number;
  /** Test-time mirroring: spatial axes in TENSOR order (lib/tensor/sliding-window.ts `mirror`); with `window` only. */
  mirror?: number[];
}

export interface OnnxRunOutput {
  data: Float32Array | Int32Array;
  dims: number[];
  type: 'float32' | 'int32';
}

export interface RunOnnxResult {
  /** The model's first output. */
  output: OnnxRunOutput;
  runner: 'tessera' | 'onnxruntime-node';
  device: 'webgpu' | 'cpu';
  adapter: string | null;
  /**
   * ONNX nodes our engine handed to onnxruntime although an adapter was there: the model's node
   * count after an unsupported-op (or GPU-limits) fallback, else 0 (also 0 for 'cpu'/'ort' and for
   * 'auto' without an adapter, where onnxruntime was the only runner).
   */
  delegated: number;
  /** Ops our engine lacks (when it was considered and rejected the model). */
  unsupportedOps: string[];
  /** Why the model did not run on our engine although the device allowed it; null otherwise. */
  fallbackReason: string | null;
  /** Our engine's activation memory (bytes); null on onnxruntime. */
  peakBytes: number | null;
  /** Tiles our engine ran (1 untiled); 1 on onnxruntime (one whole-volume run); sliding windows: the window count. */
  tiles: number;
  /** Sliding windows run (0 = one whole pass). */
  windows: number;
  /** Wall time of the run (incl. session creation / upload / readback), ms. */
  ms: number;
}

// ------------------------------------------------------------------ the shared Dawn device

const shared = globalThis as unknown as { __tesseraInferenceGpu?: Promise<GpuContext> | null };

/** The process-wide Dawn device for inference (lazy; re-acquired when lost). Throws GPU_UNAVAILABLE. */
export async function acquireInferenceGpu(): Promise<GpuContext> {
  const cur = shared.__tesseraInferenceGpu;
  if (cur) {
    const ctx = await cur;
    if (!ctx.isLost) return ctx;
  }
  const p = (async () => {
    const icd = ensureVulkanIcd();
    let nodeGpu: typeof import('../../gpu-kernels/runtime/node-gpu');
    try {
      nodeGpu = await import('../../gpu-kernels/runtime/node-gpu');
    } catch (e) {
      throw new GpuUnavailableError(`Dawn (npm webgpu) could not be loaded: ${e instanceof Error ? e.message : String(e)} (VK_ICD_FILENAMES=${icd ?? 'unset'})`, { where: 'acquireInferenceGpu', cause: e });
    }
    return nodeGpu.acquireNodeDevice({ label: 'tessera-inference' });
  })();
  shared.__tesseraInferenceGpu = p;
  return p;
}

// ------------------------------------------------------------------ our engine

const gpuModels = new Map<string, GpuModel>();

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** prepareModel with a small cache (shape plans live on the GpuModel). */
function preparedModel(bytes: Uint8Array): GpuModel {
  const key = sha256(bytes);
  let m = gpuModels.get(key);
  if (!m) {
    m = prepareModel(bytes);
    if (gpuModels.size >= 4) gpuModels.delete(gpuModels.keys().next().value as string);
    gpuModels.set(key, m);
  }
  return m;
}

function nodeCount(bytes: Uint8Array): number {
  try {
    return decodeModelProto(bytes).graph?.node?.length ?? 0;
  } catch {
    return 0;
  }
}

async function runOnGpu(ctx: GpuContext, model: GpuModel, input: { data: Float32Array; dims: number[] }, opts: RunOnnxOptions): Promise<RunOnnxResult> {
  const g = model.graph;
  if (g.inputs.length !== 1) {
    throw new ArgumentError(`the model has ${g.inputs.length} inputs; volume models take one`, { where: 'runOnnx', hint: `Inputs: ${g.inputs.map((i) => i.name).join(', ')}.` });
  }
  const c = opts.limits?.maxStorageBufferBindingSize ? ctx.withLimits({ maxStorageBufferBindingSize: opts.limits.maxStorageBufferBindingSize }) : ctx;
  const stats: Partial<RunStats> & { windows?: number } = {};
  const t0 = performance.now();
  const o = opts.window
    ? { ...(await runSlidingWindow(c, model, input, { window: opts.window, overlap: opts.overlap, mirror: opts.mirror, onProgress: opts.onProgress }, stats)), type: 'float32' as const }
    : (await runModel(c, model, { [g.inputs[0].name]: input }, { onProgress: opts.onProgress }, stats))[g.outputs[0]];
  const ms = performance.now() - t0;
  return {
    output: { data: o.data, dims: o.dims, type: o.type },
    runner: 'tessera',
    device: 'webgpu',
    adapter: stats.adapter ?? ctx.adapterInfo.name,
    delegated: stats.delegated ?? 0,
    unsupportedOps: [],
    fallbackReason: null,
    peakBytes: stats.peakBytes ?? null,
    tiles: stats.windows ?? stats.tiles ?? 1,
    windows: stats.windows ?? 0,
    ms,
  };
}

// ------------------------------------------------------------------ onnxruntime-node

/** The model with symbolic spatial dims when the declared ones differ from `dims` (crops of fixed-size exports). */
function relaxSpatialDims(bytes: Uint8Array, dims: number[]): Uint8Array {
  return declaresOtherSpatialDims(bytes, dims) ? freeSpatialDims(bytes) : bytes;
}

function toOutput(t: ort.Tensor): OnnxRunOutput {
  const dims = Array.from(t.dims, Number);
  if (t.type === 'float32') return { data: t.data as Float32Array, dims, type: 'float32' };
  if (t.type === 'int64') return { data: Int32Array.from(t.data as BigInt64Array, (v) => Number(v)), dims, type: 'int32' };
  if (t.type === 'int32') return { data: t.data as Int32Array, dims, type: 'int32' };
  if (t.type === 'uint8' || t.type === 'int8' || t.type === 'uint16' || t.type === 'int16') return { data: Int32Array.from(t.data as ArrayLike<number>), dims, type: 'int32' };
  throw new FormatError(`onnxruntime returned a ${t.type} output; expected float32 scores or integer class ids`, { where: 'runOnnx' });
}

async function runOnOrt(bytes: Uint8Array, input: { data: Float32Array; dims: number[] }, opts: RunOnnxOptions): Promise<OnnxRunOutput & { ms: number; windows: number }> {
  const t0 = performance.now();
  opts.onProgress?.(0, 1);
  let model: Uint8Array;
  try {
    model = relaxSpatialDims(bytes, opts.window ? [...input.dims.slice(0, 2), ...opts.window] : input.dims);
  } catch (e) {
    throw new FormatError(`not an ONNX model: ${e instanceof Error ? e.message : String(e)}`, { where: 'runOnnx', cause: e });
  }
  const session = await ort.InferenceSession.create(model, {
    ...(opts.ortThreads ? { intraOpNumThreads: opts.ortThreads } : {}),
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  try {
    if (session.inputNames.length !== 1) {
      throw new ArgumentError(`the model has ${session.inputNames.length} inputs; volume models take one`, { where: 'runOnnx', hint: `Inputs: ${session.inputNames.join(', ')}.` });
    }
    const runOne = async (x: { data: Float32Array; dims: number[] }) =>
      toOutput((await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) }))[session.outputNames[0]]);
    if (opts.window) {
      const r = await slidingWindow(input, { window: opts.window, overlap: opts.overlap, mirror: opts.mirror, onProgress: opts.onProgress }, runOne);
      return { data: r.data, dims: r.dims, type: 'float32', windows: r.windows, ms: performance.now() - t0 };
    }
    const out = await runOne(input);
    opts.onProgress?.(1, 1);
    return { ...out, windows: 0, ms: performance.now() - t0 };
  } finally {
    await session.release();
  }
}

// ------------------------------------------------------------------ the runner

/**
 * Runs `bytes` (an ONNX model with one input) on `input` as `opts.device` says (file comment).
 * Throws GPU_UNAVAILABLE for 'gpu' without an adapter; FORMAT_INVALID for a file that is not ONNX.
 */
export async function runOnnx(bytes: Uint8Array, input: { data: Float32Array; dims: number[] }, opts: RunOnnxOptions): Promise<RunOnnxResult> {
  const where = 'runOnnx';
  if (!(input.data instanceof Float32Array) || input.data.length !== input.dims.reduce((a, b) => a * b, 1)) {
    throw new ArgumentError(`input must be a Float32Array of ${input.dims.join('×')} values`, { where });
  }
  const device = opts.device;
  if (device !== 'auto' && device !== 'gpu' && device !== 'cpu' && device !== 'ort') {
    throw new ArgumentError(`device must be auto, gpu, cpu or ort, got '${String(device)}'`, { where });
  }
  const viaOrt = async (fallback: { reason: string | null; unsupportedOps: string[]; delegated: number }): Promise<RunOnnxResult> => {
    const o = await runOnOrt(bytes, input, opts);
    return {
      output: { data: o.data, dims: o.dims, type: o.type },
      runner: 'onnxruntime-node',
      device: 'cpu',
      adapter: null,
      delegated: fallback.delegated,
      unsupportedOps: fallback.unsupportedOps,
      fallbackReason: fallback.reason,
      peakBytes: null,
      tiles: o.windows || 1,
      windows: o.windows,
      ms: o.ms,
    };
  };
  if (device === 'cpu' || device === 'ort') return viaOrt({ reason: null, unsupportedOps: [], delegated: 0 });

  // 'gpu' needs the adapter first (never a silent CPU run); 'auto' notes its absence.
  let ctx: GpuContext | null = null;
  let noAdapter: string | null = null;
  try {
    ctx = await (opts.acquire ?? acquireInferenceGpu)();
  } catch (e) {
    if (device === 'gpu' || !isTesseraError(e) || e.code !== 'GPU_UNAVAILABLE') throw e;
    noAdapter = e.message;
  }
  // Our engine's verdict on the model (CPU only, before any GPU work).
  let model: GpuModel | null = null;
  let unsupportedOps: string[] = [];
  let rejected: string | null = null;
  try {
    model = preparedModel(bytes);
  } catch (e) {
    if (e instanceof UnsupportedOpError) {
      unsupportedOps = e.ops;
      rejected = `unsupported ops: ${e.ops.join(', ')}`;
    } else if (isTesseraError(e) && e.code === 'FORMAT_UNSUPPORTED') {
      rejected = `our engine cannot load the model: ${e.message}`;
    } else throw e;
  }
  if (!ctx) {
    const reason = rejected ? `no WebGPU adapter (${noAdapter}); ${rejected}` : `no WebGPU adapter: ${noAdapter}`;
    return viaOrt({ reason, unsupportedOps, delegated: 0 });
  }
  if (!model) return viaOrt({ reason: rejected, unsupportedOps, delegated: nodeCount(bytes) });
  try {
    return await runOnGpu(ctx, model, input, opts);
  } catch (e) {
    // 'auto' only: a model too large for the adapter that cannot be tiled still gets a result.
    if (device === 'auto' && e instanceof TesseraError && e.code === 'GPU_LIMITS') {
      return viaOrt({ reason: `GPU limits: ${e.message}`, unsupportedOps: [], delegated: nodeCount(bytes) });
    }
    throw e;
  }
}
