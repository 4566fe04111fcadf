/// <reference types="@webgpu/types" />
/**
 * Per-layer tiling: runs a fully convolutional network whose activations exceed a storage binding,
 * without recomputing a whole-network halo.
 *
 * The spatial domain is split once into boxes (the same partition for every value). Every
 * activation is held on the device as one buffer per box ([N, C, box]). A node runs box by box:
 * its inputs are gathered over the box grown by *this node's* halo (a conv's pad before / reach
 * after, clipped to the volume) from the neighbouring box buffers into a temporary, the node's
 * own kernel runs on that temporary with its own padding, and the box's centre is copied into the
 * output's box buffer. Pointwise nodes (halo 0) read and write the box buffers directly.
 *
 * Exact: an output voxel inside the box only reads inputs within the node's reach, all of which
 * the grown box holds; where the grown box is clipped at the true volume border the kernel's zero
 * padding is the true padding. Work per conv layer grows by (box + halo) / box instead of the
 * whole-network receptive field (MeshNet GWM: 46 voxels each side) that whole-network tiles pay.
 */
import { prod, Recorder, stridesOf } from './ops/common';
import { stridedCopy } from './ops/elementwise/elementwise';
import { ArgumentError } from '../../lib/errors';
import type { Binding, GpuContext } from '../runtime/device';
import type { GraphPlan, PlannedNode } from './graph';
import { encodeNode, planTiles, type GpuModel, type InputTensor, type OutputTensor, type RunOptions, type RunStats } from './executor';

/** Voxels a node reads before / after each output voxel along each spatial axis. */
export function nodeHalo(n: PlannedNode, sp: number): { lo: number[]; hi: number[] } {
  const lo = Array(sp).fill(0), hi = Array(sp).fill(0);
  if (n.op.kind === 'conv') {
    const k = n.op.wDims.slice(2);
    const pads = n.resolved.pads;
    for (let a = 0; a < sp; a++) {
      const ext = (k[a] - 1) * n.op.dilations[a];
      lo[a] = pads[a];
      hi[a] = ext - pads[a];
    }
  }
  return { lo, hi };
}

interface Box { start: number[]; size: number[] }

/** Copies the part of `src` (a box buffer at `srcBox`) inside `region` into `dst` (holding `dstBox`). */
async function copyOverlap(
  r: Recorder, prefix: number[], src: Binding, srcBox: Box, dst: Binding, dstBox: Box, region: Box,
): Promise<void> {
  const sp = region.start.length;
  const a0 = region.start.map((s, a) => Math.max(s, srcBox.start[a], dstBox.start[a]));
  const a1 = region.start.map((s, a) => Math.min(s + region.size[a], srcBox.start[a] + srcBox.size[a], dstBox.start[a] + dstBox.size[a]));
  if (a0.some((v, a) => a1[a] <= v)) return;
  const size = a0.map((v, a) => a1[a] - v);
  const sDims = [...prefix, ...srcBox.size], dDims = [...prefix, ...dstBox.size];
  const ss = stridesOf(sDims), ds = stridesOf(dDims);
  const np = prefix.length;
  let sBase = 0, dBase = 0;
  for (let a = 0; a < sp; a++) {
    sBase += (a0[a] - srcBox.start[a]) * ss[np + a];
    dBase += (a0[a] - dstBox.start[a]) * ds[np + a];
  }
  await stridedCopy(r, src, dst, [...prefix, ...size], ss, ds, sBase, dBase);
}

/**
 * Runs `plan` (planned for the full input dims) box by box. `maxBytes` is the largest buffer a
 * binding may hold. Fills stats.tiles (boxes), stats.peakBytes (activation + temporary bytes alive
 * at once), stats.halo (largest per-node halo).
 */
