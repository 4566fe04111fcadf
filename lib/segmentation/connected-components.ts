/**
 * Connected-component labelling of a binary 3-D mask by union-find (the CPU twin of the GPU
 * union-find with pointer jumping).
 */
import { ArgumentError, ShapeError } from '../errors';
import type { Vec3 } from '../volume';

export type Connectivity = 6 | 18 | 26;

/**
 * The neighbours already visited in a raster scan (x fastest): offsets (dx, dy, dz) with
 * dz < 0, or dz = 0 and dy < 0, or dz = dy = 0 and dx < 0, restricted to the connectivity
 * (6: faces; 18: faces and edges; 26: faces, edges and corners).
 */
export function backwardNeighbours(connectivity: Connectivity): Vec3[] {
  const out: Vec3[] = [];
  for (let dz = -1; dz <= 0; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if (dz === 0 && (dy > 0 || (dy === 0 && dx >= 0))) continue;
        const order = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (order === 1 || (order === 2 && connectivity >= 18) || (order === 3 && connectivity === 26)) out.push([dx, dy, dz]);
      }
    }
  }
  return out;
}

function findRoot(parent: Uint32Array, i: number): number {
  let r = i;
  while (parent[r] !== r) r = parent[r];
  // Path compression.
  while (parent[i] !== r) {
    const next = parent[i];
    parent[i] = r;
    i = next;
  }
  return r;
}

interface Offsets {
  dx: Int32Array;
  dy: Int32Array;
  dz: Int32Array;
  off: Int32Array;
}

function packOffsets(list: Vec3[], nx: number, ny: number): Offsets {
  const n = list.length;
  const o: Offsets = { dx: new Int32Array(n), dy: new Int32Array(n), dz: new Int32Array(n), off: new Int32Array(n) };
  for (let k = 0; k < n; k++) {
    o.dx[k] = list[k][0];
    o.dy[k] = list[k][1];
    o.dz[k] = list[k][2];
    o.off[k] = list[k][0] + nx * (list[k][1] + ny * list[k][2]);
  }
  return o;
}

/**
 * Labels the connected components of `mask` (nonzero = foreground) under 6-, 18- or
 * 26-connectivity. Labels are 1..count, numbered in order of each component's first voxel in
 * memory order (x fastest); background is 0. Equal to `scipy.ndimage.label(mask,
 * generate_binary_structure(3, c))` with c = 1, 2, 3 up to renumbering (usually identical).
 * The input is not modified.
 */
export function connectedComponents(
  mask: Uint8Array,
  shape: Vec3,
  connectivity: Connectivity = 6,
): { labels: Uint32Array; count: number } {
  const where = 'connectedComponents';
  const [nx, ny, nz] = shape;
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`shape must be positive integers, got ${shape.join('×')}`, { where });
  }
  const total = nx * ny * nz;
  if (mask.length !== total) throw new ShapeError(`mask has ${mask.length} voxels but shape needs ${total}`, { where });
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new ArgumentError(`connectivity must be 6, 18 or 26, got ${String(connectivity)}`, { where });
  }
  const nbs = backwardNeighbours(connectivity);
  // Backward neighbours of i that are not neighbours of i − 1: when i − 1 is foreground, the
  // others were already united with i − 1 (they precede i − 1 and touch it), so only these remain.
  const afterLeft = nbs.filter((o) => {
    const rx = o[0] + 1; // offset relative to i − 1
    const order = Math.abs(rx) + Math.abs(o[1]) + Math.abs(o[2]);
    if (Math.max(Math.abs(rx), Math.abs(o[1]), Math.abs(o[2])) > 1) return true;
    const touches = order === 0 || order === 1 || (order === 2 && connectivity >= 18) || (order === 3 && connectivity === 26);
    return !touches;
  });
  const all = packOffsets(nbs, nx, ny);
  const rest = packOffsets(afterLeft, nx, ny);
  // Pass 1 stores parent[i] for foreground voxels in the output array itself. Links always point
  // to smaller indices, so the root of a tree is its smallest index (its first voxel in memory
  // order). Background entries are never written and stay 0.
  const labels = new Uint32Array(total);
  const parent = labels;
  let i = 0;
  let leftRoot = -1; // root of voxel i − 1's tree when i − 1 is foreground
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const interiorYZ = y > 0 && y < ny - 1 && z > 0;
      for (let x = 0; x < nx; x++, i++) {
        if (mask[i] === 0) continue;
        const interior = interiorYZ && x > 0 && x < nx - 1;
        let set = all;
        let r = i;
        if (x > 0 && mask[i - 1] !== 0) {
          r = leftRoot;
          set = rest;
        }
        parent[i] = r;
        const nn = set.off.length;
        for (let k = 0; k < nn; k++) {
          if (!interior) {
            const xx = x + set.dx[k];
            const yy = y + set.dy[k];
            const zz = z + set.dz[k];
            if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0) continue;
          }
          const j = i + set.off[k];
          if (mask[j] === 0) continue;
          // Union: link the larger root under the smaller one; r stays the root of i's tree.
          const rj = findRoot(parent, j);
          if (rj < r) {
            parent[r] = rj;
            r = rj;
          } else if (rj > r) parent[rj] = r;
        }
        leftRoot = r;
      }
    }
  }
  // Pass 2, in place: parents precede their children, so by the time voxel v is reached its
  // parent's entry already holds the tree's label (roots get the next new label).
  let count = 0;
  for (let v = 0; v < total; v++) {
    if (mask[v] === 0) continue;
    const p = parent[v];
    labels[v] = p === v ? ++count : labels[p];
  }
  return { labels, count };
}
