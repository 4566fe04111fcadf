/**
 * Ball query (PointNet++ `query_ball_point`), CPU twin of `gpu-kernels/pointnet/ball-query`.
 *
 * Reference CUDA semantics: for each centre, scan the points in index order and take the first
 * `k` with f32 squared distance `dist2 < f32(radius²)` (strict); the first one found (the lowest
 * index) fills the slots left unfilled. A centre with no point within the radius gets its own
 * index when centres are given as indices (only possible for radius² underflowing to 0), else 0 —
 * the reference's zero-initialised output.
 *
 * Speed without changing the result: points are binned in a uniform grid of cell ≥ radius·(1+1e-5)
 * (so every point that `dist2` can place inside the ball lies in the 27 cells around the centre's
 * cell), each cell's points in index order; the hits are sorted by index and the first k kept.
 */
import { ArgumentError, ShapeError } from '../errors';
import { checkInt, checkPositions } from './common';

const fr = Math.fround;

export interface BallQueryResult {
  /** [m, k] point indices, row-major. */
  idx: Uint32Array;
  /** Points found within the radius per centre, capped at k (0 → the row is the fallback index). */
  counts: Uint32Array;
}

/** Centres: `Uint32Array` of point indices, or `Float32Array` of xyz coordinates (interleaved). */
export type Centres = Uint32Array | Float32Array;

/** Resolves centres to coordinates (indices → copies of the points) and their fallback indices. */
export function centreCoords(positions: Float32Array, n: number, centres: Centres, where: string): { coords: Float32Array; m: number; fallback: Uint32Array | null } {
  if (centres instanceof Uint32Array) {
    const m = centres.length;
    const coords = new Float32Array(3 * m);
    for (let j = 0; j < m; j++) {
      const c = centres[j];
      if (c >= n) throw new ArgumentError(`centre index ${c} at ${j} is out of range (n = ${n})`, { where: `${where}.centres` });
      coords[3 * j] = positions[3 * c];
      coords[3 * j + 1] = positions[3 * c + 1];
      coords[3 * j + 2] = positions[3 * c + 2];
    }
    return { coords, m, fallback: centres };
  }
  if (centres instanceof Float32Array) {
    if (centres.length % 3 !== 0) throw new ShapeError(`centre coordinates have length ${centres.length}, not a multiple of 3`, { where: `${where}.centres` });
    const m = centres.length / 3;
    checkPositions(centres, m, where, 'centres');
    return { coords: centres, m, fallback: null };
  }
  throw new ArgumentError('centres must be a Uint32Array of indices or a Float32Array of xyz', { where: `${where}.centres` });
}

export function checkRadius(radius: number, where: string): number {
  if (!Number.isFinite(radius) || radius <= 0) throw new ArgumentError(`radius must be a finite number > 0, got ${radius}`, { where: `${where}.radius` });
  return fr(fr(radius) * fr(radius));
}

/**
 * For each centre, the first `k` point indices (in index order) within `radius`, padded with the
 * first found. `positions`: the first `n` points, xyz interleaved, finite.
 */
