/**
 * Exact Euclidean distance transform (EDT) with anisotropic spacing.
 *
 * Algorithm: separable squared-distance transform. The x pass is a two-scan distance to the nearest
 * background voxel on each x line (exact for a binary input); the y and z passes compute, for each
 * line, the lower envelope of parabolas `f(q) + w²(p − q)²` (Felzenszwalb & Huttenlocher 2012),
 * where `w` is the voxel spacing along that axis; the last pass writes `sqrt` of the result.
 * Squared distances between passes are stored as float32 (relative error ~1e-7).
 *
 * This is the CPU twin of the GPU EDT: each pass is exposed as {@link edtPassLines}, which processes
 * any contiguous range of whole lines along one axis, so a caller (or a GPU dispatch) can tile a
 * pass by slabs of lines.
 */
import { ArgumentError, ShapeError } from '../errors';
import { validateVolume, type Vec3, type Volume } from '../volume';

/** Axis index: 0 = x (contiguous), 1 = y, 2 = z. */
export type Axis = 0 | 1 | 2;

/** Number of whole lines along `axis` in a volume of `shape` (the product of the other two extents). */
export function lineCount(shape: Vec3, axis: Axis): number {
  return (shape[0] * shape[1] * shape[2]) / shape[axis];
}

/**
 * Memory offset of the first voxel of line `line` along `axis`, and the stride between its voxels.
 * Lines are numbered in memory order of their first voxel's other two coordinates:
 * x lines by `y + ny*z`, y lines by `x + nx*z`, z lines by `x + nx*y`.
 */
export function lineStartAndStride(shape: Vec3, axis: Axis, line: number): { start: number; stride: number } {
  const [nx, ny] = shape;
  if (axis === 0) return { start: line * nx, stride: 1 };
  if (axis === 1) {
    const z = Math.floor(line / nx);
    const x = line - z * nx;
    return { start: x + nx * ny * z, stride: nx };
  }
  return { start: line, stride: nx * ny };
}

/** Reusable per-pass scratch, sized for lines of length `n`. */
export interface EdtScratch {
  /** Envelope: site positions, their heights f, their f + w²p², and the interval starts. */
  v: Int32Array;
  fv: Float64Array;
  hv: Float64Array;
  z: Float64Array;
  /** Transposed block of gathered lines, allocated on first use and reused. */
  block?: Float32Array;
}

export function makeEdtScratch(n: number): EdtScratch {
  return { v: new Int32Array(n), fv: new Float64Array(n), hv: new Float64Array(n), z: new Float64Array(n + 1) };
}

/**
 * 1-D squared distance transform of a sampled function, in place (lower envelope of parabolas):
 * `line[o + q] ← min_p line[o + p] + w2·(q − p)²` for q in [0, n). Entries equal to +Infinity are
 * "no site"; if every entry is +Infinity the line stays +Infinity. Heights of the envelope's sites
 * are kept in the scratch, so the result can overwrite the input.
 */
export function squaredDistance1D(line: Float32Array | Float64Array, o: number, n: number, w2: number, s: EdtScratch): void {
  const { v, fv, hv, z } = s;
  const w2x2 = 2 * w2;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = line[o + q];
    if (fq === Infinity) continue;
    const hq = fq + w2 * q * q;
    if (k < 0) {
      k = 0;
      v[0] = q;
      fv[0] = fq;
      hv[0] = hq;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let sq = (hq - hv[k]) / (w2x2 * (q - v[k]));
    // z[0] is −∞, so k never drops below 0.
    while (sq <= z[k]) {
      k--;
      sq = (hq - hv[k]) / (w2x2 * (q - v[k]));
    }
    k++;
    v[k] = q;
    fv[k] = fq;
    hv[k] = hq;
    z[k] = sq;
    z[k + 1] = Infinity;
  }
  if (k < 0) return;
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const dq = q - v[k];
    line[o + q] = w2 * dq * dq + fv[k];
  }
}

function checkLineRange(shape: Vec3, axis: Axis, firstLine: number, count: number, where: string): void {
  const total = lineCount(shape, axis);
  if (!Number.isInteger(firstLine) || !Number.isInteger(count) || firstLine < 0 || count < 0 || firstLine + count > total) {
    throw new ArgumentError(`line range [${firstLine}, ${firstLine + count}) is outside [0, ${total}) for axis ${axis}`, {
      where,
      hint: 'Pass whole lines: firstLine and count are integers within lineCount(shape, axis).',
    });
  }
}