export async function runLayerTiled(
  ctx: GpuContext, m: GpuModel, plan: GraphPlan, inputs: Record<string, InputTensor>, maxBytes: number, opts: RunOptions, st: RunStats,
): Promise<Record<string, OutputTensor>> {
  const g = m.graph;
  const first = g.inputs[0].name;
  const fullDims = plan.dims.get(first)!;
  const sp = fullDims.length - 2;
  const spatial = fullDims.slice(2);
  const halos = plan.nodes.map((n) => nodeHalo(n, sp));
  const maxHalo = spatial.map((_, a) => Math.max(0, ...halos.map((h) => Math.max(h.lo[a], h.hi[a]))));
  let prefixMax = 1;
  for (const d of plan.dims.values()) if (d.length === fullDims.length && d.slice(2).join() === spatial.join()) prefixMax = Math.max(prefixMax, d[0] * d[1]);
  const maxVoxels = Math.floor(maxBytes / (4 * prefixMax));
  const tiles = planTiles(spatial, maxHalo, maxVoxels);
  const boxes: Box[] = tiles.starts.map((s, i) => ({ start: s, size: tiles.sizes[i] }));
  st.tiles = boxes.length;
  st.tileOutput = boxes[0].size;
  st.halo = maxHalo;
  st.gpuNodes = plan.nodes.length;

  // Identity-like reshapes alias their input: values are keyed by their root
  const rootOf = new Map<string, string>();
  const root = (v: string): string => rootOf.get(v) ?? v;
  for (const n of plan.nodes) if (n.op.kind === 'reshape') rootOf.set(n.output, root(n.inputs[0]));
  // last consumer of every root value (graph outputs live to the end)
  const lastUse = new Map<string, number>();
  plan.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(root(v), i)));
  for (const o of g.outputs) lastUse.set(root(o), Infinity);

  const held = new Map<string, GPUBuffer[]>();
  let live = 0, peak = 0;
  const bytesOf = (v: string, b: Box) => 4 * plan.dims.get(v)!.slice(0, 2).reduce((p, x) => p * x, 1) * prod(b.size);
  const alloc = (bytes: number, label: string) => {
    live += bytes;
    peak = Math.max(peak, live);
    return ctx.storage(Math.max(4, bytes), label);
  };
  const free = (bufs: GPUBuffer[], bytes: number) => {
    ctx.release(...bufs);
    live -= bytes;
  };
  const freeValue = (v: string) => {
    const bufs = held.get(v);
    if (!bufs) return;
    held.delete(v);
    free(bufs, boxes.reduce((s, b) => s + bytesOf(v, b), 0));
  };

  const r = new Recorder(ctx);
  try {
    for (const i of g.inputs) {
      const x = inputs[i.name];
      const d = plan.dims.get(i.name)!;
      if (x.data.length !== prod(d)) throw new ArgumentError(`input '${i.name}' has ${x.data.length} values, dims [${d}] need ${prod(d)}`, { where: 'runModel' });
      const bufs = boxes.map((b, k) => {
        const buf = alloc(bytesOf(i.name, b), `onnx.in${k}`);
        ctx.write(buf, extractBoxN(x.data, d, b));
        return buf;
      });
      held.set(i.name, bufs);
    }
    const total = plan.nodes.length * boxes.length;
    let done = 0;
    for (let ni = 0; ni < plan.nodes.length; ni++) {
      const n = plan.nodes[ni];
      if (n.op.kind === 'reshape') {
        done += boxes.length;
        continue;
      }
      const h = halos[ni];
      const outPrefix = n.outDims.slice(0, 2);
      const outBufs: GPUBuffer[] = [];
      const pending: GPUBuffer[] = [];
      let pendingBytes = 0;
      const t0 = performance.now();
      for (let bi = 0; bi < boxes.length; bi++) {
        const b = boxes[bi];
        const grown: Box = {
          start: b.start.map((s, a) => Math.max(0, s - h.lo[a])),
          size: b.start.map((s, a) => Math.min(spatial[a], s + b.size[a] + h.hi[a]) - Math.max(0, s - h.lo[a])),
        };
        const exact = grown.size.every((s, a) => s === b.size[a]);
        const temps: GPUBuffer[] = [];
        let tempBytes = 0;
        const inDims: number[][] = [];
        const ins: Binding[] = n.inputs.map((v, k) => {
          const c = g.constants.get(v);
          if (c) {
            inDims.push(n.inDims[k]);
            return { buffer: r.upload(c.data.length ? c.data : new Float32Array(1)), size: Math.max(4, c.data.length * 4) };
          }
          const bufs = held.get(root(v));
          if (!bufs) throw new ArgumentError(`value '${v}' has no buffers`, { where: 'runModel' });
          const pre = plan.dims.get(v)!.slice(0, 2);
          if (exact) {
            inDims.push([...pre, ...b.size]);
            return { buffer: bufs[bi], size: Math.max(4, bytesOf(v, b)) };
          }
          const bytes = bytesOf(v, grown);
          const tmp = alloc(bytes, 'onnx.gather');
          temps.push(tmp);
          tempBytes += bytes;
          inDims.push([...pre, ...grown.size]);
          return { buffer: tmp, size: Math.max(4, bytes) };
        });
        // gather the grown box from the neighbouring box buffers
        if (!exact) {
          for (let k = 0; k < n.inputs.length; k++) {
            const v = n.inputs[k];
            if (g.constants.has(v)) continue;
            const pre = plan.dims.get(v)!.slice(0, 2);
            const bufs = held.get(root(v))!;
            for (let sj = 0; sj < boxes.length; sj++) {
              await copyOverlap(r, pre, { buffer: bufs[sj], size: Math.max(4, bytesOf(v, boxes[sj])) }, boxes[sj], ins[k], grown, grown);
            }
          }
        }
        const outBox = alloc(bytesOf(n.output, b), 'onnx.box');
        outBufs.push(outBox);
        const outBinding: Binding = { buffer: outBox, size: Math.max(4, bytesOf(n.output, b)) };
        if (exact) {
          await encodeNode(r, n, (k) => ins[k], inDims, outBinding, [...outPrefix, ...b.size], opts, st);
        } else {
          const yBytes = bytesOf(n.output, grown);
          const y = alloc(yBytes, 'onnx.grown');
          temps.push(y);
          tempBytes += yBytes;
          const yb: Binding = { buffer: y, size: Math.max(4, yBytes) };
          await encodeNode(r, n, (k) => ins[k], inDims, yb, [...outPrefix, ...grown.size], opts, st);
          await copyOverlap(r, outPrefix, yb, grown, outBinding, b, b);
        }
        // temporaries are released (to the pool) after their pass is submitted; batching boxes
        // into one pass until the temporaries reach two bindings' worth saves per-submit overhead
        pending.push(...temps);
        pendingBytes += tempBytes;
        if (pendingBytes >= 2 * maxBytes || bi === boxes.length - 1) {
          await r.flush(`onnx.${n.name}.boxes`);
          free(pending.splice(0), pendingBytes);
          pendingBytes = 0;
        }
        opts.onProgress?.(++done, total);
      }
      held.set(n.output, outBufs);
      if (opts.profile) {
        await ctx.sync();
        (st.profile ??= []).push({ node: n.name, ms: performance.now() - t0 });
      }
      for (const v of new Set(n.inputs.map(root))) if ((lastUse.get(v) ?? -1) <= ni) freeValue(v);
    }
    const out: Record<string, OutputTensor> = {};
    for (const o of g.outputs) {
      const d = plan.dims.get(o)!;
      const isInt = g.intValues.has(o);
      const dst = isInt ? new Int32Array(prod(d)) : new Float32Array(prod(d));
      const bufs = held.get(root(o))!;
      for (let bi = 0; bi < boxes.length; bi++) {
        const bytes = bytesOf(o, boxes[bi]);
        const ab = await ctx.read(bufs[bi], 0, bytes, `onnx.read:${o}`);
        pasteBoxN(isInt ? new Int32Array(ab) : new Float32Array(ab), dst, d, boxes[bi]);
      }
      out[o] = { data: dst, dims: d.slice(), type: isInt ? 'int32' : 'float32' };
    }
    st.peakBytes = Math.max(st.peakBytes, peak);
    return out;
  } finally {
    for (const v of [...held.keys()]) freeValue(v);
  }
}

