/**
 * The classical baselines of the validation suite and their parameter search.
 *
 * - nuclei items: `segmentCells` (lib/segmentation/pipeline.ts: smoothing → Otsu → EDT → seeds →
 *   watershed on −distance);
 * - cell items: `segmentMembranes` (lib/segmentation/membrane-pipeline.ts: smoothing → Otsu on the
 *   membrane signal → EDT of the membrane-free voxels → seeds → watershed on the membrane signal).
 *
 * Tuning ("the best smoothing / min-distance you can find"): a grid over smoothSigma × minDistance,
 * threshold Otsu, minVoxels fixed, one parameter set per dataset family (the set with the best mean
 * AP@0.5 over the family's items; ties → better mean AP@[0.5:0.95], then the earlier grid point).
 * Grid values are in units of the item's x-y voxel size (physical = value × spacing[0]): the
 * generated families draw their spacing at random (0.1–0.5 µm) and their object sizes in voxels,
 * so one physical value could not fit a family, while for a real crop (one spacing) this is the
 * same as a physical grid. The search runs on the validation items themselves — an oracle choice
 * that can only flatter the baseline, so a model that beats it beats any fixed choice.
 */
import { ArgumentError } from '../errors';
import { type InstanceAPResult, instanceAP } from '../metrics';
import { segmentCells } from '../segmentation/pipeline';
import { segmentMembranes } from '../segmentation/membrane-pipeline';
import type { Family, ItemKind, ValidationItem } from './validation-set';

/** Grid axes in units of the x-y voxel size. */
export interface ClassicalGrid {
  smoothSigma: number[];
  minDistance: number[];
  /** Fixed for every grid point (voxels). */
  minVoxels: number;
}

/**
 * 8 × 8 points. A wider exploration (σ up to 8, d from 1 to 28, minVoxels 10–200) found every
 * family's optimum inside this grid: 1136_mini σ 4, d 8; generated nuclei σ 1, d 6.
 */
export const NUCLEI_GRID: ClassicalGrid = { smoothSigma: [0, 0.5, 1, 1.5, 2, 3, 4, 6], minDistance: [2, 3, 4, 5, 6, 8, 10, 14], minVoxels: 50 };
/**
 * 5 × 6 points (the membrane watershed floods a float image: ~0.5 s per 96×96×48 volume on 2 busy
 * cores, so this grid is kept small). The wider exploration (σ 0–4 by 0.5, d 2–28) found the
 * optima inside it: sample_ovule σ 0.5, d 7; generated membranes σ 0.5, d 5.
 */
export const MEMBRANE_GRID: ClassicalGrid = { smoothSigma: [0, 0.5, 1, 2, 3], minDistance: [3, 5, 7, 10, 14, 20], minVoxels: 50 };

/**
 * The points the full grid search chose (`tessera eval --suite validation`, default validation set,
 * the grids above); `--classical recorded` uses them to skip the search. Re-record them when the
 * grids, the pipelines or the validation set change (the suite's JSON lists every grid score).
 */
export const RECORDED_CLASSICAL_PARAMS: Record<Family, ClassicalPoint> = {
  'generated-nuclei': { smoothSigma: 1, minDistance: 6, minVoxels: 50 },
  '1136_mini': { smoothSigma: 4, minDistance: 8, minVoxels: 50 },
  'generated-membranes': { smoothSigma: 0.5, minDistance: 5, minVoxels: 50 },
  sample_ovule: { smoothSigma: 0.5, minDistance: 7, minVoxels: 50 },
};

export function gridFor(kind: ItemKind): ClassicalGrid {
  return kind === 'nuclei' ? NUCLEI_GRID : MEMBRANE_GRID;
}

/** One parameter set, in x-y voxel units. */
export interface ClassicalPoint {
  smoothSigma: number;
  minDistance: number;
  minVoxels: number;
}

/** The pipeline a kind of item gets: 'nuclei' → segmentCells, 'cells' → segmentMembranes. */
export function classicalPipelineName(kind: ItemKind): 'segmentCells' | 'segmentMembranes' {
  return kind === 'nuclei' ? 'segmentCells' : 'segmentMembranes';
}

