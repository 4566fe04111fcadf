/**
 * The instance step of 'cell-pipeline' models (the bundled `nuclei` and `cells` U-Nets): from the
 * network's two maps to instances, with the classical post-processing stages of lib/segmentation.
 *
 * The network outputs three probabilities per voxel, [P(bg), p·(1−q), p·q], where p is the
 * foreground probability and q the second map; `cellMapsFromProbabilities` recovers
 *   p = 1 − ch0,   q = ch2 / (ch1 + ch2)   (q = 0 where ch1 + ch2 = 0).
 *
 * `cellInstances(p, q, shape, spacing, params)`:
 * - mode 'distance' (nuclei; q = P(nucleus core), the core being normalised distance to the surface > 0.5):
 *     fg = p > tf; core = {fg and q > tq}; seeds = its 6-connected components (`connectedComponents`,
 *     under `minSeedVoxels` dropped; seedMethod 'components', the default) or, with seedMethod
 *     'maxima', the peaks of the core's EDT as below (touching cores merged by the network are split),
 *     or, with seedMethod 'saddle', one seed per basin of the core's EDT d that is deep relative to
 *     its own height (`saddleSeeds`: basins meeting at a saddle s with peaks a ≥ b stay apart iff
 *     s < seedSaddleRatio · b — a scale-free neck test: two touching nuclei meet at a narrow neck,
 *     the bumps of one large irregular nucleus at a saddle near their height); `watershed(−q, seeds, fg)`.
 * - mode 'boundary' (membrane-stained cells, PlantSeg-style; q = boundary probability):
 *     fg = p > tf; d = EDT of {fg and q < tq} in physical units (`edt`, honours spacing);
 *     seeds = `findSeeds(d, fg, minDistance)` (skimage peak_local_max(d, labels=fg), no border
 *     exclusion), minDistance per axis = max(1, round(seedMinDistance · min(spacing) / spacing[a]));
 *     or, with seedMethod 'components', the 6-connected components of {d > seedMinDistance ·
 *     min(spacing)} (cell cores; under minSeedVoxels dropped); d optionally Gaussian-smoothed first
 *     (seedSmoothing, in voxels of the finest axis; scipy gaussian_filter, mode 'reflect');
 *     `watershed(q, seeds, fg)`.
 * Then `removeSmallAndRelabel(labels, minVoxels)` (ids 1..N by first voxel, x fastest).
 * The same recipe as training/unet/evaluate.py (the training-time proxy), tested against it.
 * Pure; inputs are not modified. Shapes [x,y,z], x fastest.
 */
import { ArgumentError, ShapeError } from '../errors';
import { connectedComponents } from '../segmentation/connected-components';
import { edtInto } from '../segmentation/edt';
import { gaussianSmooth } from '../segmentation/gaussian';
import { removeSmallAndRelabel } from '../segmentation/relabel';
import { findSeeds, seedsToMarkers } from '../segmentation/seeds';
import { watershed } from '../segmentation/watershed';
import { instanceStats } from '../segmentation/stats';
import type { Vec3, Volume } from '../volume';
import type { CellPipelineCard, ModelCard, ModelClass } from './card';
import { resampleNearest, shiftCopy } from './conform';
import type { ClassInstance } from './instances';
import { tensorToVolume, unorient } from './layout';
import type { InputMapping } from './prepare';

export interface CellPipelineParams {
  mode: 'distance' | 'boundary';
  foregroundThreshold: number;
  secondThreshold: number;
  seedMinDistance: number;
  minSeedVoxels: number;
  minVoxels: number;
  resample: 'native' | 'isotropic';
  /**
   * boundary: 'maxima' (default) = peaks of the interior's distance transform (min distance
   * seedMinDistance); 'components' = components of {distance > seedMinDistance · finest spacing}.
   * distance: 'components' (default) = components of the predicted core; 'maxima' = peaks of the
   * core's distance transform (splits touching cores that the network merged); 'saddle' = one seed
   * per basin of the core's distance transform whose saddle to a higher basin is below
   * seedSaddleRatio × its peak (scale-free: splits at necks, not at bumps).
   */
  seedMethod: 'maxima' | 'components' | 'saddle';
  /** seedMethod 'saddle': basins stay apart iff their saddle < this × the lower peak, in (0, 1]. Default 0.6. */
  seedSaddleRatio: number;
  /** Gaussian sigma (voxels of the finest axis) applied to the distance before seeding (EDT seeds); 0 = none. */
  seedSmoothing: number;
}

