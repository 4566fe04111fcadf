/**
 * Per-instance statistics of a label volume.
 *
 * For every label > 0 present in the volume (ascending labelId):
 * - `voxels`: voxel count; `volume`: voxels × sx·sy·sz (physical units cubed);
 * - `centroid`: mean voxel index (x, y, z); `centroidWorld`: the affine applied to it (the volume's
 *   `affine`, or diag(spacing) when it has none);
 * - `bbox`: inclusive min/max voxel index per axis.
 * Like skimage `regionprops` `area`, `centroid` and `bbox` (whose max is exclusive; ours is inclusive).
 */
import { ArgumentError } from '../errors';
import { type Affine, type LabelVolume, type Vec3, identityAffine, validateVolume } from '../volume';

export interface InstanceStats {
  labelId: number;
  voxels: number;
  /** Physical volume: voxels × spacing product. */
  volume: number;
  /** Mean voxel coordinates (x, y, z). */
  centroid: Vec3;
  /** Centroid mapped through the affine to world coordinates. */
  centroidWorld: Vec3;
  /** Inclusive voxel bounding box. */
  bbox: { min: Vec3; max: Vec3 };
}

export function applyAffine(a: Affine, p: Vec3): Vec3 {
  return [
    a[0][0] * p[0] + a[0][1] * p[1] + a[0][2] * p[2] + a[0][3],
    a[1][0] * p[0] + a[1][1] * p[1] + a[1][2] * p[2] + a[1][3],
    a[2][0] * p[0] + a[2][1] * p[1] + a[2][2] * p[2] + a[2][3],
  ];
}

export function instanceStats(labels: LabelVolume): InstanceStats[] {
  validateVolume(labels, 'instanceStats');
  if (!(labels.data instanceof Uint32Array)) {
    throw new ArgumentError('label data must be a Uint32Array', { where: 'instanceStats.labels' });
  }
  const d = labels.data;
  const [nx, ny, nz] = labels.shape;
  let maxLabel = 0;
  for (let i = 0; i < d.length; i++) if (d[i] > maxLabel) maxLabel = d[i];
  // Dense accumulators indexed by label when the label range is small (the usual 1..N case);
  // otherwise label ids are compacted to slots first.
  const dense = maxLabel <= Math.max(1 << 20, d.length);
  const ids: number[] = [];
  let slot = new Uint32Array(0);
  if (!dense) {
    const index = new Map<number, number>();
    slot = new Uint32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const l = d[i];
      if (l === 0) continue;
      let s = index.get(l);
      if (s === undefined) {
        s = ids.length + 1;
        index.set(l, s);
        ids.push(l);
      }
      slot[i] = s;
    }
  }
  const k = dense ? maxLabel + 1 : ids.length + 1;
  const count = new Float64Array(k);
  const sx = new Float64Array(k);
  const sy = new Float64Array(k);
  const sz = new Float64Array(k);
  const min = new Int32Array(3 * k).fill(0x7fffffff);
  const max = new Int32Array(3 * k).fill(-1);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (d[i] === 0) continue;
        const s = dense ? d[i] : slot[i];
        count[s]++;
        sx[s] += x;
        sy[s] += y;
        sz[s] += z;
        const b = 3 * s;
        if (x < min[b]) min[b] = x;
        if (x > max[b]) max[b] = x;
        if (y < min[b + 1]) min[b + 1] = y;
        if (y > max[b + 1]) max[b + 1] = y;
        if (z < min[b + 2]) min[b + 2] = z;
        if (z > max[b + 2]) max[b + 2] = z;
      }
    }
  }
  const order: (readonly [number, number])[] = [];
  if (dense) {
    for (let l = 1; l < k; l++) if (count[l] > 0) order.push([l, l]);
  } else {
    ids.forEach((id, j) => order.push([id, j + 1]));
    order.sort((a, b) => a[0] - b[0]);
  }
  const affine = labels.affine ?? identityAffine(labels.spacing);
  const voxelVolume = labels.spacing[0] * labels.spacing[1] * labels.spacing[2];
  return order.map(([labelId, s]) => {
    const n = count[s];
    const centroid: Vec3 = [sx[s] / n, sy[s] / n, sz[s] / n];
    const b = 3 * s;
    return {
      labelId,
      voxels: n,
      volume: n * voxelVolume,
      centroid,
      centroidWorld: applyAffine(affine, centroid),
      bbox: { min: [min[b], min[b + 1], min[b + 2]], max: [max[b], max[b + 1], max[b + 2]] },
    };
  });
}