/**
 * One separable EDT pass over the whole lines `[firstLine, firstLine + count)` along `axis`
 * (line numbering as in {@link lineStartAndStride}).
 *
 * - `src` is the pass input: for `axis` 0 it is the binary mask (nonzero = foreground); for axes 1
 *   and 2 it is the squared distances produced by the previous pass (all ≥ 0; `+Infinity` = no
 *   background reachable yet).
 * - `dst` receives squared physical distances (may be the same array as `src` for axes 1 and 2).
 * - `spacing` is the voxel size along `axis`.
 *
 * Lines with no background voxel (axis 0) or no finite entry (axes 1, 2) come out as +Infinity.
 * `scratch` (from {@link makeEdtScratch} with length ≥ `shape[axis]`) may be passed to avoid
 * allocation when tiling. With `sqrt` (axes 1 and 2 only; for the last pass) `dst` receives the
 * distances themselves rather than their squares.
 */
export function edtPassLines(
  src: Uint8Array | Float32Array,
  dst: Float32Array,
  shape: Vec3,
  axis: Axis,
  spacing: number,
  firstLine = 0,
  count: number = lineCount(shape, axis),
  scratch?: EdtScratch,
  sqrt = false,
): void {
  const where = 'edtPassLines';
  const n = shape[axis];
  const total = shape[0] * shape[1] * shape[2];
  if (src.length !== total || dst.length !== total) {
    throw new ShapeError(`src has ${src.length} and dst ${dst.length} voxels; shape needs ${total}`, { where });
  }
  if (!(spacing > 0) || !Number.isFinite(spacing)) {
    throw new ArgumentError(`spacing must be finite and positive, got ${spacing}`, { where });
  }
  checkLineRange(shape, axis, firstLine, count, where);
  if (axis === 0) {
    if (!(src instanceof Uint8Array)) throw new ArgumentError('the x pass takes the binary mask (Uint8Array)', { where });
    binaryPassX(src, dst, n, spacing, firstLine, count);
    return;
  }
  if (!(src instanceof Float32Array)) throw new ArgumentError('y and z passes take squared distances (Float32Array)', { where });
  const s = scratch && scratch.v.length >= n ? scratch : makeEdtScratch(n);
  const w2 = spacing * spacing;
  parabolaPass(src, dst, shape, axis, w2, firstLine, count, s, sqrt);
}

/** x pass on the binary mask: squared distance to the nearest zero on the same x line. */
function binaryPassX(mask: Uint8Array, dst: Float32Array, nx: number, sx: number, firstLine: number, count: number): void {
  const sx2 = sx * sx;
  for (let line = firstLine; line < firstLine + count; line++) {
    const base = line * nx;
    // Forward scan: distance to the previous zero (Infinity if none yet).
    let last = -1;
    for (let x = 0; x < nx; x++) {
      if (mask[base + x] === 0) {
        last = x;
        dst[base + x] = 0;
      } else dst[base + x] = last < 0 ? Infinity : x - last;
    }
    if (last < 0) continue; // no background on this line: all Infinity
    // Backward scan: take the nearer of the previous and next zero, square and scale.
    let next = -1;
    for (let x = nx - 1; x >= 0; x--) {
      const i = base + x;
      if (mask[i] === 0) {
        next = x;
        continue;
      }
      let dd = dst[i];
      if (next >= 0 && next - x < dd) dd = next - x;
      dst[i] = dd * dd * sx2;
    }
  }
}

/**
 * y or z pass. Lines along y are numbered x + nx*z (first voxel x + nx*ny*z, stride nx); lines
 * along z are numbered x + nx*y (first voxel x + nx*y, stride nx*ny). In both cases consecutive
 * lines in a run (same z for y lines; any for z lines) start at consecutive memory addresses, so a
 * block of lines (about 256 KiB) is gathered with contiguous reads into a transposed buffer, each line is
 * transformed there, and the block is scattered back.
 */
