/**
 * PointNet++ layers built from the twins: set abstraction (single- and multi-scale grouping) and
 * feature propagation.
 */
import { ballQuery } from './ball-query';
import { checkInt } from './common';
import { fps } from './fps';
import { group } from './group';
import { interpolate } from './interpolate';
import { checkLayers, maxPool, sharedMlp, type MlpLayer } from './mlp';

export interface Scale {
  radius: number;
  /** Neighbours per centre (k). */
  nsample: number;
  /** First layer's cin = 3 + channels. */
  mlp: MlpLayer[];
}

export interface SetAbstractionOptions {
  /** Centres sampled by FPS. */
  npoint: number;
  /** One scale (SSG) or several (MSG, features concatenated in this order). */
  scales: Scale[];
  /** Per-point features [n, channels]; omitted → xyz only. */
  features?: Float32Array;
  channels?: number;
  /** FPS start index (default 0). */
  start?: number;
}

export interface SetAbstractionResult {
  /** FPS indices of the centres. */
  indices: Uint32Array;
  /** [npoint, 3] centre coordinates. */
  centres: Float32Array;
  /** [npoint, Σ cout] pooled features. */
  features: Float32Array;
  channels: number;
}

export function gatherPoints(positions: Float32Array, indices: Uint32Array): Float32Array {
  const out = new Float32Array(3 * indices.length);
  for (let j = 0; j < indices.length; j++) {
    const p = indices[j];
    out[3 * j] = positions[3 * p];
    out[3 * j + 1] = positions[3 * p + 1];
    out[3 * j + 2] = positions[3 * p + 2];
  }
  return out;
}

/** One set-abstraction layer: FPS → ball query per scale → group → shared MLP → max-pool → concat. */
export function setAbstraction(positions: Float32Array, n: number, opts: SetAbstractionOptions): SetAbstractionResult {
  const where = 'setAbstraction';
  checkInt(opts.npoint, 'npoint', where, 1, n);
  const C = opts.features ? opts.channels ?? 0 : 0;
  const couts = opts.scales.map((s, i) => checkLayers(s.mlp, 3 + C, `${where}.scales[${i}]`));
  const indices = fps(positions, n, opts.npoint, opts.start ?? 0);
  const centres = gatherPoints(positions, indices);
  const m = opts.npoint;
  const total = couts.reduce((a, b) => a + b, 0);
  const out = new Float32Array(m * total);
  let off = 0;
  opts.scales.forEach((s, i) => {
    const { idx } = ballQuery(positions, n, indices, s.radius, s.nsample);
    const g = group(positions, n, idx, centres, { k: s.nsample, features: opts.features, channels: C });
    const h = sharedMlp(g, m * s.nsample, s.mlp);
    const pooled = maxPool(h, m, s.nsample, couts[i]);
    for (let j = 0; j < m; j++) out.set(pooled.subarray(j * couts[i], (j + 1) * couts[i]), j * total + off);
    off += couts[i];
  });
  return { indices, centres, features: out, channels: total };
}

/**
 * Feature propagation: interpolate the coarse features at the dense points (3-NN), concatenate the
 * dense points' own (skip) features after them, apply the shared MLP. Returns [n, cout_last].
 */
export function featurePropagation(
  dense: Float32Array,
  n: number,
  coarse: Float32Array,
  m: number,
  coarseFeatures: Float32Array,
  coarseChannels: number,
  mlp: MlpLayer[],
  skip?: { features: Float32Array; channels: number },
): Float32Array {
  const interp = interpolate(dense, n, coarse, m, coarseFeatures, coarseChannels);
  let x = interp;
  let cin = coarseChannels;
  if (skip) {
    cin += skip.channels;
    x = new Float32Array(n * cin);
    for (let u = 0; u < n; u++) {
      x.set(interp.subarray(u * coarseChannels, (u + 1) * coarseChannels), u * cin);
      x.set(skip.features.subarray(u * skip.channels, (u + 1) * skip.channels), u * cin + coarseChannels);
    }
  }
  if (mlp.length > 0) checkLayers(mlp, cin, 'featurePropagation');
  return sharedMlp(x, n, mlp);
}
