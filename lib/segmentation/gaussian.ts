/**
 * Separable Gaussian smoothing with scipy.ndimage.gaussian_filter semantics.
 *
 * - `sigmaPhysical` is in the volume's physical units; the per-axis sigma in voxels is
 *   `sigmaPhysical / spacing[i]` (or pass `sigmaVoxels` to give it per axis directly).
 * - Kernel: `exp(-x²/(2σ²))` for x in [-r, r], `r = floor(truncate·σ + 0.5)`, normalised to sum 1
 *   (scipy's `_gaussian_kernel1d`), weights in float64.
 * - Boundary: `mode` 'reflect' (scipy's default: d c b a | a b c d | d c b a), or 'nearest'
 *   (a a a | a b c d | d d d), 'mirror' (d c b | a b c d | c b a), 'constant' (cval, default 0).
 * - Axes are filtered x, then y, then z; each pass accumulates in float64 and stores float32, as
 *   scipy does for a float32 input. Axes whose sigma is ≤ 1e-15 are skipped (scipy does too).
 * - `sigmaPhysical = 0` returns a Float32 copy. The input is never mutated.
 */
import { ArgumentError } from '../errors';
import { type Volume, type Vec3, validateVolume } from '../volume';

export type BoundaryMode = 'reflect' | 'nearest' | 'mirror' | 'constant';

export interface GaussianOptions {
  /** Kernel radius in standard deviations (scipy `truncate`). Default 4.0. */
  truncate?: number;
  /** Boundary handling. Default 'reflect' (scipy's default). */
  mode?: BoundaryMode;
  /** Fill value for mode 'constant'. Default 0. */
  cval?: number;
  /** Per-axis sigma in voxels; overrides `sigmaPhysical / spacing` when given. */
  sigmaVoxels?: Vec3;
}

/** scipy `_gaussian_kernel1d(sigma, 0, radius)`: normalised weights, length 2r+1. */
export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  const c = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(c * i * i);
    w[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < w.length; i++) w[i] /= sum;
  return w;
}

/** Index of sample `i` (possibly outside [0, n)) under a boundary mode; -1 means "use cval". */
function boundaryIndex(i: number, n: number, mode: BoundaryMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'nearest') return i < 0 ? 0 : n - 1;
  if (n === 1) return 0;
  if (mode === 'reflect') {
    const period = 2 * n;
    let k = ((i % period) + period) % period;
    if (k >= n) k = period - 1 - k;
    return k;
  }
  // mirror
  const period = 2 * n - 2;
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

/** Source index table for a padded line of length n + 2r (entry j ↔ sample j - r). */
function paddedIndexTable(n: number, radius: number, mode: BoundaryMode): Int32Array {
  const t = new Int32Array(n + 2 * radius);
  for (let j = 0; j < t.length; j++) t[j] = boundaryIndex(j - radius, n, mode);
  return t;
}

/** Filter along x (contiguous lines). `dst` may be `src` (each line is copied before it is written). */
function passX(src: Float32Array, dst: Float32Array, shape: Vec3, w: Float64Array, mode: BoundaryMode, cval: number): void {
  const [nx, ny, nz] = shape;
  const r = (w.length - 1) >> 1;
  const table = paddedIndexTable(nx, r, mode);
  const line = new Float64Array(nx + 2 * r);
  const lines = ny * nz;
  for (let l = 0; l < lines; l++) {
    const base = l * nx;
    for (let j = 0; j < line.length; j++) {
      const s = table[j];
      line[j] = s < 0 ? cval : src[base + s];
    }
    for (let x = 0; x < nx; x++) {
      // symmetric kernel: pair taps x-k and x+k, outermost first (scipy's summation order)
      let acc = w[r] * line[x + r];
      for (let k = r; k >= 1; k--) acc += (line[x + r - k] + line[x + r + k]) * w[r + k];
      dst[base + x] = acc;
    }
  }
}

/**
 * Filter `a` in place along an outer axis whose neighbours are `stride` apart. Each block (for y:
 * one xy plane; for z: the whole volume) is processed in column tiles: the tile's n rows are copied
 * to `scratch`, then each output row is written back as a weighted sum of whole scratch rows, which
 * keeps memory access sequential and needs no second volume-sized buffer.
 */
