/**
 * Exact 3 nearest neighbours on a uniform grid: the same result as `threeNN` of lib/pointnet
 * (f32 `dist2`, the three smallest, ties to the lower index, nearest first) without the O(n·m)
 * scan. Cells are visited in growing Chebyshev rings until no unvisited cell can hold a point closer
 * than the current third (with a 1e-6 relative margin for f32 rounding).
 */
import { ArgumentError } from '../../errors';
import { dist2 } from '../common';
import type { ThreeNN } from '../interpolate';

export function threeNNGrid(unknown: Float32Array, n: number, known: Float32Array, m: number): ThreeNN {
  if (m < 3) throw new ArgumentError(`3-NN needs at least 3 known points, got ${m}`, { where: 'threeNNGrid.known' });
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let q = 0; q < m; q++) {
    const x = known[3 * q], y = known[3 * q + 1], z = known[3 * q + 2];
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
    if (z < z0) z0 = z; if (z > z1) z1 = z;
  }
  // about 2 known points per cell over the bounding box's volume (flat clouds: its area)
  const ex = Math.max(x1 - x0, 1e-9), ey = Math.max(y1 - y0, 1e-9), ez = Math.max(z1 - z0, 1e-9);
  const ext = [ex, ey, ez].sort((a, b) => b - a);
  let cell = Math.cbrt((ex * ey * ez * 2) / m);
  cell = Math.max(cell, Math.sqrt((ext[0] * ext[1] * 2) / m) / 4, 1e-6);
  const gx = Math.min(1024, Math.floor(ex / cell) + 1), gy = Math.min(1024, Math.floor(ey / cell) + 1), gz = Math.min(1024, Math.floor(ez / cell) + 1);
  const cx = ex / gx + 1e-12, cy = ey / gy + 1e-12, cz = ez / gz + 1e-12;
  const cellOf = (v: number, o: number, c: number, g: number) => Math.min(g - 1, Math.max(0, Math.floor((v - o) / c)));
  const ncell = gx * gy * gz;
  const start = new Uint32Array(ncell + 1);
  const cid = new Uint32Array(m);
  for (let q = 0; q < m; q++) {
    const c = (cellOf(known[3 * q + 2], z0, cz, gz) * gy + cellOf(known[3 * q + 1], y0, cy, gy)) * gx + cellOf(known[3 * q], x0, cx, gx);
    cid[q] = c;
    start[c + 1]++;
  }
  for (let c = 0; c < ncell; c++) start[c + 1] += start[c];
  const fill = start.slice(0, ncell);
  const order = new Uint32Array(m);
  for (let q = 0; q < m; q++) order[fill[cid[q]]++] = q;
  const minCell = Math.min(cx, cy, cz);
  const idx = new Uint32Array(3 * n);
  const d2 = new Float32Array(3 * n);
  for (let u = 0; u < n; u++) {
    const ux = unknown[3 * u], uy = unknown[3 * u + 1], uz = unknown[3 * u + 2];
    const ix = cellOf(ux, x0, cx, gx), iy = cellOf(uy, y0, cy, gy), iz = cellOf(uz, z0, cz, gz);
    let b1 = Infinity, b2 = Infinity, b3 = Infinity, i1 = 0, i2 = 0, i3 = 0;
    // distance from u to the outside of its cell block, per axis (for points outside the box too)
    const outX = Math.max(x0 - ux, ux - x1, 0), outY = Math.max(y0 - uy, uy - y1, 0), outZ = Math.max(z0 - uz, uz - z1, 0);
    const outside = Math.hypot(outX, outY, outZ);
    const maxRing = Math.max(gx, gy, gz);
    for (let r = 0; r <= maxRing; r++) {
      if (r > 0 && b3 !== Infinity) {
        const reach = Math.max(0, (r - 1) * minCell + (outside > 0 ? 0 : 0));
        if (reach * reach > b3 * (1 + 1e-6) && reach > outside) break;
      }
      const zlo = Math.max(0, iz - r), zhi = Math.min(gz - 1, iz + r);
      const ylo = Math.max(0, iy - r), yhi = Math.min(gy - 1, iy + r);
      const xlo = Math.max(0, ix - r), xhi = Math.min(gx - 1, ix + r);
      for (let z = zlo; z <= zhi; z++) {
        for (let y = ylo; y <= yhi; y++) {
          const shell = Math.abs(z - iz) === r || Math.abs(y - iy) === r;
          for (let x = xlo; x <= xhi; x++) {
            if (!shell && Math.abs(x - ix) !== r) continue;
            const c = (z * gy + y) * gx + x;
            for (let s = start[c]; s < start[c + 1]; s++) {
              const q = order[s];
              const d = dist2(unknown, u, known, q);
              if (d < b1 || (d === b1 && q < i1)) {
                b3 = b2; i3 = i2; b2 = b1; i2 = i1; b1 = d; i1 = q;
              } else if (d < b2 || (d === b2 && q < i2)) {
                b3 = b2; i3 = i2; b2 = d; i2 = q;
              } else if (d < b3 || (d === b3 && q < i3)) {
                b3 = d; i3 = q;
              }
            }
          }
        }
      }
    }
    idx[3 * u] = i1; idx[3 * u + 1] = i2; idx[3 * u + 2] = i3;
    d2[3 * u] = b1; d2[3 * u + 1] = b2; d2[3 * u + 2] = b3;
  }
  return { idx, dist2: d2 };
}
