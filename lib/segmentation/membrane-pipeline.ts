/**
 * The classical membrane (cell-boundary) instance pipeline (CPU), PlantSeg's "distance-transform
 * watershed" recipe on a raw membrane-stained image, stage by stage as the scipy/skimage recipe:
 *
 *   smooth     s = gaussianSmooth(v, smoothSigma)                      (skipped when smoothSigma = 0)
 *   threshold  t = otsuThreshold(s) or params.threshold; interior = NOT (s > t) = s ≤ t
 *              (∧ foreground, when a foreground mask is given)
 *   edt        dist = edt(interior)                                     (physical units, honours spacing)
 *   seeds      findSeeds(dist, interior, minDistance per axis)          (peak_local_max(dist, labels=interior))
 *   watershed  watershed(s, markers, foreground)                        (flood the membrane signal itself)
 *   relabel    removeSmallAndRelabel(labels, minVoxels)
 *   stats      instanceStats(labels)
 *
 * Membranes are bright: a voxel is membrane when the smoothed signal is above the threshold. Seeds
 * are the centres of the membrane-free regions (maxima of their distance to the nearest membrane),
 * and the basins grow from them over the membrane signal, so cells meet on the membrane ridges.
 *
 * Foreground: by default every voxel is flooded (dense labels, as for tissue that fills the crop:
 * sample_ovule's ground truth has 13 background voxels out of 524 288, generated membrane volumes
 * none). Give `options.foreground` (nonzero = tissue) to keep labels, and seeds, inside a mask.
 *
 * Physical parameters become voxels per axis exactly as in {@link segmentCells}:
 * minDistance → max(1, round(d / spacing[i])), smoothSigma → smoothSigma / spacing[i]. The values
 * used are returned in `params`.
 */
import { ArgumentError, ShapeError } from '../errors';
import { type LabelVolume, type Vec3, type Volume, validateVolume } from '../volume';
import { edtInto } from './edt';
import { gaussianSmooth } from './gaussian';
import { otsuThreshold } from './otsu';
import { PIPELINE_STAGES, type PipelineStage, type ProgressCallback, resolveClassicalParams } from './pipeline';
import { removeSmallAndRelabel } from './relabel';
import { findSeeds } from './seeds';
import { type InstanceStats, instanceStats } from './stats';
import { watershedFromSeeds } from './watershed';

export interface MembraneParams {
  /** Gaussian smoothing sigma in physical units; 0 = off. Default 0.2. */
  smoothSigma?: number;
  /** Membrane threshold (`value > threshold` is membrane, on the smoothed image) or 'otsu'. Default 'otsu'. */
  threshold?: number | 'otsu';
  /** Minimum distance between seeds in physical units (per-axis voxels = max(1, round(d/spacing))). Default 1.5. */
  minDistance?: number;
  /** Instances smaller than this many voxels are removed. Default 50. */
  minVoxels?: number;
  /** Drop seeds within minDistance of the volume border (skimage's exclude_border). Default false. */
  excludeBorder?: boolean;
  /** Watershed neighbourhood. Default 6 (faces; skimage connectivity=1). */
  connectivity?: 6 | 18 | 26;
}

export const DEFAULT_MEMBRANE_PARAMS: Required<MembraneParams> = {
  smoothSigma: 0.2,
  threshold: 'otsu',
  minDistance: 1.5,
  minVoxels: 50,
  excludeBorder: false,
  connectivity: 6,
};

/** The parameters actually used, with the per-axis voxel values derived from the spacing. */
export interface ResolvedMembraneParams extends Required<MembraneParams> {
  /** smoothSigma / spacing per axis ([0,0,0] when smoothing is off). */
  smoothSigmaVoxels: Vec3;
  /** max(1, round(minDistance / spacing)) per axis. */
  minDistanceVoxels: Vec3;
}

export interface SegmentMembranesOptions {
  /** Tissue mask (nonzero = flood here), same length as the volume. Default: everything. */
  foreground?: Uint8Array;
  onProgress?: ProgressCallback;
}

export interface MembraneSegmentResult {
  labels: LabelVolume;
  instances: InstanceStats[];
  /** Wall time per stage in milliseconds (0 for a skipped stage). */
  timings: Record<PipelineStage, number>;
  params: ResolvedMembraneParams;
  /** The membrane threshold used (Otsu's or the given one). */
  threshold: number;
  /** Number of seeds found (instances before small-object removal). */
  seedCount: number;
}