function parabolaPass(src: Float32Array, dst: Float32Array, shape: Vec3, axis: 1 | 2, w2: number, firstLine: number, count: number, s: EdtScratch, sqrt: boolean): void {
  const [nx, ny] = shape;
  const n = shape[axis];
  const stride = axis === 1 ? nx : nx * ny;
  // Lines per run of consecutive start addresses, and the address jump between runs.
  const run = axis === 1 ? nx : nx * ny;
  const runStride = axis === 1 ? nx * ny : 0;
  const endLine = firstLine + count;
  // Lines per block: enough that each strided visit reads ≥ 1 KiB contiguously (few TLB misses),
  // while the transposed block stays cache-sized (~256 KiB).
  const B = Math.max(64, Math.min(run, Math.floor(65536 / n)));
  if (!s.block || s.block.length < B * n) s.block = new Float32Array(B * n);
  const buf = s.block;
  let l0 = firstLine;
  while (l0 < endLine) {
    const r = Math.floor(l0 / run);
    const inRun = l0 - r * run;
    const nb = Math.min(B, endLine - l0, run - inRun);
    const start = r * runStride + inRun;
    for (let q = 0; q < n; q++) {
      const off = start + q * stride;
      for (let b = 0; b < nb; b++) buf[b * n + q] = src[off + b];
    }
    for (let b = 0; b < nb; b++) {
      const o = b * n;
      // Background voxels (0) stay 0, and a zero site dominates every site beyond it, so each
      // maximal run of nonzero entries is transformed on its own, together with the zeros that
      // bound it. Lines of background only cost one scan.
      let q = 0;
      while (q < n) {
        if (buf[o + q] === 0) {
          q++;
          continue;
        }
        const a = q;
        while (q < n && buf[o + q] !== 0) q++;
        const lo = a > 0 ? a - 1 : 0;
        const hi = q < n ? q : n - 1;
        squaredDistance1D(buf, o + lo, hi - lo + 1, w2, s);
      }
    }
    if (sqrt) {
      for (let q = 0; q < n; q++) {
        const off = start + q * stride;
        for (let b = 0; b < nb; b++) dst[off + b] = Math.sqrt(buf[b * n + q]);
      }
    } else {
      for (let q = 0; q < n; q++) {
        const off = start + q * stride;
        for (let b = 0; b < nb; b++) dst[off + b] = buf[b * n + q];
      }
    }
    l0 += nb;
  }
}

/**
 * Exact Euclidean distance from every foreground (nonzero) voxel to the nearest background (zero)
 * voxel, in physical units given by `mask.spacing`; 0 on background. Equals
 * `scipy.ndimage.distance_transform_edt(mask, sampling=(sz, sy, sx))` (to float32 rounding).
 *
 * Throws `ArgumentError` if the mask has no background voxel: the distance is then undefined
 * (scipy returns distances to an arbitrary point outside the array, which is not meaningful).
 * The input is not modified; the result carries the input's shape, spacing, affine and units.
 */
export function edt(mask: Volume<Uint8Array>): Volume<Float32Array> {
  return edtInto(mask);
}

/**
 * {@link edt} written into `out` (length nx·ny·nz, any contents; every voxel is overwritten), so a
 * caller that has a spare volume-sized Float32Array saves the allocation; without `out` (or with
 * one of the wrong length) a new array is allocated. Returns the distance volume over `out`.
 */
export function edtInto(mask: Volume<Uint8Array>, into?: Float32Array): Volume<Float32Array> {
  const where = 'edt';
  validateVolume(mask, where);
  const { data, shape, spacing } = mask;
  const total = data.length;
  let hasBackground = false;
  for (let i = 0; i < total; i++) {
    if (data[i] === 0) {
      hasBackground = true;
      break;
    }
  }
  if (!hasBackground) {
    throw new ArgumentError('the mask has no background voxel, so the distance to background is undefined', {
      where,
      hint: 'Pass a mask with at least one zero voxel (e.g. pad the volume by one background voxel).',
    });
  }
  const out = into && into.length === total && into.buffer !== data.buffer ? into : new Float32Array(total);
  const [nx, ny, nz] = shape;
  const scratch = makeEdtScratch(Math.max(ny, nz));
  // The last pass along an axis longer than 1 writes distances (sqrt) directly.
  const lastAxis = nz > 1 ? 2 : ny > 1 ? 1 : 0;
  // x and y passes slice by slice, so the y pass reads the x pass's output while it is in cache.
  for (let z = 0; z < nz; z++) {
    edtPassLines(data, out, shape, 0, spacing[0], z * ny, ny);
    if (ny > 1) edtPassLines(out, out, shape, 1, spacing[1], z * nx, nx, scratch, lastAxis === 1);
  }
  if (nz > 1) edtPassLines(out, out, shape, 2, spacing[2], 0, lineCount(shape, 2), scratch, true);
  if (lastAxis === 0) for (let i = 0; i < total; i++) out[i] = Math.sqrt(out[i]);
  const result: Volume<Float32Array> = { data: out, shape: [shape[0], shape[1], shape[2]], spacing: [spacing[0], spacing[1], spacing[2]] };
  if (mask.affine) result.affine = mask.affine.map((r) => [...r]) as Volume['affine'];
  if (mask.units !== undefined) result.units = mask.units;
  return result;
}
