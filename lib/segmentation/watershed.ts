/**
 * Marker-controlled watershed by priority flooding, with scikit-image 0.19 semantics
 * (`skimage.segmentation.watershed(image, markers, mask=mask, connectivity=c)`, no compactness,
 * no watershed line).
 *
 * Algorithm (as skimage's `watershed_raveled`): every marker voxel inside the mask is pushed with
 * (value = image, age = 0) in memory order. Repeatedly pop the smallest (value, age) item; for
 * each neighbour, in skimage's neighbour order, that lies in the mask and is still unlabelled,
 * label it with the popped voxel's label and push it with the next age (ages increase by one per
 * push, so ties in value are resolved first-in first-out). Only markers share an age (0), so
 * the order is total except between markers of exactly equal value: see `exactTies`.
 */
import { ArgumentError, ShapeError } from '../errors';
import type { Vec3 } from '../volume';
import { BucketFifoQueue, FloodHeap } from './priority-queue';
import { seedsToMarkers } from './seeds';

export interface WatershedOptions {
  /** 6 (faces, skimage connectivity=1, default), 18 (=2) or 26 (=3). */
  connectivity?: 6 | 18 | 26;
  /**
   * false (default): a bucket queue (one FIFO per distinct value) — the same (value, age) order
   * as skimage and about twice as fast as the heap; markers with exactly equal values start in
   * memory order, so labels can differ from skimage's on a few tie voxels where such markers'
   * basins meet (≥ 99.9 % agreement measured). Marker labels must be ≤ MAX_LABEL (2³⁰ − 1).
   * true: skimage's binary heap itself, which also reproduces the (heap-dependent) order in which
   * equal-valued markers leave the queue, hence skimage's labels voxel for voxel.
   */
  exactTies?: boolean;
}

/**
 * Neighbour offsets (dx, dy, dz) in the order skimage 0.19 visits them in 3-D, which is
 * `_offsets_to_raveled_neighbors` (an unstable argsort of the distances from the centre).
 */
