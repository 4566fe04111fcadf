/**
 * The classical nuclei/cell instance pipeline (CPU), stage by stage as the scipy/skimage recipe:
 *
 *   smooth   gaussianSmooth(v, smoothSigma)               (skipped when smoothSigma = 0)
 *   threshold  t = otsuThreshold(smoothed) or params.threshold; mask = smoothed > t
 *   edt      dist = edt(mask)                              (physical units, honours spacing)
 *   seeds    findSeeds(dist, mask, minDistance per axis)   (peak_local_max(dist, labels=mask))
 *   watershed  watershed(-dist, markers, mask)
 *   relabel  removeSmallAndRelabel(labels, minVoxels)
 *   stats    instanceStats(labels)
 *
 * Physical parameters become voxels per axis: minDistance → max(1, round(d / spacing[i])),
 * smoothSigma → smoothSigma / spacing[i]. The values used are returned in `params`.
 */
import { ArgumentError } from '../errors';
import { type LabelVolume, type Vec3, type Volume, validateVolume } from '../volume';
import { edtInto } from './edt';
import { gaussianSmooth } from './gaussian';
import { otsuThreshold } from './otsu';
import { removeSmallAndRelabel } from './relabel';
import { findSeeds } from './seeds';
import { type InstanceStats, instanceStats } from './stats';
import { watershedFromSeeds } from './watershed';

export interface ClassicalParams {
  /** Gaussian smoothing sigma in physical units; 0 = off. Default 0.5. */
  smoothSigma?: number;
  /** Foreground threshold (`value > threshold`, on the smoothed image) or 'otsu'. Default 'otsu'. */
  threshold?: number | 'otsu';
  /** Minimum distance between seeds in physical units (per-axis voxels = max(1, round(d/spacing))). Default 3.0. */
  minDistance?: number;
  /** Instances smaller than this many voxels are removed. Default 50. */
  minVoxels?: number;
  /** Drop seeds within minDistance of the volume border (skimage's exclude_border). Default false. */
  excludeBorder?: boolean;
  /** Watershed neighbourhood. Default 6 (faces; skimage connectivity=1). */
  connectivity?: 6 | 18 | 26;
}

export const DEFAULT_CLASSICAL_PARAMS: Required<ClassicalParams> = {
  smoothSigma: 0.5,
  threshold: 'otsu',
  minDistance: 3.0,
  minVoxels: 50,
  excludeBorder: false,
  connectivity: 6,
};

/** The parameters actually used, with the per-axis voxel values derived from the spacing. */
export interface ResolvedClassicalParams extends Required<ClassicalParams> {
  /** smoothSigma / spacing per axis ([0,0,0] when smoothing is off). */
  smoothSigmaVoxels: Vec3;
  /** max(1, round(minDistance / spacing)) per axis. */
  minDistanceVoxels: Vec3;
}

export type PipelineStage = 'smooth' | 'threshold' | 'edt' | 'seeds' | 'watershed' | 'relabel' | 'stats';
export const PIPELINE_STAGES: readonly PipelineStage[] = ['smooth', 'threshold', 'edt', 'seeds', 'watershed', 'relabel', 'stats'];

/**
 * Progress callback: called as each stage starts with the overall fraction done so far (by stage
 * count, 0 for the first), and once more with ('stats', 1) at the end.
 */
export type ProgressCallback = (stage: PipelineStage, fraction: number) => void;

export interface SegmentResult {
  labels: LabelVolume;
  instances: InstanceStats[];
  /** Wall time per stage in milliseconds (0 for a skipped stage). */
  timings: Record<PipelineStage, number>;
  params: ResolvedClassicalParams;
  /** The foreground threshold used (Otsu's or the given one). */
  threshold: number;
  /** Number of seeds found (instances before small-object removal). */
  seedCount: number;
}

/**
 * Defaults filled in, parameters validated, physical values turned into per-axis voxel values.
 * Shared by the CPU pipeline and its GPU twin so both resolve parameters identically.
 */