/** [N, C, ...spatial] → the box's [N, C, ...box.size] (C-order). */
function extractBoxN(src: Float32Array, dims: number[], b: Box): Float32Array {
  const sub = [...dims.slice(0, 2), ...b.size];
  const out = new Float32Array(prod(sub));
  copyRows(src, dims, [0, 0, ...b.start], out, sub, [0, 0, ...b.start.map(() => 0)], sub);
  return out;
}

function pasteBoxN(src: Float32Array | Int32Array, dst: Float32Array | Int32Array, dims: number[], b: Box): void {
  const sub = [...dims.slice(0, 2), ...b.size];
  copyRows(src, sub, sub.map(() => 0), dst, dims, [0, 0, ...b.start], sub);
}

/** Copies a box of `size` from src (at srcStart) to dst (at dstStart), row by row. */
function copyRows(
  src: Float32Array | Int32Array, sDims: number[], sStart: number[], dst: Float32Array | Int32Array, dDims: number[], dStart: number[], size: number[],
): void {
  const rank = size.length;
  const ss = stridesOf(sDims), ds = stridesOf(dDims);
  const rowLen = size[rank - 1];
  const idx = Array(rank - 1).fill(0);
  const rows = prod(size.slice(0, -1));
  for (let r = 0; r < rows; r++) {
    let so = sStart[rank - 1], dof = dStart[rank - 1];
    for (let a = 0; a < rank - 1; a++) {
      so += (sStart[a] + idx[a]) * ss[a];
      dof += (dStart[a] + idx[a]) * ds[a];
    }
    (dst as Float32Array).set((src as Float32Array).subarray(so, so + rowLen), dof);
    for (let a = rank - 2; a >= 0; a--) {
      if (++idx[a] < size[a]) break;
      idx[a] = 0;
    }
  }
}
