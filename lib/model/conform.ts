/**
 * Conform a volume to a network's expected grid, and map per-voxel results back exactly.
 *
 * Steps (each optional), all recorded in a JSON-serialisable `ConformRecord`:
 * 1. Resample to `spacing` (trilinear for the image). The new size per axis is
 *    m = max(1, round(n·s_native/s_target)) and the grids share their outer extent (voxel-centre
 *    mapping c = (i + ½)·n/m − ½, like scipy `zoom(grid_mode=True)` / torch `align_corners=False`),
 *    so the effective spacing s_native·n/m may differ slightly from the requested one (recorded).
 *    Samples outside [0, n−1] clamp to the edge. Skipped when the spacings already agree (1e-6
 *    relative). No anti-aliasing when downsampling.
 * 2. Centred crop/pad to `shape`, then pad each axis up to a multiple of `multipleOf`; odd
 *    remainders go at the end. Padding uses `padValue`.
 * Inverse (`unconformLabels`): undo the crop/pad (cropped-away voxels become 0 = background), then
 * nearest-neighbour back to the native grid (c = (j + ½)·m/n − ½, rounded half up, clamped).
 */
import { ArgumentError, ShapeError } from '../errors';
import type { NumericArray, Vec3 } from '../volume';

export interface ConformRecord {
  /** Grid entering the conform step (after any reorientation). */
  nativeShape: Vec3;
  nativeSpacing: Vec3;
  /** Resampling, or null when the native spacing was kept. */
  resample: { shape: Vec3; spacing: Vec3; requested: Vec3 } | null;
  /** Index in the final grid of the (resampled) volume's voxel 0 per axis: > 0 padded, < 0 cropped. */
  offset: Vec3;
  /** The grid the network sees. */
  gridShape: Vec3;
  /** Spacing of that grid. */
  gridSpacing: Vec3;
  padValue: number;
}

export interface ConformOptions {
  spacing: Vec3 | null;
  shape: Vec3 | null;
  multipleOf: number | null;
  /** Value of padded voxels (default 0). */
  padValue?: number;
}

/** Plans the conform step for a volume of `shape`/`spacing`. */
export function planConform(shape: Vec3, spacing: Vec3, opts: ConformOptions): ConformRecord {
  const where = 'planConform';
  let rs: ConformRecord['resample'] = null;
  let cur: Vec3 = [...shape] as Vec3;
  let curSp: Vec3 = [...spacing] as Vec3;
  if (opts.spacing) {
    const t = opts.spacing;
    if (t.some((s) => !(s > 0) || !Number.isFinite(s))) throw new ArgumentError(`target spacing must be positive, got ${t.join('×')}`, { where });
    const same = t.every((s, a) => Math.abs(s - spacing[a]) <= 1e-6 * s);
    if (!same) {
      const m = shape.map((n, a) => Math.max(1, Math.round((n * spacing[a]) / t[a]))) as Vec3;
      const eff = shape.map((n, a) => (spacing[a] * n) / m[a]) as Vec3;
      rs = { shape: m, spacing: eff, requested: [...t] as Vec3 };
      cur = m;
      curSp = eff;
    }
  }
  let target: Vec3 = [...cur] as Vec3;
  if (opts.shape) {
    if (opts.shape.some((s) => !Number.isInteger(s) || s < 1)) throw new ArgumentError(`shape must be positive integers, got ${opts.shape.join('×')}`, { where });
    target = [...opts.shape] as Vec3;
  }
  if (opts.multipleOf !== null) {
    const k = opts.multipleOf;
    if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`multipleOf must be a positive integer, got ${k}`, { where });
    target = target.map((n) => Math.ceil(n / k) * k) as Vec3;
  }
  const offset = cur.map((n, a) => {
    const d = target[a] - n;
    return d >= 0 ? Math.floor(d / 2) : -Math.floor(-d / 2);
  }) as Vec3;
  return { nativeShape: [...shape] as Vec3, nativeSpacing: [...spacing] as Vec3, resample: rs, offset, gridShape: target, gridSpacing: curSp, padValue: opts.padValue ?? 0 };
}

/** Per-axis linear interpolation taps for resampling n → m samples. */
function taps(n: number, m: number): { i0: Int32Array; i1: Int32Array; w: Float64Array } {
  const i0 = new Int32Array(m);
  const i1 = new Int32Array(m);
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let c = ((i + 0.5) * n) / m - 0.5;
    if (c < 0) c = 0;
    if (c > n - 1) c = n - 1;
    const f = Math.floor(c);
    i0[i] = f;
    i1[i] = Math.min(f + 1, n - 1);
    w[i] = c - f;
  }
  return { i0, i1, w };
}

