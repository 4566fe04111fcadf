/**
 * Per-voxel training targets of an instance label volume (the U-Net's two heads; the same
 * definitions are in training/unet/targets.py, which computes them for the real crops):
 *
 * - `foreground`: 1 where label > 0.
 * - `boundary`: 1 on a labelled voxel with a 6-neighbour (inside the volume) of another label,
 *   background included — the instance's outer shell; between two touching instances both shells,
 *   a wall two voxels thick.
 * - `distance`: inside each instance, the Euclidean distance (physical, `spacing`) to the nearest
 *   voxel that is not interior (interior = labelled and not boundary; 0 on boundary voxels and on
 *   background), divided by the instance's maximum, so every instance peaks at 1. Instances with
 *   no interior voxel are 0 throughout.
 */
import { edt } from '../segmentation/edt';
import type { LabelVolume } from '../volume';

export interface TrainingTargets {
  foreground: Uint8Array;
  boundary: Uint8Array;
  distance: Float32Array;
}

export function trainingTargets(labels: LabelVolume): TrainingTargets {
  const [nx, ny, nz] = labels.shape;
  const l = labels.data;
  const n = l.length;
  const foreground = new Uint8Array(n);
  const boundary = new Uint8Array(n);
  const interior = new Uint8Array(n);
  const sxy = nx * ny;
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const v = l[i];
        if (v === 0) continue;
        foreground[i] = 1;
        const b =
          (x > 0 && l[i - 1] !== v) || (x < nx - 1 && l[i + 1] !== v) ||
          (y > 0 && l[i - nx] !== v) || (y < ny - 1 && l[i + nx] !== v) ||
          (z > 0 && l[i - sxy] !== v) || (z < nz - 1 && l[i + sxy] !== v);
        if (b) boundary[i] = 1;
        else interior[i] = 1;
      }
    }
  }
  const d = edt({ data: interior, shape: labels.shape, spacing: labels.spacing }).data;
  const max = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (!interior[i]) continue;
    const m = max.get(l[i]);
    if (m === undefined || d[i] > m) max.set(l[i], d[i]);
  }
  const distance = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (!interior[i]) continue;
    const m = max.get(l[i]) as number;
    distance[i] = m > 0 ? d[i] / m : 0;
  }
  return { foreground, boundary, distance };
}
