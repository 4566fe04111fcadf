/**
 * Otsu's threshold with skimage.filters.threshold_otsu (0.19) semantics.
 *
 * - Integer volumes: one bin per integer value from min to max (skimage's bincount histogram;
 *   `nbins` is ignored there, as in skimage); the threshold is an integer bin centre.
 * - Float volumes: `nbins` equal bins over [min, max] as numpy.histogram builds them (edges in the
 *   data's precision, float32 for Float32Array; the last bin closed); the threshold is a bin
 *   centre `(edge[i] + edge[i+1]) / 2`.
 * - A constant volume returns its value.
 * - Foreground is `value > threshold`.
 * The input is never mutated.
 */
import { ArgumentError } from '../errors';
import { type NumericArray, type Volume, validateVolume } from '../volume';

const f32 = Math.fround;

function isIntegerArray(a: NumericArray): boolean {
  return !(a instanceof Float32Array || a instanceof Float64Array);
}

/** numpy.linspace(first, last, n+1) edges cast to the data's precision. */
function linspaceEdges(first: number, last: number, n: number, single: boolean): Float64Array {
  const edges = new Float64Array(n + 1);
  const step = (last - first) / n;
  for (let i = 0; i < n; i++) edges[i] = single ? f32(i * step + first) : i * step + first;
  edges[n] = last;
  return edges;
}

/** Histogram of a float array as numpy.histogram(a, bins=n) computes it; returns counts and centres. */
function floatHistogram(a: Float32Array | Float64Array, nbins: number): { counts: Float64Array; centres: Float64Array } {
  const single = a instanceof Float32Array;
  let lo = Infinity;
  let hi = -Infinity;
  let nan = false;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v !== v) nan = true;
  }
  if (nan || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new ArgumentError('volume contains non-finite values', {
      where: 'otsuThreshold',
      hint: 'Replace NaN/Inf voxels before thresholding.',
    });
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = linspaceEdges(lo, hi, nbins, single);
  const counts = new Float64Array(nbins);
  const norm = nbins / (hi - lo);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    let k = ((v - lo) * norm) | 0; // v ≥ lo, so truncation is floor
    if (k >= nbins) k = nbins - 1;
    // exact placement against the stored edges (numpy's correction step)
    while (k > 0 && v < edges[k]) k--;
    while (k < nbins - 1 && v >= edges[k + 1]) k++;
    counts[k]++;
  }
  const centres = new Float64Array(nbins);
  for (let i = 0; i < nbins; i++) centres[i] = single ? f32(edges[i] + edges[i + 1]) / 2 : (edges[i] + edges[i + 1]) / 2;
  return { counts, centres };
}

/** One bin per integer value in [min, max]. */
function integerHistogram(a: NumericArray): { counts: Float64Array; centres: Float64Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const n = hi - lo + 1;
  const counts = new Float64Array(n);
  for (let i = 0; i < a.length; i++) counts[a[i] - lo]++;
  const centres = new Float64Array(n);
  for (let i = 0; i < n; i++) centres[i] = lo + i;
  return { counts, centres };
}

/** Otsu over a histogram, exactly as skimage's cumulative sums and argmax (first maximum). */
export function otsuFromHistogram(counts: Float64Array, centres: Float64Array): number {
  const n = counts.length;
  if (n !== centres.length || n === 0) {
    throw new ArgumentError(`histogram has ${n} counts but ${centres.length} centres`, { where: 'otsuFromHistogram' });
  }
  if (n === 1) return centres[0];
  const w1 = new Float64Array(n);
  const m1 = new Float64Array(n);
  let cw = 0;
  let cm = 0;
  for (let i = 0; i < n; i++) {
    cw += counts[i];
    cm += counts[i] * centres[i];
    w1[i] = cw;
    m1[i] = cm / cw;
  }
  const w2 = new Float64Array(n);
  const m2 = new Float64Array(n);
  cw = 0;
  cm = 0;
  for (let i = n - 1; i >= 0; i--) {
    cw += counts[i];
    cm += counts[i] * centres[i];
    w2[i] = cw;
    m2[i] = cm / cw;
  }
  let best = -Infinity;
  let idx = 0;
  for (let i = 0; i < n - 1; i++) {
    const d = m1[i] - m2[i + 1];
    const v = w1[i] * w2[i + 1] * (d * d);
    // NaN (empty classes) never wins, as numpy's argmax would pick the first NaN; bins here are never empty at the ends
    if (v > best) {
      best = v;
      idx = i;
    }
  }
  return centres[idx];
}

/**
 * Otsu threshold of a volume (skimage `threshold_otsu(image, nbins)`); foreground is `> t`.
 * @param nbins number of bins for float data (default 256); integer data uses one bin per value.
 */
export function otsuThreshold(v: Volume, nbins = 256): number {
  validateVolume(v, 'otsuThreshold');
  if (!Number.isInteger(nbins) || nbins < 2) {
    throw new ArgumentError(`nbins must be an integer ≥ 2, got ${nbins}`, { where: 'otsuThreshold.nbins' });
  }
  const a = v.data;
  const first = a[0];
  let constant = true;
  for (let i = 1; i < a.length; i++) {
    if (a[i] !== first) {
      constant = false;
      break;
    }
  }
  if (constant) return first;
  const h = isIntegerArray(a) ? integerHistogram(a) : floatHistogram(a as Float32Array | Float64Array, nbins);
  return otsuFromHistogram(h.counts, h.centres);
}
