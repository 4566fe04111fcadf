/**
 * Seed (marker) detection: local maxima of a distance map, with scikit-image 0.19
 * `peak_local_max(image, min_distance=md, threshold_abs=None, exclude_border=True, labels=mask)`
 * semantics, generalised to a per-axis minimum distance for anisotropic volumes.
 *
 * What skimage 0.19 does with `labels` = a binary mask, and what this reproduces exactly:
 * 1. Border exclusion: mask voxels closer than `border[i]` to either end of axis i are dropped;
 *    the work region is the bounding box B of the remaining mask voxels (empty → no peaks).
 * 2. Inside B, voxels of the (original) mask keep their value, others get −FLT_MAX; a box maximum
 *    filter of size 2·md+1 per axis with constant 0 outside B marks candidates `value == max`.
 * 3. If every mask voxel in B is a candidate (a "trivial" image), candidates are instead the mask
 *    voxels removed by a binary opening (6-connected cross, zero border) — isolated voxels.
 * 4. Candidates must be `> threshold` (default: the minimum of the whole `dist` volume).
 * 5. Candidates are ordered by descending value with numpy's (unstable) argsort and accepted
 *    greedily: a candidate is rejected if an already accepted peak lies within the open box
 *    |Δx| < md_x, |Δy| < md_y, |Δz| < md_z (skimage: Chebyshev distance < md).
 */
import { ArgumentError, ShapeError } from '../errors';
import { validateVolume, type Vec3, type Volume } from '../volume';
import { numpyArgsort } from './numpy-argsort';

/** np.finfo(np.float32).min, skimage's background value for float32 images. */
const FLOAT32_LOWEST = -3.4028234663852886e38;

export interface FindSeedsOptions {
  /** Minimum distance between peaks, in voxels per axis (x, y, z); non-negative integers. */
  minDistance: Vec3;
  /** true (default): exclude `minDistance` voxels at each border; false: none; Vec3: per-axis widths. */
  excludeBorder?: boolean | Vec3;
  /** Peaks must be strictly greater than this; default the minimum of `dist`. */
  thresholdAbs?: number;
}

/**
 * Sliding maximum of width 2r+1 along one axis of a box of dims `d`, in place, with the constant 0
 * outside the box (scipy `maximum_filter1d(mode='constant', cval=0)`). van Herk / Gil-Werman: the
 * line is padded with r zeros per side and cut into blocks of w = 2r+1; with prefix maxima `g` and
 * suffix maxima `h` per block, the window [q, q+2r] of the padded line has maximum
 * max(h[q], g[q+2r]). Three comparisons per voxel, O(n) per line.
 */
function maxFilterAxis(a: Float32Array, d: Vec3, axis: 0 | 1 | 2, r: number, p: Float32Array, g: Float32Array, h: Float32Array): void {
  const [bx, by, bz] = d;
  const n = d[axis];
  const total = bx * by * bz;
  const nLines = total / n;
  const stride = axis === 0 ? 1 : axis === 1 ? bx : bx * by;
  // Consecutive lines start at consecutive addresses within a run (x lines excepted): gather a
  // block of them with contiguous reads into a transposed buffer, filter, scatter back.
  const run = axis === 0 ? 1 : axis === 1 ? bx : bx * by;
  const runStride = axis === 1 ? bx * by : 0;
  const B = axis === 0 ? 1 : Math.max(1, Math.min(run, Math.floor(65536 / n)));
  const buf = axis === 0 ? a : new Float32Array(B * n);
  for (let k = 0; k < r; k++) {
    p[k] = 0;
    p[r + n + k] = 0;
  }
  let l0 = 0;
  while (l0 < nLines) {
    let start: number;
    let nb: number;
    if (axis === 0) {
      start = l0 * bx;
      nb = 1;
    } else {
      const rr = Math.floor(l0 / run);
      const inRun = l0 - rr * run;
      nb = Math.min(B, nLines - l0, run - inRun);
      start = rr * runStride + inRun;
      for (let q = 0; q < n; q++) {
        const off = start + q * stride;
        for (let b = 0; b < nb; b++) buf[b * n + q] = a[off + b];
      }
    }
    for (let b = 0; b < nb; b++) {
      const o = axis === 0 ? start : b * n;
      maxLine(buf, o, n, r, p, g, h);
    }
    if (axis !== 0) {
      for (let q = 0; q < n; q++) {
        const off = start + q * stride;
        for (let b = 0; b < nb; b++) a[off + b] = buf[b * n + q];
      }
    }
    l0 += nb;
  }
}

