/**
 * Intensity normalisation of a network's input (pure; the input is not modified).
 *
 * - 'minmax': (v − min) / (max − min) → [0,1] (all 0 when max = min).
 * - 'zscore': (v − mean) / std with the population std (numpy `std`, ddof 0; all 0 when std = 0).
 * - 'percentile': lo = P_low, hi = P_high; v clipped to [lo,hi], then (v − lo) / (hi − lo).
 *   Percentiles follow numpy's default `np.percentile(a, q)` ('linear' method): with the finite
 *   values sorted ascending a[0..n−1], r = q/100·(n−1), i = ⌊r⌋, P_q = a[i] + (r − i)·(a[i+1] − a[i]).
 * Non-finite voxels (NaN, ±Inf) are left out of every statistic and become 0 in the output.
 * All statistics are computed in float64; the output is float32.
 */
import { ArgumentError } from '../errors';
import type { NumericArray } from '../volume';
import type { Normalisation } from './card';

/** The numbers a normalisation used (JSON-serialisable, stored on a Run). */
export interface NormaliseStats {
  kind: Normalisation['kind'];
  /** Finite voxels the statistics were computed from. */
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** The values mapped to 0 and 1 ('minmax': min, max; 'percentile': the percentiles; 'zscore': null). */
  lo: number | null;
  hi: number | null;
  /** The percentiles asked for ('percentile' only). */
  low?: number;
  high?: number;
}

/** numpy 'linear' percentile of an ascending-sorted array (q in [0,100]). */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new ArgumentError('percentile of an empty array', { where: 'percentileSorted' });
  if (!(q >= 0 && q <= 100)) throw new ArgumentError(`q must be in [0, 100], got ${q}`, { where: 'percentileSorted' });
  const r = (q / 100) * (n - 1);
  const i = Math.floor(r);
  const f = r - i;
  if (i >= n - 1) return sorted[n - 1];
  return lerp(sorted[i], sorted[i + 1], f);
}

/** numpy's `_lerp`: a + (b − a)·t, evaluated from the upper end when t ≥ 0.5. */
function lerp(a: number, b: number, t: number): number {
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** numpy 'linear' percentiles of the finite values of `data` (each q in [0,100]). */
export function percentiles(data: ArrayLike<number>, qs: number[]): number[] {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) n++;
  if (n === 0) throw new ArgumentError('no finite voxels', { where: 'percentiles', hint: 'The image holds only NaN/Inf.' });
  const isSmallInt = data instanceof Uint8Array || data instanceof Int8Array || data instanceof Uint16Array || data instanceof Int16Array;
  if (isSmallInt) {
    // Counting "sort" for 8/16-bit data: exact and O(n); the k-th smallest value is found by a
    // binary search on the cumulative counts.
    const offset = data instanceof Int8Array ? 128 : data instanceof Int16Array ? 32768 : 0;
    const cum = new Float64Array(65536);
    for (let i = 0; i < data.length; i++) cum[data[i] + offset]++;
    for (let v = 1; v < 65536; v++) cum[v] += cum[v - 1];
    const kth = (k: number): number => {
      let a = 0;
      let b = 65535;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (cum[mid] > k) b = mid;
        else a = mid + 1;
      }
      return a - offset;
    };
    return qs.map((q) => {
      if (!(q >= 0 && q <= 100)) throw new ArgumentError(`q must be in [0, 100], got ${q}`, { where: 'percentiles' });
      const r = (q / 100) * (n - 1);
      const i = Math.floor(r);
      const a = kth(i);
      const b = i + 1 < n ? kth(i + 1) : a;
      return lerp(a, b, r - i);
    });
  }
  const sorted = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) sorted[k++] = data[i];
  sorted.sort();
  return qs.map((q) => percentileSorted(sorted, q));
}

function moments(data: ArrayLike<number>): { count: number; min: number; max: number; mean: number; std: number } {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) throw new ArgumentError('no finite voxels to normalise', { where: 'normalise', hint: 'The image holds only NaN/Inf.' });
  const mean = sum / count;
  let ss = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) ss += (v - mean) * (v - mean);
  }
  return { count, min, max, mean, std: Math.sqrt(ss / count) };
}

/** Normalises `data` as `spec` says; returns a new Float32Array and the numbers used. */
export function normalise(data: NumericArray, spec: Normalisation): { data: Float32Array; stats: NormaliseStats } {
  const m = moments(data);
  const out = new Float32Array(data.length);
  let stats: NormaliseStats;
  let lo: number;
  let range: number;
  let clip = false;
  if (spec.kind === 'minmax') {
    lo = m.min;
    range = m.max - m.min;
    stats = { kind: 'minmax', ...m, lo: m.min, hi: m.max };
  } else if (spec.kind === 'zscore') {
    lo = m.mean;
    range = m.std;
    stats = { kind: 'zscore', ...m, lo: null, hi: null };
  } else {
    if (!(spec.low < spec.high)) throw new ArgumentError(`percentile low (${spec.low}) must be < high (${spec.high})`, { where: 'normalise' });
    const [pl, ph] = percentiles(data, [spec.low, spec.high]);
    lo = pl;
    range = ph - pl;
    clip = true;
    stats = { kind: 'percentile', ...m, lo: pl, hi: ph, low: spec.low, high: spec.high };
  }
  const hi = stats.hi ?? Infinity;
  for (let i = 0; i < data.length; i++) {
    let v = data[i];
    if (!Number.isFinite(v)) continue; // stays 0
    if (clip) v = v < lo ? lo : v > hi ? hi : v;
    out[i] = range > 0 ? (v - lo) / range : 0;
  }
  return { data: out, stats };
}
