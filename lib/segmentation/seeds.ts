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
 * Sliding maximum of width 2r+1 along an outer axis (rows `stride` apart) of the block starting at
 * `base` with `n` rows of `rowLen` contiguous values, in place, with the constant 0 outside the
 * block (scipy `maximum_filter1d(mode='constant', cval=0)`). van Herk / Gil-Werman as in
 * {@link maxLine} (same blocks, same comparisons, so bit-identical), but run on whole rows at once:
 * column tiles of the block are processed with the row axis outermost and x innermost, so every
 * access is sequential and no lines are gathered. `g` and `h` hold ≥ (n + 2r) · 16 values.
 */
function maxFilterRows(a: Float32Array, base: number, n: number, stride: number, rowLen: number, r: number, g: Float32Array, h: Float32Array): void {
  const w = 2 * r + 1;
  const m = n + 2 * r;
  const T = Math.max(1, Math.min(rowLen, Math.floor(g.length / m)));
  for (let c0 = 0; c0 < rowLen; c0 += T) {
    const len = Math.min(T, rowLen - c0);
    const off0 = base + c0;
    for (let b0 = 0; b0 < m; b0 += w) {
      const b1 = Math.min(m, b0 + w);
      // Prefix maxima g over the block's rows (padded row q is source row q − r, 0 outside).
      for (let q = b0; q < b1; q++) {
        const src = q - r;
        const gq = q * T;
        if (q === b0) {
          if (src < 0 || src >= n) for (let x = 0; x < len; x++) g[gq + x] = 0;
          else {
            const ao = off0 + src * stride;
            for (let x = 0; x < len; x++) g[gq + x] = a[ao + x];
          }
        } else if (src < 0 || src >= n) {
          for (let x = 0; x < len; x++) {
            const prev = g[gq - T + x];
            g[gq + x] = 0 > prev ? 0 : prev;
          }
        } else {
          const ao = off0 + src * stride;
          for (let x = 0; x < len; x++) {
            const v = a[ao + x];
            const prev = g[gq - T + x];
            g[gq + x] = v > prev ? v : prev;
          }
        }
      }
      // Suffix maxima h.
      for (let q = b1 - 1; q >= b0; q--) {
        const src = q - r;
        const hq = q * T;
        if (q === b1 - 1) {
          if (src < 0 || src >= n) for (let x = 0; x < len; x++) h[hq + x] = 0;
          else {
            const ao = off0 + src * stride;
            for (let x = 0; x < len; x++) h[hq + x] = a[ao + x];
          }
        } else if (src < 0 || src >= n) {
          for (let x = 0; x < len; x++) {
            const prev = h[hq + T + x];
            h[hq + x] = 0 > prev ? 0 : prev;
          }
        } else {
          const ao = off0 + src * stride;
          for (let x = 0; x < len; x++) {
            const v = a[ao + x];
            const prev = h[hq + T + x];
            h[hq + x] = v > prev ? v : prev;
          }
        }
      }
    }
    const r2T = 2 * r * T;
    for (let i = 0; i < n; i++) {
      const ao = off0 + i * stride;
      const hi = i * T;
      const gi = hi + r2T;
      for (let x = 0; x < len; x++) {
        const hv = h[hi + x];
        const gv = g[gi + x];
        a[ao + x] = hv > gv ? hv : gv;
      }
    }
  }
}

