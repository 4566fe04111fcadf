/// <reference types="@webgpu/types" />
/**
 * Runs a prepared ONNX graph on WebGPU.
 *
 * `runModel(ctx, model, inputs)` plans shapes and buffers for the input dims (cached), uploads the
 * inputs, records every node's dispatches into one compute pass (activations live in liveness-
 * planned slots), and reads back the graph outputs. Nothing is delegated: a model with an op this
 * engine lacks is rejected by `prepareModel` with `UnsupportedOpError` before any GPU work.
 *
 * When a value would exceed `maxStorageBufferBindingSize` and the network is fully convolutional
 * (stride-1 'same' convolutions, pointwise ops, channel-axis Concat/Softmax/ArgMax), the volume is
 * split into 3-D tiles whose halo equals the receptive-field radius; the whole network runs per
 * tile, the halo is cropped and the tiles are stitched — exactly the untiled result.
 */
import { ArgumentError, ShapeError } from '../../lib/errors';
import { copyBox, extractBox } from '../../lib/tensor/box';
import type { Binding, GpuContext } from '../runtime/device';
import { GpuLimitsError } from '../runtime/errors';
import { type GraphPlan, type PlannedNode, type PreparedGraph, planGraph, prepareGraph } from './graph';
import { type OnnxModel, loadOnnx } from './loader';
import { Recorder, prod, stridesOf } from './ops/common';
import { type ConvPrecision, type PrecisionOption, conv, convTranspose, resolveConvPrecision } from './ops/conv/conv';
import { affine, binary, concat, transpose, unary } from './ops/elementwise/elementwise';
import { instanceNorm } from './ops/norm/instance-norm';
import { pool } from './ops/pool/pool';
import { argmax, softmax } from './ops/reduce/reduce';
import { resize } from './ops/resize/resize';
import { runLayerTiled } from './layer-tiling';

export interface InputTensor { data: Float32Array; dims: number[] }
export interface OutputTensor { data: Float32Array | Int32Array; dims: number[]; type: 'float32' | 'int32' }

export interface GpuModel {
  model: OnnxModel;
  graph: PreparedGraph;
  /** Plans by input dims key. */
  plans: Map<string, GraphPlan>;
}

export interface RunOptions {
  /**
   * 'auto' (default) = 'layer' when a value exceeds a binding: per-layer boxes (layer-tiling.ts);
   * 'network': whole-network tiles with a receptive-field halo; 'never': throw GPU_LIMITS instead.
   */
  tiling?: 'auto' | 'layer' | 'network' | 'never';
  /** Use the generic conv kernel everywhere (tests compare the two paths). */
  genericConv?: boolean;
  /**
   * Conv arithmetic: 'f32', 'f16' (f16 weights and input tiles, f32 accumulation; needs the
   * adapter feature `shader-f16`, else GPU_UNAVAILABLE) or 'auto' (default: see
   * `resolveConvPrecision` / README; f32 where `shader-f16` is missing). Activations stay f32.
   */
  precision?: PrecisionOption;
  /** Submit and wait after every node, recording per-node times in `stats.profile`. */
  profile?: boolean;
  /** Called after each tile / slab step with (done, total); total is 1 for an untiled run. */
  onProgress?: (done: number, total: number) => void;
}

export interface RunStats {
  adapter: string;
  /** ONNX nodes in the file, GPU nodes after fusion, nodes delegated to another runtime (always 0). */
  onnxNodes: number;
  gpuNodes: number;
  delegated: number;
  /** Bytes of the activation slots of one (tile) run, inputs and outputs included. */
  peakBytes: number;
  /** Bytes if every value had its own buffer. */
  naiveBytes: number;
  constantBytes: number;
  /** Number of tiles (1 when untiled) and the tile boxes' output sizes. */
  tiles: number;
  tileOutput?: number[];
  halo?: number[];
  convPaths: { tiled: number; generic: number };
  /** The conv precision this run used (`opts.precision` resolved for the adapter). */
  precision: ConvPrecision;
  ms: number;
  /** Per-node device times with `opts.profile`. */
  profile?: { node: string; ms: number }[];
}