function passStridedInPlace(
  a: Float32Array,
  n: number,
  stride: number,
  rowLen: number,
  blocks: number,
  blockStride: number,
  w: Float64Array,
  mode: BoundaryMode,
  cval: number,
): void {
  const r = (w.length - 1) >> 1;
  const table = paddedIndexTable(n, r, mode);
  const TILE = Math.max(64, Math.min(rowLen, Math.floor((1 << 19) / n)));
  const scratch = new Float32Array(n * TILE);
  const acc = new Float64Array(TILE);
  const wc = w[r];
  for (let b = 0; b < blocks; b++) {
    const blockBase = b * blockStride;
    for (let x0 = 0; x0 < rowLen; x0 += TILE) {
      const len = Math.min(TILE, rowLen - x0);
      const base = blockBase + x0;
      for (let i = 0; i < n; i++) {
        const from = base + i * stride;
        const to = i * TILE;
        for (let x = 0; x < len; x++) scratch[to + x] = a[from + x];
      }
      for (let i = 0; i < n; i++) {
        const centre = table[i + r] * TILE;
        for (let x = 0; x < len; x++) acc[x] = wc * scratch[centre + x];
        for (let k = r; k >= 1; k--) {
          const wk = w[r + k];
          const lo = table[i + r - k];
          const hi = table[i + r + k];
          if (lo >= 0 && hi >= 0) {
            const p = lo * TILE;
            const q = hi * TILE;
            for (let x = 0; x < len; x++) acc[x] += (scratch[p + x] + scratch[q + x]) * wk;
          } else {
            // mode 'constant': samples outside the volume are cval
            const inside = lo >= 0 || hi >= 0;
            const p = (lo >= 0 ? lo : hi) * TILE;
            for (let x = 0; x < len; x++) acc[x] += ((inside ? scratch[p + x] : cval) + cval) * wk;
          }
        }
        const out = base + i * stride;
        for (let x = 0; x < len; x++) a[out + x] = acc[x];
      }
    }
  }
}

/**
 * Gaussian-smooth a volume. See the module comment for semantics.
 * @param v input volume (any numeric type); not mutated.
 * @param sigmaPhysical standard deviation in physical units (≥ 0); 0 = no smoothing.
 * @returns a new Float32 volume with the same shape, spacing, affine and units.
 */
export function gaussianSmooth(v: Volume, sigmaPhysical: number, opts: GaussianOptions = {}): Volume<Float32Array> {
  validateVolume(v, 'gaussianSmooth');
  if (!Number.isFinite(sigmaPhysical) || sigmaPhysical < 0) {
    throw new ArgumentError(`sigma must be a finite number ≥ 0, got ${sigmaPhysical}`, {
      where: 'gaussianSmooth.sigma',
      hint: 'Pass the smoothing sigma in physical units, or 0 to disable smoothing.',
    });
  }
  const truncate = opts.truncate ?? 4.0;
  if (!Number.isFinite(truncate) || truncate <= 0) {
    throw new ArgumentError(`truncate must be > 0, got ${truncate}`, { where: 'gaussianSmooth.truncate' });
  }
  const mode = opts.mode ?? 'reflect';
  if (!['reflect', 'nearest', 'mirror', 'constant'].includes(mode)) {
    throw new ArgumentError(`unknown boundary mode '${String(mode)}'`, {
      where: 'gaussianSmooth.mode',
      hint: "Use 'reflect', 'nearest', 'mirror' or 'constant'.",
    });
  }
  const cval = opts.cval ?? 0;
  const sig: Vec3 = opts.sigmaVoxels
    ? [...opts.sigmaVoxels]
    : [sigmaPhysical / v.spacing[0], sigmaPhysical / v.spacing[1], sigmaPhysical / v.spacing[2]];
  for (const [i, s] of sig.entries()) {
    if (!Number.isFinite(s) || s < 0) {
      throw new ArgumentError(`sigmaVoxels[${i}] must be a finite number ≥ 0, got ${s}`, { where: 'gaussianSmooth.sigmaVoxels' });
    }
  }
  const [nx, ny, nz] = v.shape;
  const n = nx * ny * nz;
  const active = [0, 1, 2].filter((i) => sig[i] > 1e-15);
  if (active.length === 0) {
    const copy = Float32Array.from(v.data as ArrayLike<number>);
    return withGeometry(copy, v);
  }
  // One output buffer holding a float32 copy of the input; every pass then runs in place on it
  // (keeps the inner loops monomorphic on Float32Array whatever the input type).
  const out = new Float32Array(n);
  out.set(v.data as ArrayLike<number>);
  for (const axis of active) {
    const w = gaussianKernel1d(sig[axis], truncate);
    if (axis === 0) passX(out, out, v.shape, w, mode, cval);
    else if (axis === 1) passStridedInPlace(out, ny, nx, nx, nz, nx * ny, w, mode, cval);
    else passStridedInPlace(out, nz, nx * ny, nx * ny, 1, 0, w, mode, cval);
  }
  return withGeometry(out, v);
}

function withGeometry(data: Float32Array, v: Volume): Volume<Float32Array> {
  const cur = data;
  const out: Volume<Float32Array> = { data: cur, shape: [...v.shape], spacing: [...v.spacing] };
  if (v.affine) out.affine = v.affine.map((row) => [...row]) as Volume['affine'];
  if (v.units !== undefined) out.units = v.units;
  return out;
}
