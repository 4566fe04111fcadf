/**
 * Helpers for the MeshNet conformance tests (Node only): the T1 volume normalised as the reference
 * was made, crops, axis reversal, channel argmax, onnxruntime-node runs.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readNifti } from '../../lib/formats/nifti';
import { extractBox } from '../../lib/tensor/box';
import { ortOptions } from './ort-compare';
import { decodeModelProto, encodeModelProto } from './proto';

export const DATA = new URL('../../../shared/data/', import.meta.url).pathname;
export const GWM = `${DATA}models/meshnet_gwm_niivue/model.onnx`;
export const M18 = `${DATA}models/meshnet_onnx_exports/model18cls.onnx`;

/** T1 volume min-max normalised (over the full volume) to [0,1], as [1,1,nz,ny,nx] (x fastest, file order). */
export function t1(): { data: Float32Array; dims: number[] } {
  const img = readNifti(readFileSync(`${DATA}volumes/brainchop_t1_crop.nii.gz`));
  const v = img.volume;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < v.data.length; i++) { const x = Number(v.data[i]); if (x < lo) lo = x; if (x > hi) hi = x; }
  const data = Float32Array.from(v.data as ArrayLike<number>, (x) => (x - lo) / (hi - lo));
  const [nx, ny, nz] = v.shape;
  return { data, dims: [1, 1, nz, ny, nx] };
}

/** [1,1,A,B,C] → [1,1,C,B,A] (NIfTI x-fastest → (x,y,z) C-order). */
export function reverseAxes(t: { data: Float32Array; dims: number[] }): { data: Float32Array; dims: number[] } {
  const [, , a, b, c] = t.dims;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) out[(k * b + j) * a + i] = t.data[(i * b + j) * c + k];
  return { data: out, dims: [1, 1, c, b, a] };
}

export function centreCrop(t: { data: Float32Array; dims: number[] }, n: number): { data: Float32Array; dims: number[] } {
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

export function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** The model with symbolic spatial input/output dims, so onnxruntime accepts crops (the net is fully convolutional). */
export function freeSpatialDims(path: string): Uint8Array {
  const m = decodeModelProto(readFileSync(path));
  for (const v of [...(m.graph!.input ?? []), ...(m.graph!.output ?? [])]) {
    const dim = v.type?.tensorType?.shape?.dim ?? [];
    dim.forEach((d, i) => { if (i >= 2) { d.dimParam = `s${i}`; delete d.dimValue; } });
  }
  return encodeModelProto(m);
}

export async function ortRun(path: string, x: { data: Float32Array; dims: number[] }): Promise<{ data: Float32Array; dims: number[]; ms: number }> {
  const s = await ort.InferenceSession.create(freeSpatialDims(path), ortOptions(2));
  const t = performance.now();
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) });
  const ms = performance.now() - t;
  const o = r[s.outputNames[0]];
  await s.release();
  return { data: o.data as Float32Array, dims: o.dims as number[], ms };
}