export const CELL_PIPELINE_DEFAULTS: Omit<CellPipelineParams, 'mode'> = {
  foregroundThreshold: 0.5,
  secondThreshold: 0.5,
  seedMinDistance: 3,
  minSeedVoxels: 8,
  minVoxels: 20,
  resample: 'native',
  seedMethod: 'maxima',
  seedSmoothing: 0,
  seedSaddleRatio: 0.6,
};

/** The card's instance-step parameters with defaults filled and `overrides` applied; validated. */
export function resolveCellPipelineParams(card: ModelCard, overrides: Partial<CellPipelineParams> = {}): CellPipelineParams {
  const cp: CellPipelineCard | undefined = card.output.cellPipeline;
  if (card.output.instances !== 'cell-pipeline' || !cp) {
    throw new ArgumentError(`model '${card.name}' is not a 'cell-pipeline' model`, { where: 'card.output', hint: "Set output.instances to 'cell-pipeline' with output.cellPipeline.mode." });
  }
  const p: CellPipelineParams = {
    ...CELL_PIPELINE_DEFAULTS,
    minVoxels: card.output.minInstanceVoxels,
    ...Object.fromEntries(Object.entries(cp).filter(([, v]) => v !== undefined)),
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  } as CellPipelineParams;
  // seedMethod's default depends on the mode: the cores' components (distance), the EDT's peaks (boundary).
  if (cp.seedMethod === undefined && overrides.seedMethod === undefined) p.seedMethod = p.mode === 'distance' ? 'components' : 'maxima';
  validateCellPipelineParams(p);
  return p;
}

export function validateCellPipelineParams(p: CellPipelineParams, where = 'cellPipeline'): void {
  const bad = (field: string, msg: string) => new ArgumentError(`${field} ${msg}`, { where: `${where}.${field}`, hint: 'See lib/model/cell-instances.ts for the parameters.' });
  if (p.mode !== 'distance' && p.mode !== 'boundary') throw bad('mode', `must be 'distance' or 'boundary', got '${String(p.mode)}'`);
  for (const k of ['foregroundThreshold', 'secondThreshold'] as const) {
    if (!(p[k] > 0 && p[k] < 1)) throw bad(k, `must be in (0, 1), got ${p[k]}`);
  }
  if (!(p.seedMinDistance > 0 && Number.isFinite(p.seedMinDistance))) throw bad('seedMinDistance', `must be > 0, got ${p.seedMinDistance}`);
  if (!(Number.isInteger(p.minSeedVoxels) && p.minSeedVoxels >= 1)) throw bad('minSeedVoxels', `must be an integer ≥ 1, got ${p.minSeedVoxels}`);
  if (!(Number.isInteger(p.minVoxels) && p.minVoxels >= 0)) throw bad('minVoxels', `must be an integer ≥ 0, got ${p.minVoxels}`);
  if (p.resample !== 'native' && p.resample !== 'isotropic') throw bad('resample', `must be 'native' or 'isotropic', got '${String(p.resample)}'`);
  if (p.seedMethod !== 'maxima' && p.seedMethod !== 'components' && p.seedMethod !== 'saddle') {
    throw bad('seedMethod', `must be 'maxima', 'components' or 'saddle', got '${String(p.seedMethod)}'`);
  }
  if (p.seedMethod === 'saddle' && p.mode !== 'distance') throw bad('seedMethod', "'saddle' applies to mode 'distance' (the predicted cores)");
  if (!(p.seedSaddleRatio > 0 && p.seedSaddleRatio <= 1)) throw bad('seedSaddleRatio', `must be in (0, 1], got ${p.seedSaddleRatio}`);
  if (!(p.seedSmoothing >= 0 && Number.isFinite(p.seedSmoothing))) throw bad('seedSmoothing', `must be ≥ 0, got ${p.seedSmoothing}`);
}

