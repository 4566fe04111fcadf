/**
 * Flat-kernel mean shift (deterministic): every point climbs to the mean of the input points within
 * `bandwidth` of its current position (f32 `dist2` < bandwidth², sums in f64 in index order) until
 * it moves less than 1e-4·bandwidth or `maxIter` steps; the converged modes are then grouped by
 * radius-connected components at bandwidth / 2 (`radiusComponents`), numbered 1.. in order of the
 * lowest point index; groups smaller than `minPoints` get 0. Unlike connected components on the
 * points themselves, two touching blobs with separate density peaks stay apart.
 */
import { ArgumentError } from '../../errors';
import { checkPositions } from '../common';
import { radiusComponents } from './cluster';

const fr = Math.fround;

export function meanShiftClusters(positions: Float32Array, n: number, bandwidth: number, minPoints = 1, maxIter = 30): { labels: Int32Array; count: number; modes: Float32Array } {
  const where = 'meanShiftClusters';
  checkPositions(positions, n, where);
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth)) throw new ArgumentError(`bandwidth must be a finite number > 0, got ${bandwidth}`, { where: `${where}.bandwidth` });
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new ArgumentError(`maxIter must be an integer ≥ 1, got ${maxIter}`, { where: `${where}.maxIter` });
  const modes = new Float32Array(3 * n);
  if (n === 0) return { labels: new Int32Array(0), count: 0, modes };
  const b2 = fr(bandwidth * bandwidth);
  let x0 = Infinity, y0 = Infinity, z0 = Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, positions[3 * i]); y0 = Math.min(y0, positions[3 * i + 1]); z0 = Math.min(z0, positions[3 * i + 2]);
  }
  const cell = bandwidth * (1 + 1e-5);
  const cells = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const s = `${Math.floor((positions[3 * i] - x0) / cell)},${Math.floor((positions[3 * i + 1] - y0) / cell)},${Math.floor((positions[3 * i + 2] - z0) / cell)}`;
    const list = cells.get(s);
    if (list) list.push(i);
    else cells.set(s, [i]);
  }
  const near: number[] = [];
  for (let i = 0; i < n; i++) {
    let cx = positions[3 * i], cy = positions[3 * i + 1], cz = positions[3 * i + 2];
    for (let it = 0; it < maxIter; it++) {
      const kx = Math.floor((cx - x0) / cell), ky = Math.floor((cy - y0) / cell), kz = Math.floor((cz - z0) / cell);
      near.length = 0;
      for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const list = cells.get(`${kx + dx},${ky + dy},${kz + dz}`);
        if (!list) continue;
        for (const j of list) {
          const ex = fr(positions[3 * j] - cx), ey = fr(positions[3 * j + 1] - cy), ez = fr(positions[3 * j + 2] - cz);
          if (fr(fr(fr(ex * ex) + fr(ey * ey)) + fr(ez * ez)) < b2) near.push(j);
        }
      }
      if (near.length === 0) break;
      near.sort((a, b) => a - b);
      let sx = 0, sy = 0, sz = 0;
      for (const j of near) {
        sx += positions[3 * j]; sy += positions[3 * j + 1]; sz += positions[3 * j + 2];
      }
      const nx = fr(sx / near.length), ny = fr(sy / near.length), nz = fr(sz / near.length);
      const moved = Math.hypot(nx - cx, ny - cy, nz - cz);
      cx = nx; cy = ny; cz = nz;
      if (moved < 1e-4 * bandwidth) break;
    }
    modes[3 * i] = cx; modes[3 * i + 1] = cy; modes[3 * i + 2] = cz;
  }
  const { labels, count } = radiusComponents(modes, n, bandwidth / 2, minPoints);
  return { labels, count, modes };
}