/** Loads (if bytes) and prepares a model; throws UnsupportedOpError before any GPU work. */
export function prepareModel(src: Uint8Array | ArrayBuffer | OnnxModel): GpuModel {
  const model = src instanceof Uint8Array || src instanceof ArrayBuffer ? loadOnnx(src) : src;
  return { model, graph: prepareGraph(model), plans: new Map() };
}

function planFor(m: GpuModel, dims: Record<string, number[]>): GraphPlan {
  const key = JSON.stringify(m.graph.inputs.map((i) => dims[i.name]));
  let p = m.plans.get(key);
  if (!p) {
    p = planGraph(m.graph, dims);
    if (m.plans.size > 32) m.plans.clear();
    m.plans.set(key, p);
  }
  return p;
}

// ------------------------------------------------------------------ receptive field

export interface ReceptiveField {
  /** True when the network can run tile by tile exactly (see module comment). */
  tileable: boolean;
  /** Why not, naming the first blocking node. */
  reason?: string;
  /** Halo per spatial axis (voxels each side) a tile needs for exact outputs. */
  halo: number[];
  /** Receptive field size per spatial axis (2·halo + 1). */
  size: number[];
}

/** Receptive field of a fully convolutional network (per spatial axis), for exact tiling. */
export function receptiveField(src: GpuModel | OnnxModel | Uint8Array): ReceptiveField {
  const m = 'graph' in src && 'plans' in src ? src : prepareModel(src as OnnxModel | Uint8Array);
  const g = m.graph;
  const sp = Math.max(1, ...g.inputs.map((i) => (i.dims?.length ?? 5) - 2));
  const rad = new Map<string, number[]>();
  for (const i of g.inputs) rad.set(i.name, Array(sp).fill(0));
  const fail = (reason: string): ReceptiveField => ({ tileable: false, reason, halo: Array(sp).fill(0), size: Array(sp).fill(1) });
  for (const [k, c] of g.constants) {
    // constants may only broadcast over spatial axes
    const s = c.dims.slice(-sp);
    if (c.dims.length >= sp && s.some((d) => d !== 1)) return fail(`constant '${k}' varies along spatial axes`);
    rad.set(k, Array(sp).fill(0));
  }
  for (const n of g.nodes) {
    const ins = n.inputs.map((v) => rad.get(v) ?? Array(sp).fill(0));
    const maxIn = ins.reduce((a, b) => a.map((v, i) => Math.max(v, b[i])), Array(sp).fill(0));
    const op = n.op;
    let out = maxIn;
    const where = `${n.name} (${n.source.join('+')})`;
    switch (op.kind) {
      case 'conv': {
        const k = op.wDims.slice(2);
        if (k.length !== sp || op.strides.some((s) => s !== 1) || op.autoPad !== 'NOTSET') return fail(`${where}: strided, auto-padded or lower-rank convolution`);
        out = maxIn.map((r, a) => {
          const ext = (k[a] - 1) * op.dilations[a];
          return op.pads[a] + op.pads[a + sp] === ext ? r + Math.max(op.pads[a], ext - op.pads[a]) : NaN;
        });
        if (out.some(Number.isNaN)) return fail(`${where}: convolution changes the spatial size`);
        break;
      }
      case 'unary': case 'affine': case 'binary':
        break;
      case 'concat': case 'softmax': {
        const axis = op.axis;
        if (axis !== 1 && !(op.kind === 'softmax' && axis === -(sp + 1))) return fail(`${where}: ${op.kind} over a non-channel axis`);
        if (op.kind === 'softmax' && op.legacy) return fail(`${where}: opset < 13 Softmax flattens spatial axes`);
        break;
      }
      case 'argmax':
        if (op.axis !== 1 && op.axis !== -(sp + 1)) return fail(`${where}: ArgMax over a non-channel axis`);
        break;
      case 'reshape':
        if (n.source[0] !== 'Identity') return fail(`${where}: Reshape`);
        break;
      case 'instnorm':
        return fail(`${where}: InstanceNormalization needs statistics over the whole volume (run it with a sliding window)`);
      default:
        return fail(`${where}: ${op.kind} is not tileable`);
    }
    rad.set(n.output, out);
  }
  const halo = g.outputs.map((o) => rad.get(o) ?? Array(sp).fill(0)).reduce((a, b) => a.map((v, i) => Math.max(v, b[i])), Array(sp).fill(0));
  return { tileable: true, halo, size: halo.map((h) => 2 * h + 1) };
}