const NEIGHBOUR_ORDER: Record<6 | 18 | 26, Vec3[]> = {
  6: [[0, 0, -1], [0, -1, 0], [-1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
  18: [
    [0, 0, 1], [0, 0, -1], [0, -1, 0], [0, 1, 0], [-1, 0, 0], [1, 0, 0], [-1, 0, 1], [0, -1, 1], [1, 1, 0],
    [-1, 1, 0], [0, -1, -1], [1, -1, 0], [-1, -1, 0], [0, 1, -1], [1, 0, -1], [-1, 0, -1], [1, 0, 1], [0, 1, 1],
  ],
  26: [
    [0, 1, 0], [0, 0, -1], [1, 0, 0], [-1, 0, 0], [0, 0, 1], [0, -1, 0], [1, 1, 0], [-1, 1, 0], [0, 1, 1],
    [1, -1, 0], [-1, -1, 0], [0, 1, -1], [1, 0, 1], [1, 0, -1], [-1, 0, -1], [0, -1, -1], [-1, 0, 1], [0, -1, 1],
    [-1, 1, 1], [-1, -1, -1], [-1, -1, 1], [1, 1, -1], [-1, 1, -1], [1, -1, -1], [1, -1, 1], [1, 1, 1],
  ],
};

/** The neighbour offsets (dx, dy, dz) for a connectivity, in the order the flood visits them. */
export function watershedNeighbours(connectivity: 6 | 18 | 26): Vec3[] {
  return NEIGHBOUR_ORDER[connectivity].map((o) => [o[0], o[1], o[2]] as Vec3);
}

/**
 * Floods `image` (lowest first) from `markers` (nonzero = seed label) within `mask` (nonzero =
 * floodable; `null` = everywhere). Returns a new label volume: every mask voxel connected to a
 * marker gets that marker's label; voxels outside the mask, or unreachable from any marker, are 0.
 * Markers outside the mask are ignored (skimage multiplies markers by the mask). Inputs are not
 * modified. Shapes are [nx, ny, nz], x fastest.
 */
export function watershed(
  image: Float32Array,
  markers: Uint32Array,
  mask: Uint8Array | null,
  shape: Vec3,
  opts: WatershedOptions = {},
): Uint32Array {
  const where = 'watershed';
  const [nx, ny, nz] = shape;
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`shape must be positive integers, got ${shape.join('×')}`, { where });
  }
  const total = nx * ny * nz;
  if (image.length !== total) throw new ShapeError(`image has ${image.length} voxels but shape needs ${total}`, { where: `${where}.image` });
  if (markers.length !== total) throw new ShapeError(`markers has ${markers.length} voxels but shape needs ${total}`, { where: `${where}.markers` });
  if (mask && mask.length !== total) throw new ShapeError(`mask has ${mask.length} voxels but shape needs ${total}`, { where: `${where}.mask` });
  const connectivity = opts.connectivity ?? 6;
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new ArgumentError(`connectivity must be 6, 18 or 26, got ${String(connectivity)}`, { where: `${where}.connectivity` });
  }

  const geom = makeGeometry(shape, connectivity);
  if (!opts.exactTies) return floodBuckets(image, markers, mask, geom);
  const out = new Uint32Array(total);
  // state[i] bit 0 (OPEN): in the mask and unlabelled (floodable); bit 1 (BORDER): on the volume
  // boundary, so neighbour offsets need bounds checks.
  const state = new Uint8Array(total);
  for (let z = 0, i = 0; z < nz; z++) {
    const zb = z === 0 || z === nz - 1;
    for (let y = 0; y < ny; y++) {
      const yb = zb || y === 0 || y === ny - 1;
      for (let x = 0; x < nx; x++, i++) {
        let st = yb || x === 0 || x === nx - 1 ? BORDER : 0;
        if (mask === null || mask[i] !== 0) {
          const v = image[i];
          if (v !== v) throw nanError(i);
          const m = markers[i];
          if (m !== 0) out[i] = m;
          else st |= OPEN;
        }
        state[i] = st;
      }
    }
  }
  floodHeap(image, out, state, geom);
  return out;
}

function makeGeometry(shape: Vec3, connectivity: 6 | 18 | 26): Geometry {
  const [nx, ny, nz] = shape;
  const nbs = NEIGHBOUR_ORDER[connectivity];
  const nn = nbs.length;
  const ndx = new Int32Array(nn);
  const ndy = new Int32Array(nn);
  const ndz = new Int32Array(nn);
  const noff = new Int32Array(nn);
  for (let k = 0; k < nn; k++) {
    ndx[k] = nbs[k][0];
    ndy[k] = nbs[k][1];
    ndz[k] = nbs[k][2];
    noff[k] = nbs[k][0] + nx * (nbs[k][1] + ny * nbs[k][2]);
  }
  return { nx, ny, nz, ndx, ndy, ndz, noff };
}

/**
 * `watershed(image, seedsToMarkers(seeds, shape), mask, shape, opts)`, without the separate marker
 * volume: the seed labels are written straight into the output, which the flood then fills in
 * place. With `out` (length nx·ny·nz, any contents; overwritten and returned) no volume-sized
 * array is allocated at all; `out` may even be a Uint32 view of `image`'s own memory, which the
 * flood then consumes (each voxel's value is read before its label overwrites it). Same result,
 * same errors.
 */