/** The physical parameters a point means for an item (value × the item's x-y spacing). */
export function physicalParams(item: ValidationItem, p: ClassicalPoint): { smoothSigma: number; minDistance: number; minVoxels: number } {
  const s = item.image.spacing[0];
  return { smoothSigma: p.smoothSigma * s, minDistance: p.minDistance * s, minVoxels: p.minVoxels };
}

/** Runs the kind's classical pipeline on an item with a point's parameters; returns the labels. */
export function runClassical(item: ValidationItem, p: ClassicalPoint): { labels: Uint32Array; ms: number; seeds: number; threshold: number } {
  const t0 = performance.now();
  const params = physicalParams(item, p);
  const r = item.kind === 'nuclei' ? segmentCells(item.image, params) : segmentMembranes(item.image, params);
  return { labels: r.labels.data, ms: performance.now() - t0, seeds: r.seedCount, threshold: r.threshold };
}

export interface GridScore extends ClassicalPoint {
  meanAP50: number;
  meanApMean: number;
  /** AP@0.5 per item, in the items' order. */
  ap50: number[];
}

export interface SearchResult {
  kind: ItemKind;
  pipeline: 'segmentCells' | 'segmentMembranes';
  items: string[];
  grid: ClassicalGrid;
  scores: GridScore[];
  best: GridScore;
  ms: number;
}

function checkGrid(g: ClassicalGrid): void {
  const ok = (a: number[], min: number, strict: boolean) => a.length > 0 && a.every((v) => Number.isFinite(v) && (strict ? v > min : v >= min));
  if (!ok(g.smoothSigma, 0, false)) throw new ArgumentError(`smoothSigma grid must be non-empty values ≥ 0, got [${g.smoothSigma.join(', ')}]`, { where: 'searchClassical.grid.smoothSigma' });
  if (!ok(g.minDistance, 0, true)) throw new ArgumentError(`minDistance grid must be non-empty values > 0, got [${g.minDistance.join(', ')}]`, { where: 'searchClassical.grid.minDistance' });
  if (!Number.isFinite(g.minVoxels) || g.minVoxels < 0) throw new ArgumentError(`minVoxels must be ≥ 0, got ${g.minVoxels}`, { where: 'searchClassical.grid.minVoxels' });
}

/**
 * Scores every grid point on `items` (all of one kind) and picks the best (see the module comment).
 * `onPoint` is called after each point (for progress lines).
 */
export function searchClassical(items: ValidationItem[], grid: ClassicalGrid, onPoint?: (s: GridScore, done: number, total: number) => void): SearchResult {
  if (items.length === 0) throw new ArgumentError('no items to tune on', { where: 'searchClassical.items' });
  const kind = items[0].kind;
  if (items.some((it) => it.kind !== kind)) throw new ArgumentError('items of one kind only', { where: 'searchClassical.items', hint: 'Tune nuclei and cell families separately.' });
  checkGrid(grid);
  const t0 = performance.now();
  const scores: GridScore[] = [];
  const total = grid.smoothSigma.length * grid.minDistance.length;
  for (const smoothSigma of grid.smoothSigma) {
    for (const minDistance of grid.minDistance) {
      const point = { smoothSigma, minDistance, minVoxels: grid.minVoxels };
      const r: InstanceAPResult[] = items.map((it) => instanceAP(runClassical(it, point).labels, it.labels.data));
      const s: GridScore = {
        ...point,
        meanAP50: mean(r.map((x) => x.ap50)),
        meanApMean: mean(r.map((x) => x.apMean)),
        ap50: r.map((x) => x.ap50),
      };
      scores.push(s);
      onPoint?.(s, scores.length, total);
    }
  }
  let best = scores[0];
  for (const s of scores) if (s.meanAP50 > best.meanAP50 || (s.meanAP50 === best.meanAP50 && s.meanApMean > best.meanApMean)) best = s;
  return { kind, pipeline: classicalPipelineName(kind), items: items.map((it) => it.id), grid, scores, best, ms: performance.now() - t0 };
}

export function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0;
}
