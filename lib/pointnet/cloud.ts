/**
 * Bridge from the readers' `PointCloud` to the PointNet++ twins, which require finite points:
 * drops invalid points (`valid` = 0, or non-finite xyz) and keeps the map back to cloud indices.
 */
import type { PointCloud } from '../formats/pointcloud/types';

export interface CompactPoints {
  /** Valid points only, xyz interleaved. */
  positions: Float32Array;
  n: number;
  /** index[i] = the cloud index of compact point i. */
  index: Uint32Array;
}

export function compactValid(cloud: PointCloud): CompactPoints {
  const { positions: p, count, valid } = cloud;
  const keep = new Uint32Array(count);
  let n = 0;
  for (let i = 0; i < count; i++) {
    if (valid && !valid[i]) continue;
    if (!Number.isFinite(p[3 * i]) || !Number.isFinite(p[3 * i + 1]) || !Number.isFinite(p[3 * i + 2])) continue;
    keep[n++] = i;
  }
  const positions = new Float32Array(3 * n);
  for (let j = 0; j < n; j++) positions.set(p.subarray(3 * keep[j], 3 * keep[j] + 3), 3 * j);
  return { positions, n, index: keep.slice(0, n) };
}