export function watershedFromSeeds(
  image: Float32Array,
  seeds: Uint32Array,
  mask: Uint8Array | null,
  shape: Vec3,
  opts: WatershedOptions = {},
  out?: Uint32Array,
): Uint32Array {
  const total = shape[0] * shape[1] * shape[2];
  if (out && !opts.exactTies && out.buffer === image.buffer && out.byteOffset === image.byteOffset && out.length === total) {
    const r = floodInPlace(image, seeds, mask, shape, opts, out);
    if (r) return r;
  }
  let markers: Uint32Array;
  if (out && out.length === total && !opts.exactTies && out.buffer !== image.buffer) {
    out.fill(0);
    for (let i = 0; i < seeds.length; i++) {
      const s = seeds[i];
      if (s >= total) {
        throw new ArgumentError(`seed ${i} has index ${s}, outside the ${total} voxels`, { where: 'seedsToMarkers', hint: 'Seeds are flat indices x + nx*(y + ny*z).' });
      }
      if (out[s] !== 0) throw new ArgumentError(`seed ${i} repeats voxel ${s} (seed ${out[s] - 1})`, { where: 'seedsToMarkers' });
      out[s] = i + 1;
    }
    markers = out;
  } else markers = seedsToMarkers(seeds, shape);
  if (opts.exactTies) return watershed(image, markers, mask, shape, opts);
  const where = 'watershed';
  const [nx, ny, nz] = shape;
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`shape must be positive integers, got ${shape.join('×')}`, { where });
  }
  if (image.length !== total) throw new ShapeError(`image has ${image.length} voxels but shape needs ${total}`, { where: `${where}.image` });
  if (mask && mask.length !== total) throw new ShapeError(`mask has ${mask.length} voxels but shape needs ${total}`, { where: `${where}.mask` });
  const connectivity = opts.connectivity ?? 6;
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw new ArgumentError(`connectivity must be 6, 18 or 26, got ${String(connectivity)}`, { where: `${where}.connectivity` });
  }
  return floodBuckets(image, markers, mask, makeGeometry(shape, connectivity), markers);
}

/**
 * The bucket flood with the labels written over the image itself (`out` aliases `image`): a voxel's
 * value is read when it is pushed, and only then is its label written; voxels never reached are
 * zeroed at the end. Floodable voxels and the volume boundary are bitsets. Returns null (nothing
 * written) when the seeds are invalid or the image has a NaN, so that the caller's ordinary path
 * reports the error.
 */
function floodInPlace(image: Float32Array, seeds: Uint32Array, mask: Uint8Array | null, shape: Vec3, opts: WatershedOptions, out: Uint32Array): Uint32Array | null {
  const [nx, ny, nz] = shape;
  for (const n of shape) if (!Number.isInteger(n) || n < 1) return null;
  const total = nx * ny * nz;
  if (image.length !== total || (mask && mask.length !== total)) return null;
  const connectivity = opts.connectivity ?? 6;
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) return null;
  if (seeds.length > MAX_LABEL) return null;
  // Seeds in memory order (labels are seed order + 1); any invalid or repeated seed → null.
  const ns = seeds.length;
  const order = new Int32Array(ns);
  for (let k = 0; k < ns; k++) {
    if (seeds[k] >= total) return null;
    order[k] = k;
  }
  order.sort((a, b) => seeds[a] - seeds[b]);
  for (let k = 1; k < ns; k++) if (seeds[order[k]] === seeds[order[k - 1]]) return null;
  if (mask === null) {
    for (let i = 0; i < total; i++) if (image[i] !== image[i]) return null;
  } else {
    for (let i = 0; i < total; i++) if (mask[i] !== 0 && image[i] !== image[i]) return null;
  }
  const { ndx, ndy, ndz, noff } = makeGeometry(shape, connectivity);
  const nn = noff.length;
  const bits = new Uint32Array(image.buffer, image.byteOffset, total);
  const words = (total + 31) >>> 5;
  const open = new Int32Array(words);
  const edge = new Int32Array(words);
  const q = new BucketFifoQueue(1024);
  let sk = 0;
  let nextSeed = ns > 0 ? seeds[order[0]] : total;
  for (let z = 0, i = 0; z < nz; z++) {
    const zb = z === 0 || z === nz - 1;
    for (let y = 0; y < ny; y++) {
      const yb = zb || y === 0 || y === ny - 1;
      const rowEnd = i + nx;
      if (yb) for (let x = i; x < rowEnd; x++) edge[x >>> 5] |= 1 << (x & 31);
      else {
        edge[i >>> 5] |= 1 << (i & 31);
        edge[(rowEnd - 1) >>> 5] |= 1 << ((rowEnd - 1) & 31);
      }
      for (; i < rowEnd; i++) {
        let label = 0;
        if (i === nextSeed) {
          label = order[sk] + 1;
          sk++;
          nextSeed = sk < ns ? seeds[order[sk]] : total;
        }
        if (mask === null || mask[i] !== 0) {
          if (label !== 0) {
            q.push(i, image[i], bits[i]);
            out[i] = label;
          } else open[i >>> 5] |= 1 << (i & 31);
        } else out[i] = 0;
      }
    }
  }
  const nxy = nx * ny;
  while (q.size > 0) {
    const i = q.pop();
    const label = out[i];
    if ((edge[i >>> 5] & (1 << (i & 31))) === 0) {
      for (let k = 0; k < nn; k++) {
        const j = i + noff[k];
        const ow = open[j >>> 5];
        const bit = 1 << (j & 31);
        if ((ow & bit) === 0) continue;
        open[j >>> 5] = ow ^ bit;
        q.push(j, image[j], bits[j]);
        out[j] = label;
      }
      continue;
    }
    const z = (i / nxy) | 0;
    const rem = i - z * nxy;
    const y = (rem / nx) | 0;
    const x = rem - y * nx;
    for (let k = 0; k < nn; k++) {
      const xx = x + ndx[k];
      const yy = y + ndy[k];
      const zz = z + ndz[k];
      if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
      const j = i + noff[k];
      const ow = open[j >>> 5];
      const bit = 1 << (j & 31);
      if ((ow & bit) === 0) continue;
      open[j >>> 5] = ow ^ bit;
      q.push(j, image[j], bits[j]);
      out[j] = label;
    }
  }
  // Voxels of the mask no marker reached still hold their value: label 0.
  for (let w = 0; w < words; w++) {
    let ow = open[w];
    while (ow !== 0) {
      const b = 31 - Math.clz32(ow);
      out[(w << 5) + b] = 0;
      ow ^= 1 << b;
    }
  }
  return out;
}