/** Gil-Werman sliding maximum of one line `line[o .. o+n)` in place (see maxFilterRows). */
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
  const findMin = opts.thresholdAbs === undefined;
  if (!findMin) {
    if (typeof opts.thresholdAbs !== 'number' || Number.isNaN(opts.thresholdAbs)) {
      throw new ArgumentError(`thresholdAbs must be a number, got ${String(opts.thresholdAbs)}`, { where: `${where}.thresholdAbs` });
    }
    threshold = opts.thresholdAbs;
  } else threshold = Infinity;

  // 1. Bounding box of the mask inside the border-excluded region (and, by default, the minimum
  // of dist as threshold), in one pass.
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  const bxLo = border[0];
  const bxHi = nx - border[0];
  for (let z = 0; z < nz; z++) {
    const zIn = z >= border[2] && z < nz - border[2];
    for (let y = 0; y < ny; y++) {
      const row = nx * (y + ny * z);
      if (findMin) {
        let t = threshold;
        for (let x = 0; x < nx; x++) {
          const v = data[row + x];
          if (v < t) t = v;
        }
        threshold = t;
      }
      if (!zIn || y < border[1] || y >= ny - border[1]) continue;
      let first = -1;
      for (let x = bxLo; x < bxHi; x++) {
        if (mask[row + x] !== 0) {
          first = x;
          break;
        }
      }
      if (first < 0) continue;
      let last = first;
      for (let x = bxHi - 1; x > first; x--) {
        if (mask[row + x] !== 0) {
          last = x;
          break;
        }
      }
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (z < z0) z0 = z;
      if (z > z1) z1 = z;
    }
  }
  if (x1 < 0) return new Uint32Array(0);
  const d: Vec3 = [x1 - x0 + 1, y1 - y0 + 1, z1 - z0 + 1];
  const [bx, by, bz] = d;
  const btotal = bx * by * bz;
  const bxy = bx * by;

  // 2. The work image inside B is `img` = dist on the mask, −FLT_MAX elsewhere; it is never
  // stored: `mx` (its maximum filter) is built from dist and the mask directly, and candidates
  // are read off dist, the mask and `mx` in one scan.
  const globalOf = (j: number): number => {
    const z = (j / bxy) | 0;
    const rem = j - z * bxy;
    const y = (rem / bx) | 0;
    return x0 + rem - y * bx + nx * (y + y0 + ny * (z + z0));
  };
  const imgAt = (j: number): number => {
    const g = globalOf(j);
    return mask[g] !== 0 ? data[g] : FLOAT32_LOWEST;
  };
  let cap = 1024;
  let pos = new Int32Array(cap);
  let keys = new Float32Array(cap);
  let nc = 0;
  const add = (j: number, v: number): void => {
    if (nc === cap) {
      cap *= 2;
      const p2 = new Int32Array(cap);
      p2.set(pos);
      pos = p2;
      const k2 = new Float32Array(cap);
      k2.set(keys);
      keys = k2;
    }
    pos[nc] = j;
    keys[nc++] = -v;
  };
  if ((md[0] === 0 && md[1] === 0 && md[2] === 0) || btotal === 1) {
    for (let j = 0; j < btotal; j++) {
      const v = imgAt(j);
      if (v > threshold) add(j, v);
    }
  } else {
    const len = Math.max(bx + 2 * md[0], by + 2 * md[1], bz + 2 * md[2]);
    const p = new Float32Array(len);
    const gl = new Float32Array(len);
    const hl = new Float32Array(len);
    // Rows of g/h for the row-wise passes: a cache-sized tile, at least 16 columns wide.
    const gh = Math.max(65536, 16 * (Math.max(by + 2 * md[1], bz + 2 * md[2]) + 1));
    const g = new Float32Array(gh);
    const h = new Float32Array(gh);
    /** Plane z of the work image into `a` at `pb`, filtered along x and y; returns whether it holds a NaN. */
    const buildPlane = (a: Float32Array, pb: number, z: number): boolean => {
      let nan = false;
      for (let y = 0; y < by; y++) {
        const src = x0 + nx * (y + y0 + ny * (z + z0));
        const o = pb + y * bx;
        for (let x = 0; x < bx; x++) {
          const v = mask[src + x] !== 0 ? data[src + x] : FLOAT32_LOWEST;
          if (v !== v) nan = true;
          a[o + x] = v;
        }
        if (md[0] > 0) maxLine(a, o, bx, md[0], p, gl, hl);
      }
      if (md[1] > 0) maxFilterRows(a, pb, by, bx, bx, md[1], g, h);
      return nan;
    };
    /** Candidates (4.) of plane z given its local maxima `a[pb ..]`; returns false if the plane is not trivial. */
    const scanPlane = (a: Float32Array, pb: number, z: number): boolean => {
      let triv = true;
      for (let y = 0, j = z * bxy; y < by; y++) {
        const src = x0 + nx * (y + y0 + ny * (z + z0));
        const o = pb + y * bx;
        for (let x = 0; x < bx; x++, j++) {
          const inMask = mask[src + x] !== 0;
          const v = inMask ? data[src + x] : FLOAT32_LOWEST;
          if (v === a[o + x]) {
            if (v > threshold) add(j, v);
          } else if (inMask) triv = false;
        }
      }
      return triv;
    };
    let trivial = true;
    // The z maximum is streamed: a ring of the 2·md_z + 1 x/y-filtered planes around the current
    // one, their maximum (with the constant 0 where the window leaves the box) taken plane by
    // plane, so no box-sized buffer is needed. Without NaNs the maximum does not depend on how it
    // is computed; with a NaN (order-dependent comparisons) the whole box takes the van Herk path.
    const r2 = md[2];
    const nSlots = Math.min(2 * r2 + 1, bz);
    const ring = new Float32Array(nSlots * bxy);
    const acc = new Float32Array(bxy);
    let built = 0;
    let sawNaN = false;
    for (let z = 0; z < bz && !sawNaN; z++) {
      const hiZ = Math.min(bz - 1, z + r2);
      while (built <= hiZ && !sawNaN) {
        sawNaN = buildPlane(ring, (built % nSlots) * bxy, built);
        built++;
      }
      if (sawNaN) break;
      const loZ = z - r2 > 0 ? z - r2 : 0;
      acc.set(ring.subarray((loZ % nSlots) * bxy, (loZ % nSlots) * bxy + bxy));
      for (let k = loZ + 1; k <= hiZ; k++) {
        const b = (k % nSlots) * bxy;
        for (let i = 0; i < bxy; i++) {
          const v = ring[b + i];
          if (v > acc[i]) acc[i] = v;
        }
      }
      if (z - r2 < 0 || z + r2 > bz - 1) {
        for (let i = 0; i < bxy; i++) if (0 > acc[i]) acc[i] = 0;
      }
      if (!scanPlane(acc, 0, z)) trivial = false;
    }
    if (sawNaN) {
      // van Herk along z over the whole box: bit-for-bit the comparisons of scipy's filter.
      nc = 0;
      trivial = true;
      const mx = new Float32Array(btotal);
      for (let z = 0; z < bz; z++) buildPlane(mx, z * bxy, z);
      if (md[2] > 0) maxFilterRows(mx, 0, bz, bxy, bxy, md[2], g, h);
      for (let z = 0; z < bz; z++) if (!scanPlane(mx, z * bxy, z)) trivial = false;
    }
    if (trivial) {
      // 3. No peak in a trivial image: take the isolated mask voxels instead.
      const lm = new Uint8Array(btotal);
      for (let j = 0; j < btotal; j++) lm[j] = mask[globalOf(j)] !== 0 ? 1 : 0;
      const iso = isolatedVoxels(lm, d);
      nc = 0;
      for (let j = 0; j < btotal; j++) {
        if (!iso[j]) continue;
        const v = imgAt(j);
        if (v > threshold) add(j, v);
      }
    }
  }

  // 5. Order by descending value (numpy argsort of −value) and suppress greedily.
  if (nc < cap) {
    pos = pos.slice(0, nc);
    keys = keys.slice(0, nc);
  }
  return selectPeaks(pos, keys, d, md, [x0, y0, z0], dist.shape);
}

/**
 * The last step of peak detection, shared with the GPU twin: orders the candidates by descending
 * value (numpy's argsort of `keys` = −value, ties as numpy), suppresses greedily by min distance,
 * and maps the kept box-linear indices (box shape `d`, origin `origin` in a volume of `shape`) to
 * flat volume indices.
 */
export function selectPeaks(pos: ArrayLike<number>, keys: Float32Array | Float64Array, d: Vec3, md: Vec3, origin: Vec3, shape: Vec3): Uint32Array {
  const [bx, by] = d;
  const [x0, y0, z0] = origin;
  const [nx, ny] = shape;
  const order = numpyArgsort(keys);
  const accepted = suppressByMinDistance(pos, order, d, md);
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
 * `pos` holds box-linear indices (x fastest, box shape `d`); returns the kept ones in order.
 * Shared by the CPU `findSeeds` and the GPU `findSeedsGpu`.
 */
export function suppressByMinDistance(pos: ArrayLike<number>, order: Int32Array, d: Vec3, md: Vec3): Int32Array {
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