/** Gil-Werman sliding maximum of one line `line[o .. o+n)` in place (see maxFilterAxis). */
function maxLine(line: Float32Array, o: number, n: number, r: number, p: Float32Array, g: Float32Array, h: Float32Array): void {
  const w = 2 * r + 1;
  const m = n + 2 * r;
  for (let q = 0; q < n; q++) p[r + q] = line[o + q];
  for (let b0 = 0; b0 < m; b0 += w) {
    const b1 = Math.min(m, b0 + w);
    let run = p[b0];
    g[b0] = run;
    for (let q = b0 + 1; q < b1; q++) {
      const v = p[q];
      if (v > run) run = v;
      g[q] = run;
    }
    run = p[b1 - 1];
    h[b1 - 1] = run;
    for (let q = b1 - 2; q >= b0; q--) {
      const v = p[q];
      if (v > run) run = v;
      h[q] = run;
    }
  }
  const r2 = 2 * r;
  for (let q = 0; q < n; q++) {
    const hv = h[q];
    const gv = g[q + r2];
    line[o + q] = hv > gv ? hv : gv;
  }
}

/** Mask voxels removed by a binary opening with the 6-connected cross (scipy defaults, border 0). */
function isolatedVoxels(m: Uint8Array, d: Vec3): Uint8Array {
  const [bx, by, bz] = d;
  const total = bx * by * bz;
  const eroded = new Uint8Array(total);
  const bxy = bx * by;
  for (let z = 0, i = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      for (let x = 0; x < bx; x++, i++) {
        if (!m[i]) continue;
        if (x === 0 || x === bx - 1 || y === 0 || y === by - 1 || z === 0 || z === bz - 1) continue;
        if (m[i - 1] && m[i + 1] && m[i - bx] && m[i + bx] && m[i - bxy] && m[i + bxy]) eroded[i] = 1;
      }
    }
  }
  const out = new Uint8Array(total);
  for (let z = 0, i = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      for (let x = 0; x < bx; x++, i++) {
        if (!m[i]) continue;
        const opened =
          eroded[i] ||
          (x > 0 && eroded[i - 1]) || (x < bx - 1 && eroded[i + 1]) ||
          (y > 0 && eroded[i - bx]) || (y < by - 1 && eroded[i + bx]) ||
          (z > 0 && eroded[i - bxy]) || (z < bz - 1 && eroded[i + bxy]);
        if (!opened) out[i] = 1;
      }
    }
  }
  return out;
}

function checkIntVec(v: unknown, name: string, where: string): Vec3 {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((e) => Number.isInteger(e) && e >= 0)) {
    throw new ArgumentError(`${name} must be three non-negative integers (x, y, z), got ${JSON.stringify(v)}`, { where: `${where}.${name}` });
  }
  return [v[0], v[1], v[2]];
}

/**
 * Flat voxel indices (x + nx·(y + ny·z)) of the peaks of `dist` inside `mask` (nonzero =
 * foreground, treated as one label), sorted by descending value (numpy's order among ties).
 * See the module comment for the exact semantics; with an isotropic `minDistance` [m, m, m] the
 * result equals skimage 0.19 `peak_local_max(dist, min_distance=m, labels=mask)`.
 * Inputs are not modified.
 */