export function resolveClassicalParams(v: Volume, p: ClassicalParams, where = 'segmentCells'): ResolvedClassicalParams {
  const r = { ...DEFAULT_CLASSICAL_PARAMS };
  for (const [k, val] of Object.entries(p)) if (val !== undefined) (r as Record<string, unknown>)[k] = val;
  const bad = (name: string, val: unknown, hint: string): never => {
    throw new ArgumentError(`${name} is invalid: ${String(val)}`, { where: `${where}.${name}`, hint });
  };
  if (!Number.isFinite(r.smoothSigma) || r.smoothSigma < 0) bad('smoothSigma', r.smoothSigma, 'Use a sigma ≥ 0 in physical units (0 = off).');
  if (r.threshold !== 'otsu' && !Number.isFinite(r.threshold)) bad('threshold', r.threshold, "Use a number or 'otsu'.");
  if (!Number.isFinite(r.minDistance) || r.minDistance <= 0) bad('minDistance', r.minDistance, 'Use a distance > 0 in physical units.');
  if (!Number.isFinite(r.minVoxels) || r.minVoxels < 0) bad('minVoxels', r.minVoxels, 'Use a voxel count ≥ 0.');
  if (![6, 18, 26].includes(r.connectivity)) bad('connectivity', r.connectivity, 'Use 6, 18 or 26.');
  const s = v.spacing;
  return {
    ...r,
    smoothSigmaVoxels: [r.smoothSigma / s[0], r.smoothSigma / s[1], r.smoothSigma / s[2]],
    minDistanceVoxels: [0, 1, 2].map((i) => Math.max(1, Math.round(r.minDistance / s[i]))) as Vec3,
  };
}

/**
 * Segment nuclei/cells in a volume. Pure: `v` is not mutated. See the module comment for stages.
 * @returns labels on v's grid (same spacing/affine/units), per-instance stats, per-stage timings.
 */
export function segmentCells(v: Volume, params: ClassicalParams = {}, onProgress?: ProgressCallback): SegmentResult {
  validateVolume(v, 'segmentCells');
  const p = resolveClassicalParams(v, params);
  const timings = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, 0])) as Record<PipelineStage, number>;
  let done = 0;
  const run = <T>(stage: PipelineStage, f: () => T): T => {
    onProgress?.(stage, done / PIPELINE_STAGES.length);
    const t0 = performance.now();
    const out = f();
    timings[stage] = performance.now() - t0;
    done++;
    return out;
  };

  const smoothed: Volume = run('smooth', () => (p.smoothSigma > 0 ? gaussianSmooth(v, p.smoothSigma) : v));
  const { threshold, mask } = run('threshold', () => {
    const t = p.threshold === 'otsu' ? otsuThreshold(smoothed) : p.threshold;
    const src = smoothed.data;
    const m = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) m[i] = src[i] > t ? 1 : 0;
    return { threshold: t, mask: m };
  });
  const geometry = { shape: [...v.shape] as Vec3, spacing: [...v.spacing] as Vec3 };
  // The smoothed volume, when it is our own intermediate, is not needed after thresholding: its
  // buffer takes the distances, and the watershed then writes the labels over the distances, so
  // the stages after smoothing allocate no volume-sized array but the mask (first-touch page
  // faults of a fresh 64 MB array cost more here than the passes that fill it).
  const spare = smoothed !== v && smoothed.data instanceof Float32Array ? smoothed.data : undefined;
  const dist = run('edt', () => edtInto({ data: mask, ...geometry }, spare));
  const seeds = run('seeds', () =>
    findSeeds(dist, mask, { minDistance: p.minDistanceVoxels, excludeBorder: p.excludeBorder }),
  );
  const flooded = run('watershed', () => {
    // dist is this function's own intermediate and no longer needed: negate it in place
    const neg = dist.data;
    for (let i = 0; i < neg.length; i++) neg[i] = -neg[i];
    // = watershed(neg, seedsToMarkers(seeds, shape), mask, ...), the labels written over neg
    const labelsOut = new Uint32Array(neg.buffer, neg.byteOffset, neg.length);
    return watershedFromSeeds(neg, seeds, mask, geometry.shape, { connectivity: p.connectivity }, labelsOut);
  });
  // the watershed output is ours too: relabel it in place
  const relabelled = run('relabel', () => removeSmallAndRelabel(flooded, p.minVoxels, { out: flooded }));
  const labels: LabelVolume = { data: relabelled.labels, ...geometry };
  if (v.affine) labels.affine = v.affine.map((row) => [...row]) as LabelVolume['affine'];
  if (v.units !== undefined) labels.units = v.units;
  const instances = run('stats', () => instanceStats(labels));
  onProgress?.('stats', 1);
  return { labels, instances, timings, params: p, threshold, seedCount: seeds.length };
}