/** Plans tiles: per-axis split counts minimising the voxels processed, each tile ≤ maxVoxels. */
export function planTiles(spatial: number[], halo: number[], maxVoxels: number): { starts: number[][]; sizes: number[][] } {
  const sp = spatial.length;
  let best: { k: number[]; cost: number } | null = null;
  const cap = spatial.map((s) => Math.min(s, 64));
  const k = Array(sp).fill(1);
  const held = (a: number, ka: number) => Math.min(spatial[a], Math.ceil(spatial[a] / ka) + 2 * halo[a]);
  const rec = (a: number) => {
    if (a === sp) {
      const vox = k.reduce((p, ka, i) => p * held(i, ka), 1);
      if (vox > maxVoxels) return;
      const cost = k.reduce((p, ka, i) => p * ka * held(i, ka), 1) + k.reduce((p, v) => p * v, 1) * 1e3;
      if (!best || cost < best.cost) best = { k: k.slice(), cost };
      return;
    }
    for (let v = 1; v <= cap[a]; v++) { k[a] = v; rec(a + 1); }
  };
  rec(0);
  if (!best) throw new GpuLimitsError(`no tiling of [${spatial}] with halo [${halo}] fits ${maxVoxels} voxels per binding`, { where: 'planTiles' });
  const kk = (best as { k: number[] }).k;
  const axisTiles = spatial.map((s, a) => {
    const t = Math.ceil(s / kk[a]);
    const out: [number, number][] = [];
    for (let o = 0; o < s; o += t) out.push([o, Math.min(s, o + t)]);
    return out;
  });
  const starts: number[][] = [], sizes: number[][] = [];
  const rec2 = (a: number, st: number[], sz: number[]) => {
    if (a === sp) { starts.push(st); sizes.push(sz); return; }
    for (const [o0, o1] of axisTiles[a]) rec2(a + 1, [...st, o0], [...sz, o1 - o0]);
  };
  rec2(0, [], []);
  return { starts, sizes };
}

// ------------------------------------------------------------------ execution

/**
 * Records one planned node's dispatches. `x(i)` binds the node's i-th input, `inDims`/`outDims`
 * are the shapes of this (possibly partial: a tile or slab box) execution; `y` is null for a Reshape
 * (an alias).
 */
export async function encodeNode(
  r: Recorder, n: PlannedNode, x: (i: number) => Binding, inDims: number[][], y: Binding | null, outDims: number[], opts: RunOptions, stats: RunStats,
): Promise<void> {
  const op = n.op;
  const xd = inDims[0];
  switch (op.kind) {
    case 'conv': {
      const path = await conv(r, x(0), xd, y!, outDims, { ...op, pads: n.resolved.pads }, opts.genericConv, resolveConvPrecision(r.ctx, opts.precision));
      stats.convPaths[path]++;
      break;
    }
    case 'convT':
      await convTranspose(r, x(0), xd, y!, outDims, { ...op, pads: n.resolved.pads });
      stats.convPaths.generic++;
      break;
    case 'affine': await affine(r, x(0), y!, xd, op.scale, op.shift); break;
    case 'instnorm': await instanceNorm(r, x(0), y!, xd, op.scale, op.bias, op.eps); break;
    case 'unary': await unary(r, x(0), y!, prod(xd), op.act); break;
    case 'softmax': await softmax(r, x(0), y!, xd, n.resolved.axis[0], op.legacy); break;
    case 'argmax': await argmax(r, x(0), y!, xd, n.resolved.axis[0], op.selectLast); break;
    case 'pool': await pool(r, x(0), xd, y!, outDims, { ...op, pads: n.resolved.pads }); break;
    case 'resize': await resize(r, x(0), xd, y!, outDims, { ...op, scales: n.resolved.scales }); break;
    case 'binary': await binary(r, op.fn, x(0), xd, x(1), inDims[1], y!, outDims); break;
    case 'transpose': await transpose(r, x(0), xd, n.resolved.perm, y!); break;
    case 'concat': await concat(r, n.inputs.map((_, i) => ({ b: x(i), dims: inDims[i] })), n.resolved.axis[0], y!, outDims); break;
    case 'reshape': break; // alias: same storage
  }
}