export function findSeeds(dist: Volume<Float32Array>, mask: Uint8Array, opts: FindSeedsOptions): Uint32Array {
  const where = 'findSeeds';
  validateVolume(dist, where);
  const [nx, ny, nz] = dist.shape;
  const total = nx * ny * nz;
  if (mask.length !== total) throw new ShapeError(`mask has ${mask.length} voxels but dist has ${total}`, { where: `${where}.mask` });
  const md = checkIntVec(opts.minDistance, 'minDistance', where);
  const ex = opts.excludeBorder ?? true;
  const border: Vec3 = ex === true ? md : ex === false ? [0, 0, 0] : checkIntVec(ex, 'excludeBorder', where);
  const data = dist.data;
  let threshold: number;
  if (opts.thresholdAbs !== undefined) {
    if (typeof opts.thresholdAbs !== 'number' || Number.isNaN(opts.thresholdAbs)) {
      throw new ArgumentError(`thresholdAbs must be a number, got ${String(opts.thresholdAbs)}`, { where: `${where}.thresholdAbs` });
    }
    threshold = opts.thresholdAbs;
  } else {
    threshold = Infinity;
    for (let i = 0; i < total; i++) if (data[i] < threshold) threshold = data[i];
  }

  // 1. Bounding box of the mask inside the border-excluded region.
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  for (let z = border[2]; z < nz - border[2]; z++) {
    for (let y = border[1]; y < ny - border[1]; y++) {
      const row = nx * (y + ny * z);
      for (let x = border[0]; x < nx - border[0]; x++) {
        if (mask[row + x] === 0) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < z0) z0 = z;
        if (z > z1) z1 = z;
      }
    }
  }
  if (x1 < 0) return new Uint32Array(0);
  const d: Vec3 = [x1 - x0 + 1, y1 - y0 + 1, z1 - z0 + 1];
  const [bx, by, bz] = d;
  const btotal = bx * by * bz;

  // 2. Work image and its local mask.
  const img = new Float32Array(btotal);
  const lm = new Uint8Array(btotal);
  for (let z = 0, j = 0; z < bz; z++) {
    for (let y = 0; y < by; y++) {
      const row = x0 + nx * (y + y0 + ny * (z + z0));
      for (let x = 0; x < bx; x++, j++) {
        if (mask[row + x] !== 0) {
          lm[j] = 1;
          img[j] = data[row + x];
        } else img[j] = FLOAT32_LOWEST;
      }
    }
  }

  const cand = new Uint8Array(btotal);
  if ((md[0] === 0 && md[1] === 0 && md[2] === 0) || btotal === 1) {
    for (let j = 0; j < btotal; j++) if (img[j] > threshold) cand[j] = 1;
  } else {
    const mx = img.slice();
    const len = Math.max(bx + 2 * md[0], by + 2 * md[1], bz + 2 * md[2]);
    const p = new Float32Array(len);
    const g = new Float32Array(len);
    const h = new Float32Array(len);
    for (const axis of [0, 1, 2] as const) {
      if (md[axis] > 0) maxFilterAxis(mx, d, axis, md[axis], p, g, h);
    }
    // Candidates: equal to the local maximum and above the threshold (4.).
    let trivial = true;
    for (let j = 0; j < btotal; j++) {
      const v = img[j];
      if (v === mx[j]) {
        if (v > threshold) cand[j] = 1;
      } else if (lm[j]) trivial = false;
    }
    if (trivial) {
      // 3. No peak in a trivial image: take the isolated mask voxels instead.
      const iso = isolatedVoxels(lm, d);
      for (let j = 0; j < btotal; j++) cand[j] = iso[j] && img[j] > threshold ? 1 : 0;
    }
  }

  // 5. Order by descending value (numpy argsort of −value) and suppress greedily.
  let nc = 0;
  for (let j = 0; j < btotal; j++) nc += cand[j];
  const pos = new Int32Array(nc);
  const keys = new Float32Array(nc);
  for (let j = 0, k = 0; j < btotal; j++) {
    if (!cand[j]) continue;
    pos[k] = j;
    keys[k++] = -img[j];
  }
  const order = numpyArgsort(keys);
  const accepted = suppress(pos, order, d, md);
  const out = new Uint32Array(accepted.length);
  for (let k = 0; k < accepted.length; k++) {
    const j = accepted[k];
    const z = Math.floor(j / (bx * by));
    const rem = j - z * bx * by;
    const y = Math.floor(rem / bx);
    const x = rem - y * bx;
    out[k] = x + x0 + nx * (y + y0 + ny * (z + z0));
  }
  return out;
}

