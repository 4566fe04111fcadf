/**
 * Remove small instances and relabel the rest consecutively.
 *
 * An instance with fewer than `minVoxels` voxels is set to background (skimage
 * `remove_small_objects(labels, min_size=minVoxels)` keeps objects of size ≥ min_size). The
 * remaining labels become 1..N in the order in which each first appears in memory order
 * (x fastest), so the result does not depend on the input's label values. 0 stays background.
 * The input is never mutated.
 */
import { ArgumentError } from '../errors';

export interface RelabelResult {
  /** New label array, 0 = background, 1..count. */
  labels: Uint32Array;
  /** Number of instances kept. */
  count: number;
}

/** Above this label value the dense lookup tables are replaced by Maps. */
const DENSE_LIMIT = 1 << 24;

export interface RelabelOptions {
  /**
   * Where to write the result (length must match). Default: a new array. Passing `labels` itself
   * relabels in place (each voxel is read before it is written) — only for arrays you own.
   */
  out?: Uint32Array;
}

export function removeSmallAndRelabel(labels: Uint32Array, minVoxels: number, opts: RelabelOptions = {}): RelabelResult {
  if (!(labels instanceof Uint32Array)) {
    throw new ArgumentError('labels must be a Uint32Array', { where: 'removeSmallAndRelabel.labels' });
  }
  if (!Number.isFinite(minVoxels) || minVoxels < 0) {
    throw new ArgumentError(`minVoxels must be a finite number ≥ 0, got ${minVoxels}`, {
      where: 'removeSmallAndRelabel.minVoxels',
      hint: 'Use 0 to keep every instance.',
    });
  }
  const n = labels.length;
  if (opts.out !== undefined && (!(opts.out instanceof Uint32Array) || opts.out.length !== n)) {
    throw new ArgumentError(`out must be a Uint32Array of length ${n}`, { where: 'removeSmallAndRelabel.out' });
  }
  const out = opts.out ?? new Uint32Array(n);
  let count = 0;
  // One pass for the sizes, growing the table as larger labels appear (falls back to Maps past DENSE_LIMIT).
  let sizes = new Uint32Array(1024);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l >= sizes.length) {
      if (l > DENSE_LIMIT) {
        max = l;
        break;
      }
      const grown = new Uint32Array(Math.min(DENSE_LIMIT + 1, Math.max(l + 1, sizes.length * 2)));
      grown.set(sizes);
      sizes = grown;
    }
    sizes[l]++;
    if (l > max) max = l;
  }
  if (max <= DENSE_LIMIT) {
    // 0 = not yet assigned; 0xffffffff = removed
    const map = new Uint32Array(max + 1);
    for (let l = 1; l <= max; l++) if (sizes[l] > 0 && sizes[l] < minVoxels) map[l] = 0xffffffff;
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (l === 0) {
        out[i] = 0;
        continue;
      }
      let m = map[l];
      if (m === 0) {
        m = ++count;
        map[l] = m;
      }
      out[i] = m === 0xffffffff ? 0 : m;
    }
    return { labels: out, count };
  }
  const sizeMap = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l !== 0) sizeMap.set(l, (sizeMap.get(l) ?? 0) + 1);
  }
  const map = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === 0 || (sizeMap.get(l) ?? 0) < minVoxels) {
      out[i] = 0;
      continue;
    }
    let m = map.get(l);
    if (m === undefined) {
      m = ++count;
      map.set(l, m);
    }
    out[i] = m;
  }
  return { labels: out, count };
}
