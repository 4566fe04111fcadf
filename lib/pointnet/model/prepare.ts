/**
 * Model input from a point cloud: drop invalid points, align to the support plane
 * (`./align`), keep the height band the model was trained on, and subsample it to the model's
 * input count by farthest point sampling from the band's first point (deterministic).
 */
import { ArgumentError } from '../../errors';
import type { PointCloud } from '../../formats/pointcloud/types';
import { compactValid } from '../cloud';
import { fps } from '../fps';
import { applyFrame, fitSupportFrame, type PlaneOptions, type SupportFrame } from './align';

export interface PrepareOptions {
  /** Model input points (FPS count). */
  inputPoints: number;
  /** Height band [min, max] above the support plane kept for the model, metres. */
  heightBand: [number, number];
  plane?: PlaneOptions;
}

export interface PreparedCloud {
  /** Number of cloud points, valid or not. */
  count: number;
  /** Valid points: cloud index of compact point i, and their aligned coordinates [nValid, 3]. */
  validIndex: Uint32Array;
  aligned: Float32Array;
  nValid: number;
  /** Compact indices of the points inside the height band. */
  bandIndex: Uint32Array;
  /** Model input: aligned coordinates of the FPS samples [nInput, 3], FPS order. */
  input: Float32Array;
  nInput: number;
  /** Compact index of each input point. */
  inputIndex: Uint32Array;
  frame: SupportFrame;
}

/** Everything before the input sampling: valid points, frame, aligned coordinates, height band. */
export interface BandCloud extends Omit<PreparedCloud, 'input' | 'nInput' | 'inputIndex'> {
  /** Aligned coordinates of the band points [nBand, 3]. */
  bandPoints: Float32Array;
  /** Points the model takes: min(inputPoints, nBand). */
  inputCount: number;
}

export function prepareBand(cloud: PointCloud, opts: PrepareOptions): BandCloud {
  const where = 'prepareCloud';
  const [lo, hi] = opts.heightBand;
  if (!(hi > lo)) throw new ArgumentError(`heightBand must be [min, max] with max > min, got [${lo}, ${hi}]`, { where: `${where}.heightBand` });
  const compact = compactValid(cloud);
  if (compact.n < 3) {
    throw new ArgumentError(`the cloud has ${compact.n} valid points`, { where, hint: 'Segment a cloud with at least a few thousand finite points.' });
  }
  const frame = fitSupportFrame(compact.positions, compact.n, opts.plane);
  const aligned = applyFrame(compact.positions, compact.n, frame);
  const band: number[] = [];
  for (let i = 0; i < compact.n; i++) {
    const z = aligned[3 * i + 2];
    if (z >= lo && z <= hi) band.push(i);
  }
  const bandIndex = Uint32Array.from(band);
  const nb = bandIndex.length;
  if (nb < 16) {
    throw new ArgumentError(`only ${nb} points lie within [${lo}, ${hi}] m of the support plane`, {
      where,
      hint: 'The model expects a metric scan (metres) of objects standing on a table or floor.',
    });
  }
  const bandPts = new Float32Array(3 * nb);
  for (let j = 0; j < nb; j++) bandPts.set(aligned.subarray(3 * bandIndex[j], 3 * bandIndex[j] + 3), 3 * j);
  return { count: cloud.count, validIndex: compact.index, aligned, nValid: compact.n, bandIndex, frame, bandPoints: bandPts, inputCount: Math.min(opts.inputPoints, nb) };
}

/** Model input from the band and the FPS selection (indices into the band points). */
export function selectInput(band: BandCloud, sel: Uint32Array): PreparedCloud {
  const nInput = sel.length;
  const { bandPoints: bandPts, bandIndex } = band;
  const input = new Float32Array(3 * nInput);
  const inputIndex = new Uint32Array(nInput);
  for (let j = 0; j < nInput; j++) {
    input.set(bandPts.subarray(3 * sel[j], 3 * sel[j] + 3), 3 * j);
    inputIndex[j] = bandIndex[sel[j]];
  }
  const { count, validIndex, aligned, nValid, frame } = band;
  return { count, validIndex, aligned, nValid, bandIndex, input, nInput, inputIndex, frame };
}

/** prepareBand + farthest point sampling from the band's first point (CPU twin). */
export function prepareCloud(cloud: PointCloud, opts: PrepareOptions): PreparedCloud {
  const band = prepareBand(cloud, opts);
  return selectInput(band, fps(band.bandPoints, band.bandPoints.length / 3, band.inputCount, 0));
}