export function ballQuery(positions: Float32Array, n: number, centres: Centres, radius: number, k: number): BallQueryResult {
  const where = 'ballQuery';
  checkPositions(positions, n, where);
  checkInt(k, 'k', where, 1);
  const r2 = checkRadius(radius, where);
  const { coords, m, fallback } = centreCoords(positions, n, centres, where);
  const idx = new Uint32Array(m * k);
  const counts = new Uint32Array(m);
  if (m === 0) return { idx, counts };
  if (n === 0) {
    if (fallback) for (let j = 0; j < m; j++) idx.fill(fallback[j], j * k, j * k + k);
    return { idx, counts };
  }

  // Grid.
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = positions[3 * i], y = positions[3 * i + 1], z = positions[3 * i + 2];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  let cs = fr(radius) * (1 + 1e-5);
  let gx = 0, gy = 0, gz = 0;
  const maxCells = 2 * n + 64;
  for (;;) {
    gx = Math.floor((x1 - x0) / cs) + 1;
    gy = Math.floor((y1 - y0) / cs) + 1;
    gz = Math.floor((z1 - z0) / cs) + 1;
    if (gx * gy * gz <= maxCells) break;
    cs *= 1.26;
  }
  const inv = 1 / cs;
  const cells = gx * gy * gz;
  const cellOf = new Uint32Array(n);
  const cellStart = new Uint32Array(cells + 1);
  for (let i = 0; i < n; i++) {
    const cx = Math.min(gx - 1, Math.floor((positions[3 * i] - x0) * inv));
    const cy = Math.min(gy - 1, Math.floor((positions[3 * i + 1] - y0) * inv));
    const cz = Math.min(gz - 1, Math.floor((positions[3 * i + 2] - z0) * inv));
    const c = cx + gx * (cy + gy * cz);
    cellOf[i] = c;
    cellStart[c + 1]++;
  }
  for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
  const fill = cellStart.slice(0, cells);
  const sIdx = new Uint32Array(n);
  const sx = new Float32Array(n), sy = new Float32Array(n), sz = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = fill[cellOf[i]]++;
    sIdx[s] = i;
    sx[s] = positions[3 * i];
    sy[s] = positions[3 * i + 1];
    sz[s] = positions[3 * i + 2];
  }

  const hits = new Uint32Array(n);
  for (let j = 0; j < m; j++) {
    const cx = coords[3 * j], cy = coords[3 * j + 1], cz = coords[3 * j + 2];
    const ix = Math.floor((cx - x0) * inv), iy = Math.floor((cy - y0) * inv), iz = Math.floor((cz - z0) * inv);
    const xa = Math.max(0, ix - 1), xb = Math.min(gx - 1, ix + 1);
    const ya = Math.max(0, iy - 1), yb = Math.min(gy - 1, iy + 1);
    const za = Math.max(0, iz - 1), zb = Math.min(gz - 1, iz + 1);
    let found = 0;
    for (let z = za; z <= zb; z++) {
      for (let y = ya; y <= yb; y++) {
        const row = gx * (y + gy * z);
        // Cells xa..xb of one row are contiguous in the sorted arrays.
        for (let s = cellStart[row + xa], e = cellStart[row + xb + 1]; s < e; s++) {
          const dx = fr(sx[s] - cx), dy = fr(sy[s] - cy), dz = fr(sz[s] - cz);
          const d = fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
          if (d < r2) hits[found++] = sIdx[s];
        }
      }
    }
    const o = j * k;
    if (found === 0) {
      if (fallback) idx.fill(fallback[j], o, o + k);
      continue;
    }
    if (found <= 48) {
      for (let a = 1; a < found; a++) {
        const v = hits[a];
        let b = a - 1;
        while (b >= 0 && hits[b] > v) {
          hits[b + 1] = hits[b];
          b--;
        }
        hits[b + 1] = v;
      }
    } else {
      hits.subarray(0, found).sort();
    }
    const c = Math.min(found, k);
    for (let a = 0; a < c; a++) idx[o + a] = hits[a];
    if (c < k) idx.fill(hits[0], o + c, o + k);
    counts[j] = c;
  }
  return { idx, counts };
}

/** The reference loop itself, O(m·n) (oracle for tests). */
export function ballQueryBruteForce(positions: Float32Array, n: number, centres: Centres, radius: number, k: number): BallQueryResult {
  const r2 = checkRadius(radius, 'ballQueryBruteForce');
  const { coords, m, fallback } = centreCoords(positions, n, centres, 'ballQueryBruteForce');
  const idx = new Uint32Array(m * k);
  const counts = new Uint32Array(m);
  for (let j = 0; j < m; j++) {
    let cnt = 0;
    for (let i = 0; i < n && cnt < k; i++) {
      const dx = fr(positions[3 * i] - coords[3 * j]);
      const dy = fr(positions[3 * i + 1] - coords[3 * j + 1]);
      const dz = fr(positions[3 * i + 2] - coords[3 * j + 2]);
      const d = fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
      if (d < r2) {
        if (cnt === 0) idx.fill(i, j * k, j * k + k);
        idx[j * k + cnt] = i;
        cnt++;
      }
    }
    if (cnt === 0 && fallback) idx.fill(fallback[j], j * k, j * k + k);
    counts[j] = cnt;
  }
  return { idx, counts };
}