/**
 * p and q from the network's three probability channels `probs` = [ch0 | ch1 | ch2], each `n`
 * values in the same voxel order. Returns new arrays in that order.
 */
export function cellMapsFromProbabilities(probs: Float32Array, n: number): { p: Float32Array; q: Float32Array } {
  if (probs.length !== 3 * n) {
    throw new ShapeError(`expected 3 channels of ${n} voxels (${3 * n} values), got ${probs.length}`, {
      where: 'cellMapsFromProbabilities',
      hint: "A 'cell-pipeline' model outputs [P(bg), p·(1−q), p·q].",
    });
  }
  const p = new Float32Array(n);
  const q = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    p[i] = 1 - probs[i];
    const a = probs[n + i];
    const b = probs[2 * n + i];
    const s = a + b;
    q[i] = s > 0 ? b / s : 0;
  }
  return { p, q };
}

export interface CellInstancesResult {
  labels: Uint32Array;
  count: number;
  seedCount: number;
  /** Per-axis seed min distance in voxels (EDT-peak seeds; [0,0,0] for components of the core). */
  minDistanceVoxels: Vec3;
}

/** Instances from the two maps (see the module comment). */
export function cellInstances(p: Float32Array, q: Float32Array, shape: Vec3, spacing: Vec3, params: CellPipelineParams): CellInstancesResult {
  const where = 'cellInstances';
  validateCellPipelineParams(params, where);
  const n = shape[0] * shape[1] * shape[2];
  if (!shape.every((s) => Number.isInteger(s) && s > 0)) throw new ShapeError(`shape must be positive integers, got ${shape.join('×')}`, { where });
  if (p.length !== n || q.length !== n) throw new ShapeError(`p has ${p.length} and q ${q.length} voxels but shape ${shape.join('×')} needs ${n}`, { where });
  if (!spacing.every((s) => s > 0 && Number.isFinite(s))) throw new ArgumentError(`spacing must be positive, got ${spacing.join('×')}`, { where });
  const tf = params.foregroundThreshold;
  const tq = params.secondThreshold;
  const fg = new Uint8Array(n);
  for (let i = 0; i < n; i++) fg[i] = p[i] > tf ? 1 : 0;
  const finest = Math.min(...spacing);
  const minDistanceVoxels: Vec3 =
    params.mode === 'boundary' || params.seedMethod === 'maxima' ? (spacing.map((s) => Math.max(1, Math.round((params.seedMinDistance * finest) / s))) as Vec3) : [0, 0, 0];
  // The seed region: the predicted cores (distance) or the membrane-free interior (boundary).
  const region = new Uint8Array(n);
  if (params.mode === 'distance') for (let i = 0; i < n; i++) region[i] = fg[i] && q[i] > tq ? 1 : 0;
  else for (let i = 0; i < n; i++) region[i] = fg[i] && q[i] < tq ? 1 : 0;
  let seeded: { markers: Uint32Array; count: number };
  if (params.mode === 'distance' && params.seedMethod !== 'maxima') {
    // the cores with ≥ minSeedVoxels voxels: the seeds themselves, or the basins of their EDT
    const kept = removeSmallAndRelabel(connectedComponents(region, shape, 6).labels, params.minSeedVoxels);
    seeded = params.seedMethod === 'components' ? { markers: kept.labels, count: kept.count } : saddleMarkers(kept.labels, shape, spacing, params);
  } else {
    seeded = distanceSeeds(region, fg, shape, spacing, params, minDistanceVoxels);
  }
  let image: Float32Array;
  if (params.mode === 'distance') {
    image = new Float32Array(n);
    for (let i = 0; i < n; i++) image[i] = -q[i];
  } else {
    image = q;
  }
  const markers = seeded.markers;
  const seedCount = seeded.count;
  const flooded = watershed(image, markers, fg, shape, { connectivity: 6 });
  const out = removeSmallAndRelabel(flooded, params.minVoxels);
  return { labels: out.labels, count: out.count, seedCount, minDistanceVoxels };
}

