/**
 * Radius-connected components (union-find over a uniform grid): two points are connected when
 * their f32 squared distance (`dist2`) is < radius² (strict). Components are numbered 1.. in order
 * of their lowest point index; components with fewer than `minPoints` points get 0.
 *
 * With `coreNeighbours` > 1 it is DBSCAN: only core points (≥ coreNeighbours points, itself
 * included, within the radius) connect; every other point joins the component of its nearest core
 * point within the radius (ties: lowest index), or none. Thin bridges of stray points then no longer
 * chain two clusters together.
 */
import { ArgumentError } from '../../errors';
import { checkPositions, dist2 } from '../common';

function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

export function radiusComponents(positions: Float32Array, n: number, radius: number, minPoints = 1, coreNeighbours = 1): { labels: Int32Array; count: number } {
  const where = 'radiusComponents';
  checkPositions(positions, n, where);
  if (!(radius > 0) || !Number.isFinite(radius)) throw new ArgumentError(`radius must be a finite number > 0, got ${radius}`, { where: `${where}.radius` });
  if (!Number.isInteger(minPoints) || minPoints < 1) throw new ArgumentError(`minPoints must be an integer ≥ 1, got ${minPoints}`, { where: `${where}.minPoints` });
  if (!Number.isInteger(coreNeighbours) || coreNeighbours < 1) throw new ArgumentError(`coreNeighbours must be an integer ≥ 1, got ${coreNeighbours}`, { where: `${where}.coreNeighbours` });
  const labels = new Int32Array(n);
  if (n === 0) return { labels, count: 0 };
  const r2 = Math.fround(radius * radius);
  let x0 = Infinity, y0 = Infinity, z0 = Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, positions[3 * i]); y0 = Math.min(y0, positions[3 * i + 1]); z0 = Math.min(z0, positions[3 * i + 2]);
  }
  const cell = radius * (1 + 1e-5);
  const key = (i: number): [number, number, number] => [
    Math.floor((positions[3 * i] - x0) / cell), Math.floor((positions[3 * i + 1] - y0) / cell), Math.floor((positions[3 * i + 2] - z0) / cell),
  ];
  const cells = new Map<string, number[]>();
  const keys: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    const k = key(i);
    keys.push(k);
    const s = `${k[0]},${k[1]},${k[2]}`;
    const list = cells.get(s);
    if (list) list.push(i);
    else cells.set(s, [i]);
  }
  const neighbours = (i: number, visit: (j: number, d: number) => void) => {
    const [kx, ky, kz] = keys[i];
    for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const list = cells.get(`${kx + dx},${ky + dy},${kz + dz}`);
      if (!list) continue;
      for (const j of list) {
        const d = dist2(positions, i, positions, j);
        if (d < r2) visit(j, d);
      }
    }
  };
  const core = new Uint8Array(n).fill(1);
  if (coreNeighbours > 1) {
    for (let i = 0; i < n; i++) {
      let c = 0;
      neighbours(i, () => c++);
      core[i] = c >= coreNeighbours ? 1 : 0;
    }
  }
  const parent = new Int32Array(n).map((_, i) => i);
  for (let i = 0; i < n; i++) {
    if (!core[i]) continue;
    neighbours(i, (j) => {
      if (j <= i || !core[j]) return;
      const a = find(parent, i), b = find(parent, j);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    });
  }
  // border points: the component of their nearest core point (ties: lowest index), else none (-1)
  const root = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (core[i]) {
      root[i] = find(parent, i);
      continue;
    }
    let best = -1, bd = Infinity;
    neighbours(i, (j, d) => {
      if (core[j] && (d < bd || (d === bd && j < best))) { bd = d; best = j; }
    });
    root[i] = best < 0 ? -1 : find(parent, best);
  }
  const size = new Int32Array(n);
  for (let i = 0; i < n; i++) if (root[i] >= 0) size[root[i]]++;
  const id = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = root[i];
    if (r < 0 || size[r] < minPoints) continue;
    if (id[r] === 0) id[r] = ++count;
    labels[i] = id[r];
  }
  return { labels, count };
}
