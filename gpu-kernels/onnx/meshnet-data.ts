/**
 * Isomorphic helpers for running MeshNet-style models the way the shared references were made
 * (no onnxruntime, no node: imports — used by the tests, `npm run conformance` and the benches):
 * min-max normalisation in the file's order, axis reversal, channel argmax, agreement, crops, and
 * two model rewrites (free spatial dims for onnxruntime; an appended ArgMax so a run reads back
 * labels instead of logits).
 */
import type { Volume } from '../../lib/volume';
import { extractBox } from '../../lib/tensor/box';
import { decodeModelProto, encodeModelProto } from './proto';

export interface Tensor { data: Float32Array; dims: number[] }

/** Volume min-max normalised (over the whole volume) to [0,1], as [1,1,nz,ny,nx] (x fastest, file order). */
export function minMaxTensor(v: Volume): Tensor {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < v.data.length; i++) { const x = Number(v.data[i]); if (x < lo) lo = x; if (x > hi) hi = x; }
  const range = hi > lo ? hi - lo : 1;
  const data = Float32Array.from(v.data as ArrayLike<number>, (x) => (x - lo) / range);
  const [nx, ny, nz] = v.shape;
  return { data, dims: [1, 1, nz, ny, nx] };
}

/** [1,1,A,B,C] → [1,1,C,B,A] (NIfTI x-fastest → (x,y,z) C-order). Works for any typed array. */
export function reverseAxes<T extends Float32Array | Int32Array | Uint8Array>(t: { data: T; dims: number[] }): { data: T; dims: number[] } {
  const [n0, n1, a, b, c] = t.dims;
  const out = new (t.data.constructor as new (n: number) => T)(t.data.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) out[(k * b + j) * a + i] = t.data[(i * b + j) * c + k];
  return { data: out, dims: [n0, n1, c, b, a] };
}

export function centreCrop(t: Tensor, n: number): Tensor {
  const sp = t.dims.slice(2);
  const start = sp.map((s) => Math.floor((s - n) / 2));
  return { data: extractBox(t.data, t.dims, start, [n, n, n]), dims: [1, 1, n, n, n] };
}

/** argmax over axis 1 of [1, C, ...], ties to the lowest channel. */
export function argmaxC(data: ArrayLike<number>, dims: number[]): Int32Array {
  const c = dims[1], n = dims.slice(2).reduce((a, b) => a * b, 1);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = data[i], k = 0;
    for (let j = 1; j < c; j++) { const v = data[j * n + i]; if (v > best) { best = v; k = j; } }
    out[i] = k;
  }
  return out;
}

/** Fraction of positions where a and b hold the same value. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * The model with symbolic spatial dims (axes ≥ 2) on its graph inputs (initializers listed as
 * inputs excepted) and outputs, and without intermediate shape annotations, so onnxruntime accepts
 * crops of a fully convolutional net exported at a fixed size.
 */
export function freeSpatialDims(bytes: Uint8Array): Uint8Array {
  const m = decodeModelProto(bytes);
  const g = m.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  for (const v of [...(g.input ?? []).filter((x) => !inits.has(x.name)), ...(g.output ?? [])]) {
    const dim = v.type?.tensorType?.shape?.dim ?? [];
    dim.forEach((d, i) => { if (i >= 2) { d.dimParam = `s${i}`; delete d.dimValue; } });
  }
  g.valueInfo = [];
  return encodeModelProto(m);
}

/** True when the model's first (non-initializer) input declares a fixed spatial size other than `dims`'. */
export function declaresOtherSpatialDims(bytes: Uint8Array, dims: number[]): boolean {
  const g = decodeModelProto(bytes).graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const first = (g?.input ?? []).find((v) => !inits.has(v.name));
  const declared = first?.type?.tensorType?.shape?.dim ?? [];
  return declared.some((d, i) => i >= 2 && d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) !== dims[i]);
}

/** The model with `ArgMax(axis 1, keepdims 1)` appended to its first output, which it replaces (int64 labels). */
export function appendArgmax(bytes: Uint8Array, name = 'labels'): Uint8Array {
  const m = decodeModelProto(bytes);
  const g = m.graph!;
  const out = g.output![0];
  g.node = [...(g.node ?? []), { opType: 'ArgMax', input: [out.name!], output: [name], name: 'appended_argmax', attribute: [{ name: 'axis', type: 2, i: 1 }, { name: 'keepdims', type: 2, i: 1 }] }];
  g.output = [{ name, type: { tensorType: { elemType: 7 } } }];
  return encodeModelProto(m);
}