/** Trilinear resampling of an x-fastest volume from `shape` to `to` (voxel-centre mapping, edge clamp). */
export function resampleTrilinear(data: Float32Array, shape: Vec3, to: Vec3): Float32Array {
  const [nx, ny] = shape;
  const tx = taps(shape[0], to[0]);
  const ty = taps(shape[1], to[1]);
  const tz = taps(shape[2], to[2]);
  const out = new Float32Array(to[0] * to[1] * to[2]);
  let o = 0;
  for (let z = 0; z < to[2]; z++) {
    const z0 = tz.i0[z] * nx * ny, z1 = tz.i1[z] * nx * ny, wz = tz.w[z];
    for (let y = 0; y < to[1]; y++) {
      const y0 = ty.i0[y] * nx, y1 = ty.i1[y] * nx, wy = ty.w[y];
      for (let x = 0; x < to[0]; x++, o++) {
        const x0 = tx.i0[x], x1 = tx.i1[x], wx = tx.w[x];
        const c00 = data[z0 + y0 + x0] * (1 - wx) + data[z0 + y0 + x1] * wx;
        const c01 = data[z0 + y1 + x0] * (1 - wx) + data[z0 + y1 + x1] * wx;
        const c10 = data[z1 + y0 + x0] * (1 - wx) + data[z1 + y0 + x1] * wx;
        const c11 = data[z1 + y1 + x0] * (1 - wx) + data[z1 + y1 + x1] * wx;
        out[o] = (c00 * (1 - wy) + c01 * wy) * (1 - wz) + (c10 * (1 - wy) + c11 * wy) * wz;
      }
    }
  }
  return out;
}

/** Nearest-neighbour index map n → m (voxel-centre mapping, ties rounded up, clamped). */
function nearestIndex(n: number, m: number): Int32Array {
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const c = ((i + 0.5) * n) / m - 0.5;
    idx[i] = Math.min(n - 1, Math.max(0, Math.floor(c + 0.5)));
  }
  return idx;
}

/** Nearest-neighbour resampling (labels) of an x-fastest volume from `shape` to `to`. */
export function resampleNearest<T extends NumericArray>(data: T, shape: Vec3, to: Vec3): T {
  const [nx, ny] = shape;
  const ix = nearestIndex(shape[0], to[0]);
  const iy = nearestIndex(shape[1], to[1]);
  const iz = nearestIndex(shape[2], to[2]);
  const out = new (data.constructor as { new (n: number): T })(to[0] * to[1] * to[2]);
  let o = 0;
  for (let z = 0; z < to[2]; z++) {
    for (let y = 0; y < to[1]; y++) {
      const base = (iz[z] * ny + iy[y]) * nx;
      for (let x = 0; x < to[0]; x++, o++) out[o] = data[base + ix[x]];
    }
  }
  return out;
}

/**
 * Copies the overlap of `src` (shape `from`) into a new array of shape `to`, with src voxel 0 at
 * `offset` in the destination (negative = cropped); the rest is `fill`.
 */
export function shiftCopy<T extends NumericArray>(src: T, from: Vec3, to: Vec3, offset: Vec3, fill: number): T {
  const out = new (src.constructor as { new (n: number): T })(to[0] * to[1] * to[2]);
  if (fill !== 0) out.fill(fill);
  const lo = [0, 1, 2].map((a) => Math.max(0, offset[a]));
  const hi = [0, 1, 2].map((a) => Math.min(to[a], from[a] + offset[a]));
  if (lo.some((l, a) => l >= hi[a])) return out;
  const len = hi[0] - lo[0];
  for (let z = lo[2]; z < hi[2]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      const d = lo[0] + to[0] * (y + to[1] * z);
      const s = lo[0] - offset[0] + from[0] * (y - offset[1] + from[1] * (z - offset[2]));
      out.set(src.subarray(s, s + len), d);
    }
  }
  return out;
}

function checkLength(data: ArrayLike<number>, shape: Vec3, where: string): void {
  const n = shape[0] * shape[1] * shape[2];
  if (data.length !== n) throw new ShapeError(`data has ${data.length} voxels but shape ${shape.join('×')} needs ${n}`, { where });
}

/** The image on the network's grid (a new array). */
export function conformImage(data: Float32Array, rec: ConformRecord): Float32Array {
  checkLength(data, rec.nativeShape, 'conformImage');
  const r = rec.resample ? resampleTrilinear(data, rec.nativeShape, rec.resample.shape) : data;
  return shiftCopy(r, rec.resample?.shape ?? rec.nativeShape, rec.gridShape, rec.offset, rec.padValue);
}

/** A per-voxel result on the network's grid (labels) back on the native grid (a new array). */
export function unconformLabels<T extends NumericArray>(labels: T, rec: ConformRecord): T {
  checkLength(labels, rec.gridShape, 'unconformLabels');
  const mid = rec.resample?.shape ?? rec.nativeShape;
  const neg = rec.offset.map((o) => -o) as Vec3;
  const r = shiftCopy(labels, rec.gridShape, mid, neg, 0);
  return rec.resample ? resampleNearest(r, mid, rec.nativeShape) : r;
}
