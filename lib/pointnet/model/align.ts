/**
 * Support-plane alignment: the model works in a frame where the dominant plane of the scan (the
 * table top or the floor the objects stand on) is z = 0 with z pointing to the side the objects are
 * on. A depth camera's own frame (PCL/Kinect: x right, y down, z forward) and a z-up world frame
 * both map to it, so the same weights serve synthetic scenes and real scans.
 *
 * Deterministic: RANSAC draws from a seeded mulberry32 over an index-strided subsample, the plane is
 * refined by least squares on its inliers (Jacobi eigen-decomposition), and its sign is chosen so
 * that more points lie just above it than just below. All arithmetic is f64; the aligned
 * coordinates are rounded to f32 once.
 */
import { ArgumentError } from '../../errors';
import { mulberry32 } from '../../synth/prng';

export interface PlaneOptions {
  /** Inlier distance, metres (default 0.01). */
  threshold?: number;
  /** RANSAC hypotheses (default 256). */
  iterations?: number;
  /** At most this many points (index-strided) take part in the fit (default 20 000). */
  maxSamples?: number;
  /** RANSAC seed (default 7). */
  seed?: number;
  /** Band |h| ∈ (side[0], side[1]) used to decide which side is up (default [0.02, 0.5] m). */
  side?: [number, number];
}

export interface SupportFrame {
  /** Unit normal (sensor frame), pointing to the objects' side. */
  normal: [number, number, number];
  /** Plane offset: signed height h(p) = normal·p + d. */
  d: number;
  /** Rows of the rotation sensor → aligned (x, y, z = normal). Row-major 3×3. */
  rotation: number[];
  /** Origin of the aligned frame in sensor coordinates (on the plane). */
  origin: [number, number, number];
  /** Inliers of the final plane among the fitted subsample, and the subsample size. */
  inliers: number;
  samples: number;
}

type V = [number, number, number];

const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: V, b: V): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
function unit(a: V): V {
  const l = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / l, a[1] / l, a[2] / l];
}

/** Eigenvector of the smallest eigenvalue of a symmetric 3×3 matrix (cyclic Jacobi). */
export function smallestEigenvector(m: number[]): V {
  const a = m.slice();
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
    if (off < 1e-30) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[3 * p + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[3 * k + p], akq = a[3 * k + q];
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k], aqk = a[3 * q + k];
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p], vkq = v[3 * k + q];
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 3; i++) if (a[4 * i] < a[4 * best]) best = i;
  return unit([v[best], v[3 + best], v[6 + best]]);
}

/**
 * Finds the support plane of `n` finite points (xyz interleaved, metres) and the frame that makes
 * it z = 0. Throws when no plane is found (fewer than 3 points, or all collinear).
 */
