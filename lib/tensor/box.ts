/**
 * Dense row-major tensor helpers (isomorphic, pure): copy a box of the trailing (spatial) axes out
 * of a tensor, and paste a box into one. Leading axes (batch, channels) are copied whole.
 */
import { ShapeError } from '../errors';

export type DenseArray = Float32Array | Int32Array;

function strides(dims: number[]): number[] {
  const s = Array(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/**
 * Copies the box `start`..`start + size` of the last `start.length` axes of a tensor of `dims`.
 * Returns a new array of dims [...leading, ...size].
 */
export function extractBox<T extends DenseArray>(data: T, dims: number[], start: number[], size: number[]): T {
  const sp = start.length;
  const lead = dims.length - sp;
  if (lead < 0 || size.length !== sp) throw new ShapeError(`box of rank ${sp} in a tensor of rank ${dims.length}`, { where: 'extractBox' });
  for (let a = 0; a < sp; a++) {
    if (start[a] < 0 || size[a] < 0 || start[a] + size[a] > dims[lead + a]) throw new ShapeError(`box axis ${a} [${start[a]}, ${start[a] + size[a]}) outside [0, ${dims[lead + a]})`, { where: 'extractBox' });
  }
  const outDims = [...dims.slice(0, lead), ...size];
  const out = new (data.constructor as new (n: number) => T)(outDims.reduce((a, b) => a * b, 1));
  copyBox(data, dims, start, out, outDims, Array(sp).fill(0), size);
  return out;
}

/** Copies the box `size` from `src` at `srcStart` into `dst` at `dstStart` (trailing axes; leading axes equal). */
export function copyBox(src: DenseArray, srcDims: number[], srcStart: number[], dst: DenseArray, dstDims: number[], dstStart: number[], size: number[]): void {
  const sp = size.length;
  const lead = srcDims.length - sp;
  if (dstDims.length !== srcDims.length || srcDims.slice(0, lead).some((d, i) => d !== dstDims[i])) {
    throw new ShapeError(`leading axes differ: [${srcDims}] vs [${dstDims}]`, { where: 'copyBox' });
  }
  const ss = strides(srcDims), ds = strides(dstDims);
  const nLead = srcDims.slice(0, lead).reduce((a, b) => a * b, 1);
  const rowLen = size[sp - 1];
  const rows = size.slice(0, sp - 1);
  const nRows = rows.reduce((a, b) => a * b, 1);
  const coord = Array(sp - 1).fill(0);
  for (let l = 0; l < nLead; l++) {
    const sBase = l * ss[lead - 1 >= 0 ? lead - 1 : 0] * (lead > 0 ? 1 : 0);
    const dBase = l * ds[lead - 1 >= 0 ? lead - 1 : 0] * (lead > 0 ? 1 : 0);
    coord.fill(0);
    for (let r = 0; r < nRows; r++) {
      let so = sBase + srcStart[sp - 1], doff = dBase + dstStart[sp - 1];
      for (let a = 0; a < sp - 1; a++) {
        so += (srcStart[a] + coord[a]) * ss[lead + a];
        doff += (dstStart[a] + coord[a]) * ds[lead + a];
      }
      dst.set(src.subarray(so, so + rowLen), doff);
      for (let a = sp - 2; a >= 0; a--) {
        if (++coord[a] < rows[a]) break;
        coord[a] = 0;
      }
    }
  }
}