/**
 * Defaults filled in, parameters validated, physical values turned into per-axis voxel values:
 * the membrane defaults, then the classical pipeline's checks and conversions (same parameters).
 */
export function resolveMembraneParams(v: Volume, p: MembraneParams, where = 'segmentMembranes'): ResolvedMembraneParams {
  const r: MembraneParams = { ...DEFAULT_MEMBRANE_PARAMS };
  for (const [k, val] of Object.entries(p)) if (val !== undefined) (r as Record<string, unknown>)[k] = val;
  if (typeof r.excludeBorder !== 'boolean') {
    throw new ArgumentError(`excludeBorder is invalid: ${String(r.excludeBorder)}`, { where: `${where}.excludeBorder`, hint: 'Use true or false.' });
  }
  return resolveClassicalParams(v, r, where);
}

/**
 * Segment cells from a membrane-stained volume (bright walls). Pure: `v` (and the foreground mask)
 * are not mutated. See the module comment for the stages.
 * @returns labels on v's grid (same spacing/affine/units), per-instance stats, per-stage timings.
 */
export function segmentMembranes(v: Volume, params: MembraneParams = {}, options: SegmentMembranesOptions = {}): MembraneSegmentResult {
  const where = 'segmentMembranes';
  validateVolume(v, where);
  const p = resolveMembraneParams(v, params, where);
  const total = v.data.length;
  const fg = options.foreground;
  if (fg !== undefined && (!(fg instanceof Uint8Array) || fg.length !== total)) {
    throw new ShapeError(`foreground must be a Uint8Array of ${total} voxels, got ${fg instanceof Uint8Array ? fg.length : typeof fg}`, {
      where: `${where}.foreground`,
      hint: 'Give a mask on the volume grid (x fastest), nonzero = tissue.',
    });
  }
  const timings = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, 0])) as Record<PipelineStage, number>;
  let done = 0;
  const run = <T>(stage: PipelineStage, f: () => T): T => {
    options.onProgress?.(stage, done / PIPELINE_STAGES.length);
    const t0 = performance.now();
    const out = f();
    timings[stage] = performance.now() - t0;
    done++;
    return out;
  };

  // The watershed floods the smoothed signal, so it must be float32 (exact for 8/16-bit input).
  const smoothed: Float32Array = run('smooth', () => {
    if (p.smoothSigma > 0) return gaussianSmooth(v, p.smoothSigma).data;
    return Float32Array.from(v.data as ArrayLike<number>);
  });
  const geometry = { shape: [...v.shape] as Vec3, spacing: [...v.spacing] as Vec3 };
  const { threshold, interior } = run('threshold', () => {
    const t = p.threshold === 'otsu' ? otsuThreshold({ data: smoothed, ...geometry }) : p.threshold;
    const m = new Uint8Array(total);
    for (let i = 0; i < total; i++) m[i] = smoothed[i] > t || (fg !== undefined && fg[i] === 0) ? 0 : 1;
    return { threshold: t, interior: m };
  });
  const dist = run('edt', () => edtInto({ data: interior, ...geometry }));
  const seeds = run('seeds', () => findSeeds(dist, interior, { minDistance: p.minDistanceVoxels, excludeBorder: p.excludeBorder }));
  const flooded = run('watershed', () =>
    // the distances are no longer needed: the labels go into their buffer
    watershedFromSeeds(smoothed, seeds, fg ?? null, geometry.shape, { connectivity: p.connectivity }, new Uint32Array(dist.data.buffer, dist.data.byteOffset, total)),
  );
  const relabelled = run('relabel', () => removeSmallAndRelabel(flooded, p.minVoxels, { out: flooded }));
  const labels: LabelVolume = { data: relabelled.labels, ...geometry };
  if (v.affine) labels.affine = v.affine.map((row) => [...row]) as LabelVolume['affine'];
  if (v.units !== undefined) labels.units = v.units;
  const instances = run('stats', () => instanceStats(labels));
  options.onProgress?.('stats', 1);
  return { labels, instances, timings, params: p, threshold, seedCount: seeds.length };
}