/**
 * Greedy minimum-distance suppression in the given order: keeps a candidate unless an already
 * kept one lies within the open box |Δ| < md per axis (no suppression if any md is 0, matching
 * skimage's `distance < min_distance` test). Uses a grid of cells of size md for O(1) lookups.
 */
function suppress(pos: Int32Array, order: Int32Array, d: Vec3, md: Vec3): Int32Array {
  const n = order.length;
  const kept = new Int32Array(n);
  if (md[0] === 0 || md[1] === 0 || md[2] === 0 || (md[0] === 1 && md[1] === 1 && md[2] === 1)) {
    for (let k = 0; k < n; k++) kept[k] = pos[order[k]];
    return kept;
  }
  const [bx, by] = d;
  const gx = Math.ceil(d[0] / md[0]);
  const gy = Math.ceil(d[1] / md[1]);
  const gz = Math.ceil(d[2] / md[2]);
  const head = new Int32Array(gx * gy * gz).fill(-1);
  const next = new Int32Array(n);
  const kx = new Int32Array(n);
  const ky = new Int32Array(n);
  const kz = new Int32Array(n);
  let nk = 0;
  for (let k = 0; k < n; k++) {
    const j = pos[order[k]];
    const z = Math.floor(j / (bx * by));
    const rem = j - z * bx * by;
    const y = Math.floor(rem / bx);
    const x = rem - y * bx;
    const cx = Math.floor(x / md[0]);
    const cy = Math.floor(y / md[1]);
    const cz = Math.floor(z / md[2]);
    let reject = false;
    for (let c = Math.max(0, cz - 1); c <= Math.min(gz - 1, cz + 1) && !reject; c++) {
      for (let b = Math.max(0, cy - 1); b <= Math.min(gy - 1, cy + 1) && !reject; b++) {
        for (let a = Math.max(0, cx - 1); a <= Math.min(gx - 1, cx + 1) && !reject; a++) {
          for (let p = head[a + gx * (b + gy * c)]; p >= 0; p = next[p]) {
            if (Math.abs(kx[p] - x) < md[0] && Math.abs(ky[p] - y) < md[1] && Math.abs(kz[p] - z) < md[2]) {
              reject = true;
              break;
            }
          }
        }
      }
    }
    if (reject) continue;
    const cell = cx + gx * (cy + gy * cz);
    kx[nk] = x;
    ky[nk] = y;
    kz[nk] = z;
    next[nk] = head[cell];
    head[cell] = nk;
    kept[nk++] = j;
  }
  return kept.slice(0, nk);
}

/**
 * Marker volume for {@link watershed}: voxel `seeds[i]` gets label i + 1, everything else 0.
 * Throws `ArgumentError` for an index outside the volume or a repeated seed.
 */
export function seedsToMarkers(seeds: Uint32Array, shape: Vec3): Uint32Array {
  const total = shape[0] * shape[1] * shape[2];
  const out = new Uint32Array(total);
  for (let i = 0; i < seeds.length; i++) {
    const s = seeds[i];
    if (s >= total) {
      throw new ArgumentError(`seed ${i} has index ${s}, outside the ${total} voxels`, { where: 'seedsToMarkers', hint: 'Seeds are flat indices x + nx*(y + ny*z).' });
    }
    if (out[s] !== 0) throw new ArgumentError(`seed ${i} repeats voxel ${s} (seed ${out[s] - 1})`, { where: 'seedsToMarkers' });
    out[s] = i + 1;
  }
  return out;
}
