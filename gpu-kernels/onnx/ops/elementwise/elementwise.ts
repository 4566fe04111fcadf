/// <reference types="@webgpu/types" />
/** Host code for elementwise ops (unary activations, affine, broadcasting binary, strided copy). */
import { ShapeError } from '../../../../lib/errors';
import type { Binding } from '../../../runtime/device';
import type { Act, BinaryKind } from '../../graph';
import { type Recorder, UniformWriter, prod, stridesOf } from '../common';
import { MAX_RANK, affineWgsl, binaryWgsl, copyWgsl, unaryWgsl } from './elementwise.wgsl';

export async function unary(r: Recorder, x: Binding, y: Binding, n: number, act: Act): Promise<void> {
  const wg = r.ctx.workgroupSize1D(256);
  const pipe = await r.ctx.pipeline({ code: unaryWgsl(wg, act.kind), label: `onnx.unary.${act.kind}` });
  const u = r.uniform(new UniformWriter().u32(n, 0).f32(act.alpha, act.beta));
  r.dispatch(pipe, [x, y, u], r.ctx.grid(n, wg));
}

export async function affine(r: Recorder, x: Binding, y: Binding, dims: number[], scale: Float32Array, shift: Float32Array): Promise<void> {
  const wg = r.ctx.workgroupSize1D(256);
  const pipe = await r.ctx.pipeline({ code: affineWgsl(wg), label: 'onnx.affine' });
  const n = prod(dims);
  const u = r.uniform(new UniformWriter().u32(n, dims[1], prod(dims.slice(2)), 0));
  r.dispatch(pipe, [x, y, r.upload(scale), r.upload(shift), u], r.ctx.grid(n, wg));
}

function pad8(v: number[]): number[] {
  if (v.length > MAX_RANK) throw new ShapeError(`rank ${v.length} exceeds ${MAX_RANK}`, { where: 'onnx elementwise' });
  return [...v, ...Array(MAX_RANK - v.length).fill(0)];
}

/** Broadcast strides of `dims` against output `out` (0 on broadcast axes). */
export function broadcastStrides(dims: number[], out: number[]): number[] {
  const s = stridesOf(dims);
  const r = out.length;
  return out.map((_, i) => {
    const j = i - (r - dims.length);
    return j < 0 || dims[j] === 1 ? 0 : s[j];
  });
}

export async function binary(r: Recorder, fn: BinaryKind, a: Binding, aDims: number[], b: Binding, bDims: number[], y: Binding, out: number[]): Promise<void> {
  const wg = r.ctx.workgroupSize1D(256);
  const pipe = await r.ctx.pipeline({ code: binaryWgsl(wg, fn), label: `onnx.binary.${fn}` });
  const n = prod(out);
  const dims = out.length ? out : [1];
  const u = r.uniform(
    new UniformWriter().u32(n, dims.length, 0, 0).u32(...pad8(dims)).u32(...pad8(broadcastStrides(aDims, dims))).u32(...pad8(broadcastStrides(bDims, dims))),
  );
  r.dispatch(pipe, [a, b, y, u], r.ctx.grid(n, wg));
}

/** Strided copy over the index space `dims`. */
export async function stridedCopy(
  r: Recorder, src: Binding, dst: Binding, dims: number[], srcStrides: number[], dstStrides: number[], srcBase = 0, dstBase = 0,
): Promise<void> {
  const wg = r.ctx.workgroupSize1D(256);
  const pipe = await r.ctx.pipeline({ code: copyWgsl(wg), label: 'onnx.copy' });
  const n = prod(dims);
  if (n === 0) return;
  const u = r.uniform(new UniformWriter().u32(n, dims.length, srcBase, dstBase).u32(...pad8(dims)).u32(...pad8(srcStrides)).u32(...pad8(dstStrides)));
  r.dispatch(pipe, [src, dst, u], r.ctx.grid(n, wg));
}

export async function transpose(r: Recorder, x: Binding, xDims: number[], perm: number[], y: Binding): Promise<void> {
  const xs = stridesOf(xDims);
  const outDims = perm.map((p) => xDims[p]);
  await stridedCopy(r, x, y, outDims, perm.map((p) => xs[p]), stridesOf(outDims));
}

export async function concat(r: Recorder, xs: { b: Binding; dims: number[] }[], axis: number, y: Binding, out: number[]): Promise<void> {
  const os = stridesOf(out);
  let off = 0;
  for (const { b, dims } of xs) {
    await stridedCopy(r, b, y, dims, stridesOf(dims), os, 0, off * os[axis]);
    off += dims[axis];
  }
}