function nanError(i: number): ArgumentError {
  return new ArgumentError(`image is NaN at voxel ${i}`, { where: 'watershed.image', hint: 'Replace NaNs before flooding.' });
}

const OPEN = 1;
const BORDER = 2;
/** Largest marker label of the default (bucket) flood: labels share a word with two flag bits. */
export const MAX_LABEL = 0x3fffffff;

interface Geometry {
  nx: number;
  ny: number;
  nz: number;
  ndx: Int32Array;
  ndy: Int32Array;
  ndz: Int32Array;
  noff: Int32Array;
}

/** Flood with skimage's binary heap keyed by (value, age). `out` holds the markers on entry. */
function floodHeap(image: Float32Array, out: Uint32Array, state: Uint8Array, g: Geometry): void {
  const { nx, ny, nz, ndx, ndy, ndz, noff } = g;
  const nn = noff.length;
  const total = out.length;
  const heap = new FloodHeap(1 << 16);
  for (let i = 0; i < total; i++) if (out[i] !== 0) heap.push(image[i], 0, i);
  const nxy = nx * ny;
  let age = 1;
  while (heap.size > 0) {
    const i = heap.pop();
    const label = out[i];
    if ((state[i] & BORDER) === 0) {
      for (let k = 0; k < nn; k++) {
        const j = i + noff[k];
        const st = state[j];
        if ((st & OPEN) === 0) continue;
        state[j] = st ^ OPEN;
        out[j] = label;
        age++;
        heap.push(image[j], age, j);
      }
      continue;
    }
    const z = (i / nxy) | 0;
    const rem = i - z * nxy;
    const y = (rem / nx) | 0;
    const x = rem - y * nx;
    for (let k = 0; k < nn; k++) {
      const xx = x + ndx[k];
      const yy = y + ndy[k];
      const zz = z + ndz[k];
      if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
      const j = i + noff[k];
      const st = state[j];
      if ((st & OPEN) === 0) continue;
      state[j] = st ^ OPEN;
      out[j] = label;
      age++;
      heap.push(image[j], age, j);
    }
  }
}

