/**
 * Grouping / gather (PointNet++ `group_points` + relative coordinates), CPU twin of
 * `gpu-kernels/pointnet/group`.
 */
import { ArgumentError, ShapeError } from '../errors';
import { checkInt } from './common';

export interface GroupOptions {
  /** Neighbours per centre (columns of `idx`). */
  k: number;
  /** Per-point features, [n, channels] row-major (channels-last); omitted → xyz only. */
  features?: Float32Array;
  /** Feature channels C (default 0; required with `features`). */
  channels?: number;
}

export function checkGroupArgs(positions: Float32Array, n: number, idx: Uint32Array, centres: Float32Array, opts: GroupOptions, where: string): { m: number; C: number } {
  const { k } = opts;
  checkInt(k, 'k', where, 1);
  const C = opts.features ? opts.channels ?? 0 : 0;
  checkInt(C, 'channels', where, 0);
  if (positions.length < 3 * n) throw new ShapeError(`positions hold ${positions.length / 3} points, ${n} expected`, { where: `${where}.positions` });
  if (centres.length % 3 !== 0) throw new ShapeError(`centres have length ${centres.length}, not a multiple of 3`, { where: `${where}.centres` });
  const m = centres.length / 3;
  if (idx.length !== m * k) throw new ShapeError(`idx has ${idx.length} entries, ${m}·${k} expected`, { where: `${where}.idx` });
  if (opts.features && (C === 0 || opts.features.length < n * C)) {
    throw new ShapeError(`features must hold ${n}·channels values with channels ≥ 1`, { where: `${where}.features`, hint: 'Pass channels with features.' });
  }
  for (let i = 0; i < idx.length; i++) if (idx[i] >= n) throw new ArgumentError(`idx[${i}] = ${idx[i]} is out of range (n = ${n})`, { where: `${where}.idx` });
  return { m, C };
}

/**
 * Gathers each centre's neighbours: out[j, s] = (p[idx[j,s]] − centre[j] (f32), features[idx[j,s]]),
 * shape [m, k, 3 + C] row-major. `centres`: xyz interleaved (m = centres.length / 3).
 */
export function group(positions: Float32Array, n: number, idx: Uint32Array, centres: Float32Array, opts: GroupOptions): Float32Array {
  const { m, C } = checkGroupArgs(positions, n, idx, centres, opts, 'group');
  const k = opts.k;
  const W = 3 + C;
  const out = new Float32Array(m * k * W);
  const f = opts.features;
  for (let j = 0; j < m; j++) {
    const cx = centres[3 * j], cy = centres[3 * j + 1], cz = centres[3 * j + 2];
    for (let s = 0; s < k; s++) {
      const p = idx[j * k + s];
      const o = (j * k + s) * W;
      out[o] = positions[3 * p] - cx;
      out[o + 1] = positions[3 * p + 1] - cy;
      out[o + 2] = positions[3 * p + 2] - cz;
      if (f) for (let c = 0; c < C; c++) out[o + 3 + c] = f[p * C + c];
    }
  }
  return out;
}