/** Seeds for seedMethod 'saddle' from the kept cores (`labels` > 0): `saddleSeeds` of their (optionally smoothed) EDT. */
function saddleMarkers(labels: Uint32Array, shape: Vec3, spacing: Vec3, params: CellPipelineParams): { markers: Uint32Array; count: number } {
  const n = labels.length;
  const cores = new Uint8Array(n);
  for (let i = 0; i < n; i++) cores[i] = labels[i] ? 1 : 0;
  if (!cores.includes(0)) return { markers: seedsToMarkers(Uint32Array.of(0), shape), count: 1 };
  let d = edtInto({ data: cores, shape, spacing });
  if (params.seedSmoothing > 0) d = gaussianSmooth(d, params.seedSmoothing * Math.min(...spacing));
  const seeds = saddleSeeds(d.data, cores, shape, params.seedSaddleRatio);
  return { markers: seedsToMarkers(seeds, shape), count: seeds.length };
}

/**
 * One seed per deep basin of `d` over the voxels of `region` (flat indices, ascending order of
 * discovery = descending peak): the region's voxels are flooded from the highest d down (ties:
 * lower index first); a voxel touching no flooded 6-neighbour starts a basin (its peak); a voxel
 * joins the basin of its first flooded neighbour (−z, +z, −y, +y, −x, +x … in index terms: −nx·ny,
 * +nx·ny, −nx, +nx, −1, +1); when it touches a second basin at level s, with b the lower of the two
 * basins' peaks (equal peaks: the later-found basin is the lower), the two merge (the lower into the
 * higher) iff s ≥ ratio · b, else both stay. Seeds are the peaks of the basins left.
 * The Python twin is training/unet/evaluate.py `saddle_seeds`. Pure.
 */
export function saddleSeeds(d: Float32Array, region: Uint8Array, shape: Vec3, ratio: number): Uint32Array {
  const [nx, ny, nz] = shape;
  const nxy = nx * ny;
  let m = 0;
  for (let i = 0; i < region.length; i++) if (region[i]) m++;
  const order = new Uint32Array(m);
  for (let i = 0, k = 0; i < region.length; i++) if (region[i]) order[k++] = i;
  order.sort((a, b) => d[b] - d[a] || a - b);
  // parent: flat index of the parent voxel + 1 (0 = not yet flooded); rank: discovery position of a root
  const parent = new Int32Array(region.length);
  const rank = new Int32Array(region.length);
  const find = (a: number): number => {
    let r = a;
    while (parent[r] - 1 !== r) r = parent[r] - 1;
    while (parent[a] - 1 !== r) { const nxt = parent[a] - 1; parent[a] = r + 1; a = nxt; }
    return r;
  };
  for (let k = 0; k < m; k++) {
    const v = order[k];
    const s = d[v];
    const x = v % nx, y = Math.floor(v / nx) % ny, z = Math.floor(v / nxy);
    let own = -1;
    for (let j = 0; j < 6; j++) {
      // neighbours in the order −z, +z, −y, +y, −x, +x
      const u =
        j === 0 ? (z > 0 ? v - nxy : -1) : j === 1 ? (z < nz - 1 ? v + nxy : -1) : j === 2 ? (y > 0 ? v - nx : -1) : j === 3 ? (y < ny - 1 ? v + nx : -1) : j === 4 ? (x > 0 ? v - 1 : -1) : x < nx - 1 ? v + 1 : -1;
      if (u < 0 || parent[u] === 0) continue;
      const a = find(u);
      if (own < 0) { own = a; parent[v] = a + 1; continue; }
      if (a === own) continue;
      const hi = rank[a] < rank[own] ? a : own;
      const lo = hi === a ? own : a;
      if (s >= ratio * d[lo]) {
        parent[lo] = hi + 1;
        own = hi;
      }
    }
    if (own < 0) { parent[v] = v + 1; rank[v] = k; }
  }
  const seeds: number[] = [];
  for (let k = 0; k < m; k++) if (parent[order[k]] - 1 === order[k]) seeds.push(order[k]);
  return Uint32Array.from(seeds);
}

/**
 * Seeds from the EDT of `region` (physical units, optionally smoothed): its peaks (`findSeeds`,
 * per-axis min distance) or, with seedMethod 'components', the components of {d > seedMinDistance ·
 * finest spacing} inside fg (under minSeedVoxels dropped). A region without a background voxel
 * (all of the volume) is one seed at its first voxel.
 */