async function runWhole(ctx: GpuContext, m: GpuModel, inputs: Record<string, InputTensor>, opts: RunOptions, stats: RunStats): Promise<Record<string, OutputTensor>> {
  const g = m.graph;
  const dims: Record<string, number[]> = {};
  for (const i of g.inputs) dims[i.name] = inputs[i.name].dims;
  const plan = planFor(m, dims);
  const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  if (plan.largestValueBytes > limit) {
    throw new GpuLimitsError(`a value of ${plan.largestValueBytes} bytes exceeds the storage binding limit ${limit}`, { where: 'runModel' });
  }
  stats.peakBytes = Math.max(stats.peakBytes, plan.memory.peakBytes);
  stats.naiveBytes = Math.max(stats.naiveBytes, plan.memory.naiveBytes);
  stats.constantBytes = plan.memory.constantBytes;
  stats.gpuNodes = plan.nodes.length;
  const slotBufs = plan.memory.slots.map((b, i) => ctx.storage(b, `onnx.slot${i}`));
  const r = new Recorder(ctx);
  try {
    const bind = (v: string): Binding => {
      const c = g.constants.get(v);
      if (c) return { buffer: r.upload(c.data.length ? c.data : new Float32Array(1)), size: Math.max(4, c.data.length * 4) };
      const s = plan.memory.slotOf.get(v);
      if (s === undefined || s < 0) throw new ArgumentError(`value '${v}' has no buffer`, { where: 'runModel' });
      return { buffer: slotBufs[s], size: Math.max(4, prod(plan.dims.get(v)!) * 4) };
    };
    for (const i of g.inputs) {
      const d = inputs[i.name].data;
      const want = prod(dims[i.name]);
      if (d.length !== want) throw new ShapeError(`input '${i.name}' has ${d.length} values, dims [${dims[i.name]}] need ${want}`, { where: 'runModel' });
      ctx.write(slotBufs[plan.memory.slotOf.get(i.name)!], d);
    }
    for (const n of plan.nodes) {
      await encodeNode(r, n, (i) => bind(n.inputs[i]), n.inDims, n.op.kind === 'reshape' ? null : bind(n.output), n.outDims, opts, stats);
      if (opts.profile) {
        const t = performance.now();
        await r.flush(`onnx.${n.name}`);
        await ctx.sync();
        (stats.profile ??= []).push({ node: n.name, ms: performance.now() - t });
      }
    }
    await r.flush('onnx.run');
    const out: Record<string, OutputTensor> = {};
    for (const o of g.outputs) {
      const d = plan.dims.get(o)!;
      const isInt = g.intValues.has(o);
      const bytes = prod(d) * 4;
      const slot = plan.memory.slotOf.get(o)!;
      const buf = bytes ? await ctx.read(slotBufs[slot], 0, bytes, `onnx.read:${o}`) : new ArrayBuffer(0);
      out[o] = { data: isInt ? new Int32Array(buf) : new Float32Array(buf), dims: d.slice(), type: isInt ? 'int32' : 'float32' };
    }
    return out;
  } finally {
    ctx.release(...slotBufs);
  }
}

/**
 * Runs `model` on the GPU. `inputs` maps every graph input name to float32 data and dims.
 * Outputs are float32, except ArgMax results (int32). Fills `stats` when given.
 */
