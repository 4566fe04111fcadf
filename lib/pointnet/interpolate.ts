/**
 * Feature propagation by 3-NN inverse-distance interpolation (PointNet++ `three_nn` +
 * `three_interpolate`), CPU twin of `gpu-kernels/pointnet/interpolate`.
 *
 * three_nn: scan the known points in index order keeping the three smallest f32 `dist2` with strict
 * `<` (ties keep the lower index first). Weights w_i = 1 / (d²_i + 1e-8), normalised to sum 1
 * (d² = squared distance, as in the brief). The twin computes weights and sums in f64; the GPU in
 * f32 (agreement ≤ 1e-5).
 */
import { ArgumentError, ShapeError } from '../errors';
import { checkInt, checkPositions } from './common';

const fr = Math.fround;

export interface ThreeNN {
  /** [n, 3] indices into the known points, nearest first. */
  idx: Uint32Array;
  /** [n, 3] f32 squared distances. */
  dist2: Float32Array;
}

export function threeNN(unknown: Float32Array, n: number, known: Float32Array, m: number): ThreeNN {
  const where = 'threeNN';
  checkPositions(unknown, n, where, 'unknown');
  checkPositions(known, m, where, 'known');
  if (m < 3) throw new ArgumentError(`3-NN needs at least 3 known points, got ${m}`, { where: `${where}.known` });
  const idx = new Uint32Array(3 * n);
  const dist2 = new Float32Array(3 * n);
  for (let u = 0; u < n; u++) {
    const ux = unknown[3 * u], uy = unknown[3 * u + 1], uz = unknown[3 * u + 2];
    let b1 = Infinity, b2 = Infinity, b3 = Infinity;
    let i1 = 0, i2 = 0, i3 = 0;
    for (let q = 0; q < m; q++) {
      const dx = fr(known[3 * q] - ux), dy = fr(known[3 * q + 1] - uy), dz = fr(known[3 * q + 2] - uz);
      const d = fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
      if (d < b1) {
        b3 = b2; i3 = i2;
        b2 = b1; i2 = i1;
        b1 = d; i1 = q;
      } else if (d < b2) {
        b3 = b2; i3 = i2;
        b2 = d; i2 = q;
      } else if (d < b3) {
        b3 = d; i3 = q;
      }
    }
    idx[3 * u] = i1; idx[3 * u + 1] = i2; idx[3 * u + 2] = i3;
    dist2[3 * u] = b1; dist2[3 * u + 1] = b2; dist2[3 * u + 2] = b3;
  }
  return { idx, dist2 };
}

/**
 * Interpolates `knownFeatures` ([m, C] channels-last) at the `n` unknown points: out[u, c] =
 * Σ_i w_i · f[idx_i, c] with normalised inverse squared-distance weights. Returns [n, C].
 */
export function interpolate(unknown: Float32Array, n: number, known: Float32Array, m: number, knownFeatures: Float32Array, channels: number): Float32Array {
  checkInt(channels, 'channels', 'interpolate', 1);
  if (knownFeatures.length < m * channels) throw new ShapeError(`knownFeatures must hold ${m}·${channels} values`, { where: 'interpolate.knownFeatures' });
  const { idx, dist2 } = threeNN(unknown, n, known, m);
  const C = channels;
  const out = new Float32Array(n * C);
  for (let u = 0; u < n; u++) {
    const w1 = 1 / (dist2[3 * u] + 1e-8), w2 = 1 / (dist2[3 * u + 1] + 1e-8), w3 = 1 / (dist2[3 * u + 2] + 1e-8);
    const norm = w1 + w2 + w3;
    const a = w1 / norm, b = w2 / norm, c = w3 / norm;
    const o1 = idx[3 * u] * C, o2 = idx[3 * u + 1] * C, o3 = idx[3 * u + 2] * C;
    for (let ch = 0; ch < C; ch++) out[u * C + ch] = a * knownFeatures[o1 + ch] + b * knownFeatures[o2 + ch] + c * knownFeatures[o3 + ch];
  }
  return out;
}