function distanceSeeds(region: Uint8Array, fg: Uint8Array, shape: Vec3, spacing: Vec3, params: CellPipelineParams, minDistance: Vec3): { markers: Uint32Array; count: number } {
  const n = region.length;
  if (!region.includes(0)) return { markers: seedsToMarkers(Uint32Array.of(0), shape), count: 1 };
  const finest = Math.min(...spacing);
  let dist = edtInto({ data: region, shape, spacing });
  if (params.seedSmoothing > 0) dist = gaussianSmooth(dist, params.seedSmoothing * finest);
  if (params.seedMethod === 'maxima') {
    const seeds = findSeeds(dist, fg, { minDistance, excludeBorder: false });
    return { markers: seedsToMarkers(seeds, shape), count: seeds.length };
  }
  const t = params.seedMinDistance * finest;
  const core = new Uint8Array(n);
  for (let i = 0; i < n; i++) core[i] = fg[i] && dist.data[i] > t ? 1 : 0;
  const kept = removeSmallAndRelabel(connectedComponents(core, shape, 6).labels, params.minSeedVoxels);
  return { markers: kept.labels, count: kept.count };
}

/**
 * The card the network actually runs with: for `resample: 'isotropic'` (and a card without its own
 * spacing) the input spacing becomes cubic voxels at the volume's finest spacing, so
 * `prepareModelInput` resamples (trilinear) and the mapping records how to come back.
 */
export function cellPipelineCard(card: ModelCard, spacing: Vec3, params: CellPipelineParams): ModelCard {
  if (params.resample !== 'isotropic' || card.input.spacing) return card;
  const m = Math.min(...spacing);
  return { ...card, input: { ...card.input, spacing: [m, m, m] } };
}

/**
 * From the network output ([1,3,...] probabilities on the network's grid, `mapping` from
 * `prepareModelInput`) to instances on the volume's native grid: p, q → crop the padding → 
 * `cellInstances` on the (resampled) grid with its spacing → nearest neighbour back and undo any
 * reorientation → ids renumbered 1..N by first voxel (x fastest) → per-instance stats on the
 * native grid, class 1 (the card's foreground class name).
 */
export function cellInstancesOnGrid(
  out: { data: Float32Array; dims: number[] },
  mapping: InputMapping,
  vol: Volume,
  params: CellPipelineParams,
  classes: ModelClass[],
): { labels: Uint32Array; instances: ClassInstance[]; seedCount: number; minDistanceVoxels: Vec3; grid: { shape: Vec3; spacing: Vec3 } } {
  const rec = mapping.conform;
  const gridN = rec.gridShape[0] * rec.gridShape[1] * rec.gridShape[2];
  if (out.dims.length !== 5 || out.dims[1] !== 3) {
    throw new ShapeError(`a 'cell-pipeline' model must output [1,3,…], got [${out.dims.join(',')}]`, { where: 'cellInstancesOnGrid' });
  }
  const maps = cellMapsFromProbabilities(out.data, gridN);
  const mid = rec.resample?.shape ?? rec.nativeShape;
  const neg = rec.offset.map((o) => -o) as Vec3;
  const p = shiftCopy(tensorToVolume(maps.p, rec.gridShape, mapping.axisOrder), rec.gridShape, mid, neg, 0);
  const q = shiftCopy(tensorToVolume(maps.q, rec.gridShape, mapping.axisOrder), rec.gridShape, mid, neg, 0);
  const r = cellInstances(p, q, mid, rec.gridSpacing, params);
  let lab = rec.resample ? resampleNearest(r.labels, mid, rec.nativeShape) : r.labels;
  if (mapping.orientation) lab = unorient(lab, mapping.nativeShape, mapping.orientation);
  const labels = removeSmallAndRelabel(lab, 0).labels;
  const fgClass = classes.find((c) => c.id === 1);
  const stats = instanceStats({ data: labels, shape: vol.shape, spacing: vol.spacing, affine: vol.affine });
  const instances = stats.map((s) => ({ ...s, classId: 1, className: fgClass?.name ?? 'class1' }));
  return { labels, instances, seedCount: r.seedCount, minDistanceVoxels: r.minDistanceVoxels, grid: { shape: mid, spacing: rec.gridSpacing } };
}