export function fitSupportFrame(positions: Float32Array, n: number, opts: PlaneOptions = {}): SupportFrame {
  const where = 'fitSupportFrame';
  const thr = opts.threshold ?? 0.01;
  const iters = opts.iterations ?? 256;
  const maxS = opts.maxSamples ?? 20_000;
  const [sLo, sHi] = opts.side ?? [0.02, 0.5];
  if (!(thr > 0) || !Number.isInteger(iters) || iters < 1 || !Number.isInteger(maxS) || maxS < 3) {
    throw new ArgumentError('threshold must be > 0, iterations ≥ 1 and maxSamples ≥ 3', { where });
  }
  if (n < 3) throw new ArgumentError(`a plane needs at least 3 points, got ${n}`, { where, hint: 'The cloud is empty after dropping invalid points.' });
  const stride = Math.ceil(n / maxS);
  const m = Math.ceil(n / stride);
  const P = new Float64Array(3 * m);
  for (let j = 0; j < m; j++) for (let c = 0; c < 3; c++) P[3 * j + c] = positions[3 * j * stride + c];
  const pt = (j: number): V => [P[3 * j], P[3 * j + 1], P[3 * j + 2]];
  const count = (nv: V, d: number): number => {
    let c = 0;
    for (let j = 0; j < m; j++) if (Math.abs(nv[0] * P[3 * j] + nv[1] * P[3 * j + 1] + nv[2] * P[3 * j + 2] + d) < thr) c++;
    return c;
  };
  const rng = mulberry32(opts.seed ?? 7);
  let best: { n: V; d: number; c: number } | null = null;
  for (let it = 0; it < iters; it++) {
    const i0 = Math.floor(rng() * m), i1 = Math.floor(rng() * m), i2 = Math.floor(rng() * m);
    if (i0 === i1 || i1 === i2 || i0 === i2) continue;
    const a = pt(i0);
    const nr = cross(sub(pt(i1), a), sub(pt(i2), a));
    const l = Math.hypot(nr[0], nr[1], nr[2]);
    if (!(l > 1e-12)) continue;
    const nv: V = [nr[0] / l, nr[1] / l, nr[2] / l];
    const d = -dot(nv, a);
    const c = count(nv, d);
    if (!best || c > best.c) best = { n: nv, d, c };
  }
  if (!best) throw new ArgumentError('no plane found (the points are collinear or too few)', { where, hint: 'Segment a scan with a visible support surface.' });
  // least-squares refinement on the inliers, twice
  let { n: nv, d } = best;
  let inl = best.c;
  for (let r = 0; r < 2; r++) {
    let cx = 0, cy = 0, cz = 0, k = 0;
    for (let j = 0; j < m; j++) {
      if (Math.abs(nv[0] * P[3 * j] + nv[1] * P[3 * j + 1] + nv[2] * P[3 * j + 2] + d) >= thr) continue;
      cx += P[3 * j]; cy += P[3 * j + 1]; cz += P[3 * j + 2]; k++;
    }
    if (k < 3) break;
    cx /= k; cy /= k; cz /= k;
    const cov = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < m; j++) {
      if (Math.abs(nv[0] * P[3 * j] + nv[1] * P[3 * j + 1] + nv[2] * P[3 * j + 2] + d) >= thr) continue;
      const x = P[3 * j] - cx, y = P[3 * j + 1] - cy, z = P[3 * j + 2] - cz;
      cov[0] += x * x; cov[1] += x * y; cov[2] += x * z; cov[4] += y * y; cov[5] += y * z; cov[8] += z * z;
    }
    cov[3] = cov[1]; cov[6] = cov[2]; cov[7] = cov[5];
    let nn = smallestEigenvector(cov);
    if (dot(nn, nv) < 0) nn = [-nn[0], -nn[1], -nn[2]];
    nv = nn;
    d = -(nv[0] * cx + nv[1] * cy + nv[2] * cz);
    inl = count(nv, d);
  }
  // up = the side with more points just off the plane
  let above = 0, below = 0;
  for (let j = 0; j < m; j++) {
    const h = nv[0] * P[3 * j] + nv[1] * P[3 * j + 1] + nv[2] * P[3 * j + 2] + d;
    if (h > sLo && h < sHi) above++;
    else if (h < -sLo && h > -sHi) below++;
  }
  if (below > above) {
    nv = [-nv[0], -nv[1], -nv[2]];
    d = -d;
  }
  // origin: the inliers' centroid projected on the plane
  let ox = 0, oy = 0, oz = 0, k = 0;
  for (let j = 0; j < m; j++) {
    const h = nv[0] * P[3 * j] + nv[1] * P[3 * j + 1] + nv[2] * P[3 * j + 2] + d;
    if (Math.abs(h) >= thr) continue;
    ox += P[3 * j] - h * nv[0]; oy += P[3 * j + 1] - h * nv[1]; oz += P[3 * j + 2] - h * nv[2]; k++;
  }
  const origin: V = k > 0 ? [ox / k, oy / k, oz / k] : [-d * nv[0], -d * nv[1], -d * nv[2]];
  const e: V = Math.abs(nv[1]) < 0.9 ? [0, 1, 0] : [1, 0, 0];
  const xa = unit(cross(e, nv));
  const ya = cross(nv, xa);
  return { normal: nv, d, rotation: [...xa, ...ya, ...nv], origin, inliers: inl, samples: m };
}

/** Points in the aligned frame: q = R·(p − origin), f32. */
export function applyFrame(positions: Float32Array, n: number, f: SupportFrame): Float32Array {
  const R = f.rotation;
  const [ox, oy, oz] = f.origin;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const x = positions[3 * i] - ox, y = positions[3 * i + 1] - oy, z = positions[3 * i + 2] - oz;
    out[3 * i] = R[0] * x + R[1] * y + R[2] * z;
    out[3 * i + 1] = R[3] * x + R[4] * y + R[5] * z;
    out[3 * i + 2] = R[6] * x + R[7] * y + R[8] * z;
  }
  return out;
}

/** Sensor-frame vectors (e.g. offsets) from aligned-frame vectors: v = Rᵀ·u. */
export function rotateBack(u: Float32Array, n: number, f: SupportFrame): Float32Array {
  const R = f.rotation;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const a = u[3 * i], b = u[3 * i + 1], c = u[3 * i + 2];
    out[3 * i] = R[0] * a + R[3] * b + R[6] * c;
    out[3 * i + 1] = R[1] * a + R[4] * b + R[7] * c;
    out[3 * i + 2] = R[2] * a + R[5] * b + R[8] * c;
  }
  return out;
}