export async function runModel(
  ctx: GpuContext,
  model: GpuModel | OnnxModel | Uint8Array,
  inputs: Record<string, InputTensor>,
  opts: RunOptions = {},
  stats?: Partial<RunStats>,
): Promise<Record<string, OutputTensor>> {
  const t0 = performance.now();
  ctx.assertAlive('runModel');
  const m = 'graph' in model && 'plans' in model ? model : prepareModel(model as OnnxModel | Uint8Array);
  const g = m.graph;
  for (const i of g.inputs) {
    const t = inputs[i.name];
    if (!t || !(t.data instanceof Float32Array) || !Array.isArray(t.dims)) {
      throw new ArgumentError(`input '${i.name}' must be { data: Float32Array, dims: number[] }`, { where: 'runModel', hint: `The model's inputs: ${g.inputs.map((x) => x.name).join(', ')}.` });
    }
  }
  const st: RunStats = {
    adapter: ctx.adapterInfo.name, onnxNodes: m.model.nodes.length, gpuNodes: 0, delegated: 0, peakBytes: 0, naiveBytes: 0, constantBytes: 0,
    tiles: 1, convPaths: { tiled: 0, generic: 0 }, precision: resolveConvPrecision(ctx, opts.precision), ms: 0,
  };
  const dims: Record<string, number[]> = {};
  for (const i of g.inputs) dims[i.name] = inputs[i.name].dims;
  const full = planFor(m, dims);
  const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  let out: Record<string, OutputTensor>;
  if (full.largestValueBytes <= limit || opts.tiling === 'never') {
    out = await runWhole(ctx, m, inputs, opts, st);
    opts.onProgress?.(1, 1);
  } else {
    const rf = receptiveField(m);
    if (!rf.tileable) throw new GpuLimitsError(`a value of ${full.largestValueBytes} bytes exceeds the binding limit ${limit} and the model cannot be tiled: ${rf.reason}`, { where: 'runModel' });
    st.naiveBytes = full.memory.naiveBytes;
    st.constantBytes = full.memory.constantBytes;
    if (opts.tiling !== 'network') {
      out = await runLayerTiled(ctx, m, full, inputs, limit, opts, st);
      st.ms = performance.now() - t0;
      if (stats) Object.assign(stats, st);
      return out;
    }
    const first = g.inputs[0];
    const sp = rf.halo.length;
    const spatial = dims[first.name].slice(-sp);
    const bytesPerVoxel = full.largestValueBytes / prod(spatial);
    const tiles = planTiles(spatial, rf.halo, Math.floor(limit / bytesPerVoxel));
    st.tiles = tiles.starts.length;
    st.halo = rf.halo;
    st.tileOutput = tiles.sizes[0];
    out = {};
    for (const o of g.outputs) {
      const d = full.dims.get(o)!;
      const isInt = g.intValues.has(o);
      out[o] = { data: isInt ? new Int32Array(prod(d)) : new Float32Array(prod(d)), dims: d.slice(), type: isInt ? 'int32' : 'float32' };
    }
    for (let t = 0; t < tiles.starts.length; t++) {
      const o0 = tiles.starts[t], os = tiles.sizes[t];
      const h0 = o0.map((v, a) => Math.max(0, v - rf.halo[a]));
      const h1 = o0.map((v, a) => Math.min(spatial[a], v + os[a] + rf.halo[a]));
      const hs = h0.map((v, a) => h1[a] - v);
      const sub: Record<string, InputTensor> = {};
      for (const i of g.inputs) {
        const x = inputs[i.name];
        const isSpatial = x.dims.slice(-sp).join() === spatial.join();
        sub[i.name] = isSpatial ? { data: extractBox(x.data, x.dims, h0, hs), dims: [...x.dims.slice(0, -sp), ...hs] } : x;
      }
      const part = await runWhole(ctx, m, sub, opts, st);
      for (const o of g.outputs) {
        const p = part[o];
        copyBox(p.data, p.dims, o0.map((v, a) => v - h0[a]), out[o].data, out[o].dims, o0, os);
      }
      opts.onProgress?.(t + 1, tiles.starts.length);
    }
  }
  st.ms = performance.now() - t0;
  if (stats) Object.assign(stats, st);
  return out;
}

void stridesOf;