/**
 * Flood with the bucket FIFO queue (same order as the heap except among equal-valued markers).
 * The output array holds label | EDGE during the flood (EDGE cleared at the end); which voxels
 * are still floodable (in the mask, unlabelled) is a bitset (1/32 of the output's size, so the
 * neighbour tests mostly hit cache); values are read from `image` only when a voxel is pushed.
 */
function floodBuckets(image: Float32Array, markers: Uint32Array, mask: Uint8Array | null, g: Geometry, into?: Uint32Array): Uint32Array {
  const { nx, ny, nz, ndx, ndy, ndz, noff } = g;
  const nn = noff.length;
  const total = nx * ny * nz;
  const EDGE = 0x80000000; // on the volume boundary
  const LABEL = 0x3fffffff;
  const bits = new Uint32Array(image.buffer, image.byteOffset, image.length);
  // `into` may be `markers` itself: each voxel's marker is read before its word is written.
  const out = into ?? new Uint32Array(total);
  const open = new Int32Array((total + 31) >>> 5);
  const q = new BucketFifoQueue(1024);
  let bigMarker = -1;
  let nanAt = -1;
  for (let z = 0, i = 0; z < nz; z++) {
    const zb = z === 0 || z === nz - 1;
    for (let y = 0; y < ny; y++) {
      const yb = zb || y === 0 || y === ny - 1;
      const rowEnd = i + nx;
      for (; i < rowEnd; i++) {
        const m = markers[i];
        if (m > LABEL && bigMarker < 0) bigMarker = i;
        if (mask === null || mask[i] !== 0) {
          if (m !== 0) {
            out[i] = m;
            q.push(i, image[i], bits[i]);
          } else {
            open[i >>> 5] |= 1 << (i & 31);
          }
          if (nanAt < 0) {
            const v = image[i];
            if (v !== v) nanAt = i;
          }
        } else if (m !== 0) out[i] = 0;
      }
      if (yb) for (let x = rowEnd - nx; x < rowEnd; x++) out[x] = (out[x] | EDGE) >>> 0;
      else {
        out[rowEnd - nx] = (out[rowEnd - nx] | EDGE) >>> 0;
        out[rowEnd - 1] = (out[rowEnd - 1] | EDGE) >>> 0;
      }
    }
  }
  if (bigMarker >= 0) {
    throw new ArgumentError(`marker label ${markers[bigMarker]} at voxel ${bigMarker} exceeds ${MAX_LABEL}`, { where: 'watershed.markers' });
  }
  if (nanAt >= 0) throw nanError(nanAt);
  const nxy = nx * ny;
  while (q.size > 0) {
    const i = q.pop();
    const wi = out[i];
    const label = wi & LABEL;
    if ((wi & EDGE) === 0) {
      for (let k = 0; k < nn; k++) {
        const j = i + noff[k];
        const ow = open[j >>> 5];
        const bit = 1 << (j & 31);
        if ((ow & bit) === 0) continue; // labelled or outside the mask
        open[j >>> 5] = ow ^ bit;
        out[j] = (out[j] | label) >>> 0; // j may be on the boundary: keep its EDGE bit
        q.push(j, image[j], bits[j]);
      }
      continue;
    }
    const z = (i / nxy) | 0;
    const rem = i - z * nxy;
    const y = (rem / nx) | 0;
    const x = rem - y * nx;
    for (let k = 0; k < nn; k++) {
      const xx = x + ndx[k];
      const yy = y + ndy[k];
      const zz = z + ndz[k];
      if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
      const j = i + noff[k];
      const ow = open[j >>> 5];
      const bit = 1 << (j & 31);
      if ((ow & bit) === 0) continue;
      open[j >>> 5] = ow ^ bit;
      out[j] = (out[j] | label) >>> 0;
      q.push(j, image[j], bits[j]);
    }
  }
  for (let i = 0; i < total; i++) out[i] &= LABEL;
  return out;
}
