/**
 * Farthest point sampling (PointNet++ `furthest_point_sampling`), CPU twin of
 * `gpu-kernels/pointnet/fps`.
 *
 * Semantics: sample 0 is `start`; every later sample is the point maximising its f32 squared
 * distance to the samples so far (`temp[i] = min(temp[i], d(i, last))`, initial temp = F32_MAX),
 * ties to the LOWEST index. Distances use `dist2` of `./common` exactly, so the GPU kernel equals
 * this function bit for bit from the same start.
 *
 * Speed without changing the result: points are ordered along a Morton curve and cut into buckets
 * of BUCKET points with a tight bounding box, a running max of `temp` and its argmax. A new sample
 * cannot lower any `temp` in a bucket whose box is farther (conservatively, with a 1e-6 relative
 * margin that covers the f32 rounding of `dist2`, ≤ 5·2⁻²⁴) than the bucket's max temp, so such
 * buckets are skipped; the global argmax is taken over the bucket maxima with the same tie rule.
 */
import { ArgumentError } from '../errors';
import { F32_MAX, checkInt, checkPositions } from './common';

const BUCKET = 32;
const fr = Math.fround;

/** Spreads the low 10 bits of v to every third bit. */
function part1by2(v: number): number {
  v &= 0x3ff;
  v = (v | (v << 16)) & 0x030000ff;
  v = (v | (v << 8)) & 0x0300f00f;
  v = (v | (v << 4)) & 0x030c30c3;
  v = (v | (v << 2)) & 0x09249249;
  return v;
}

/**
 * Indices of `count` points chosen by farthest point sampling from the first `n` points of
 * `positions` (xyz interleaved, finite), starting at `start`. Inputs are not modified.
 */
export function fps(positions: Float32Array, n: number, count: number, start = 0): Uint32Array {
  const where = 'fps';
  checkPositions(positions, n, where);
  checkInt(count, 'count', where, 0, n);
  if (count > 0) checkInt(start, 'start', where, 0, n - 1);
  else if (!Number.isInteger(start) || start < 0) throw new ArgumentError(`start must be an integer ≥ 0, got ${start}`, { where: `${where}.start` });
  const out = new Uint32Array(count);
  if (count === 0) return out;
  out[0] = start;
  if (count === 1) return out;

  // Morton order (stable by index) → buckets.
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = positions[3 * i], y = positions[3 * i + 1], z = positions[3 * i + 2];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  const ext = Math.max(x1 - x0, y1 - y0, z1 - z0) || 1;
  const s = 1023.999 / ext;
  // key = morton (30 bits) · 2^21 + index (n < 2^21) or sort (morton, index) pairs otherwise.
  const perm = new Uint32Array(n);
  if (n < 2 ** 21) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const m =
        part1by2(((positions[3 * i] - x0) * s) | 0) |
        (part1by2(((positions[3 * i + 1] - y0) * s) | 0) << 1) |
        (part1by2(((positions[3 * i + 2] - z0) * s) | 0) << 2);
      keys[i] = (m >>> 0) * 2097152 + i;
    }
    keys.sort();
    for (let i = 0; i < n; i++) perm[i] = keys[i] % 2097152;
  } else {
    const codes = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      codes[i] =
        (part1by2(((positions[3 * i] - x0) * s) | 0) |
          (part1by2(((positions[3 * i + 1] - y0) * s) | 0) << 1) |
          (part1by2(((positions[3 * i + 2] - z0) * s) | 0) << 2)) >>>
        0;
      perm[i] = i;
    }
    perm.sort((a, b) => codes[a] - codes[b] || a - b);
  }
  const px = new Float32Array(n), py = new Float32Array(n), pz = new Float32Array(n);
  for (let s2 = 0; s2 < n; s2++) {
    const i = perm[s2];
    px[s2] = positions[3 * i];
    py[s2] = positions[3 * i + 1];
    pz[s2] = positions[3 * i + 2];
  }
  const nb = Math.ceil(n / BUCKET);
  const box = new Float64Array(6 * nb);
  const bmax = new Float64Array(nb).fill(F32_MAX);
  const barg = new Uint32Array(nb);
  for (let b = 0; b < nb; b++) {
    let ax = Infinity, ay = Infinity, az = Infinity, bx = -Infinity, by = -Infinity, bz = -Infinity;
    let lo = 0xffffffff;
    for (let s2 = b * BUCKET, e = Math.min(n, s2 + BUCKET); s2 < e; s2++) {
      const x = px[s2], y = py[s2], z = pz[s2];
      if (x < ax) ax = x;
      if (x > bx) bx = x;
      if (y < ay) ay = y;
      if (y > by) by = y;
      if (z < az) az = z;
      if (z > bz) bz = z;
      if (perm[s2] < lo) lo = perm[s2];
    }
    box.set([ax, ay, az, bx, by, bz], 6 * b);
    barg[b] = lo;
  }
  const temp = new Float32Array(n).fill(F32_MAX);
  const SAFE = 1 - 1e-6;

  let last = start;
  for (let j = 1; j < count; j++) {
    const cx = positions[3 * last], cy = positions[3 * last + 1], cz = positions[3 * last + 2];
    let gBest = -1;
    let gArg = 0;
    for (let b = 0; b < nb; b++) {
      const o = 6 * b;
      const ex = Math.max(box[o] - cx, cx - box[o + 3], 0);
      const ey = Math.max(box[o + 1] - cy, cy - box[o + 4], 0);
      const ez = Math.max(box[o + 2] - cz, cz - box[o + 5], 0);
      let bm = bmax[b];
      if ((ex * ex + ey * ey + ez * ez) * SAFE - 1e-30 < bm) {
        let best = -1;
        let arg = 0;
        for (let s2 = b * BUCKET, e = Math.min(n, s2 + BUCKET); s2 < e; s2++) {
          const dx = fr(px[s2] - cx), dy = fr(py[s2] - cy), dz = fr(pz[s2] - cz);
          const d = fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
          let t = temp[s2];
          if (d < t) {
            temp[s2] = d;
            t = d;
          }
          if (t > best || (t === best && perm[s2] < arg)) {
            best = t;
            arg = perm[s2];
          }
        }
        bmax[b] = bm = best;
        barg[b] = arg;
      }
      if (bm > gBest || (bm === gBest && barg[b] < gArg)) {
        gBest = bm;
        gArg = barg[b];
      }
    }
    out[j] = gArg;
    last = gArg;
  }
  return out;
}

/** Plain O(n·count) FPS with the same semantics (the oracle for tests). */
export function fpsBruteForce(positions: Float32Array, n: number, count: number, start = 0): Uint32Array {
  const out = new Uint32Array(count);
  if (count === 0) return out;
  const temp = new Float32Array(n).fill(F32_MAX);
  let last = start;
  out[0] = start;
  for (let j = 1; j < count; j++) {
    let best = -1;
    let arg = 0;
    for (let i = 0; i < n; i++) {
      const dx = fr(positions[3 * i] - positions[3 * last]);
      const dy = fr(positions[3 * i + 1] - positions[3 * last + 1]);
      const dz = fr(positions[3 * i + 2] - positions[3 * last + 2]);
      const d = fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
      if (d < temp[i]) temp[i] = d;
      if (temp[i] > best) {
        best = temp[i];
        arg = i;
      }
    }
    out[j] = arg;
    last = arg;
  }
  return out;
}
