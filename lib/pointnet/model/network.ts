/**
 * The PointNet++ instance network on the CPU twins: SA×3 (FPS from index 0 → ball query → group
 * [p − centre, features] → shared MLP → max-pool) + FP×3 (3-NN interpolation, skip features after
 * the interpolated ones, shared MLP) + a class head (logits) and an offset head (to the instance
 * centre, aligned frame). Input features: height above the support plane (the aligned z).
 */
import { ShapeError } from '../../errors';
import { mlpLayer, sharedMlp, type MlpLayer } from '../mlp';
import { featurePropagation, setAbstraction } from '../set-abstraction';
import type { PointNetCard } from './card';
import type { PointNetWeights } from './weights';

export interface NetworkOutput {
  /** [n, classes] softmax probabilities. */
  probs: Float32Array;
  /** [n, 3] predicted offsets to the instance centre (aligned frame, metres). */
  offsets: Float32Array;
  classes: number;
  /** Intermediates for parity tests: features per level and per FP stage, FPS indices. */
  trace: { fps: Uint32Array[]; sa: Float32Array[]; fp: Float32Array[]; logits: Float32Array };
}

/** Height feature [n, 1] of aligned points. */
export function heightFeature(xyz: Float32Array, n: number): Float32Array {
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = xyz[3 * i + 2];
  return f;
}

export function softmaxRows(logits: Float32Array, rows: number, C: number): Float32Array {
  const out = new Float32Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[r * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[r * C + c] - mx);
    for (let c = 0; c < C; c++) out[r * C + c] = Math.exp(logits[r * C + c] - mx) / s;
  }
  return out;
}

/** Head: hidden layers with ReLU, then a linear output layer. */
export function head(x: Float32Array, rows: number, hidden: MlpLayer[], out: MlpLayer): Float32Array {
  return mlpLayer(sharedMlp(x, rows, hidden), rows, out, false);
}

export function levelCounts(card: PointNetCard, n: number): [number, number, number] {
  const m1 = Math.min(card.npoint[0], n), m2 = Math.min(card.npoint[1], m1), m3 = Math.min(card.npoint[2], m2);
  if (m3 < 3) throw new ShapeError(`the model needs at least 3 input points, got ${n}`, { where: 'pointnet network input' });
  return [m1, m2, m3];
}

export function runNetwork(card: PointNetCard, w: PointNetWeights, xyz: Float32Array, n: number): NetworkOutput {
  const [m1, m2, m3] = levelCounts(card, n);
  const f0 = heightFeature(xyz, n);
  const s1 = setAbstraction(xyz, n, { npoint: m1, features: f0, channels: 1, scales: [{ radius: card.radius[0], nsample: card.nsample[0], mlp: w.sa1 }] });
  const s2 = setAbstraction(s1.centres, m1, { npoint: m2, features: s1.features, channels: s1.channels, scales: [{ radius: card.radius[1], nsample: card.nsample[1], mlp: w.sa2 }] });
  const s3 = setAbstraction(s2.centres, m2, { npoint: m3, features: s2.features, channels: s2.channels, scales: [{ radius: card.radius[2], nsample: card.nsample[2], mlp: w.sa3 }] });
  const u2 = featurePropagation(s2.centres, m2, s3.centres, m3, s3.features, s3.channels, w.fp3, { features: s2.features, channels: s2.channels });
  const c2 = w.fp3[w.fp3.length - 1].cout;
  const u1 = featurePropagation(s1.centres, m1, s2.centres, m2, u2, c2, w.fp2, { features: s1.features, channels: s1.channels });
  const c1 = w.fp2[w.fp2.length - 1].cout;
  const u0 = featurePropagation(xyz, n, s1.centres, m1, u1, c1, w.fp1, { features: f0, channels: 1 });
  const logits = head(u0, n, w.clsHidden, w.clsOut);
  const offsets = head(u0, n, w.offHidden, w.offOut);
  const C = w.clsOut.cout;
  return { probs: softmaxRows(logits, n, C), offsets, classes: C, trace: { fps: [s1.indices, s2.indices, s3.indices], sa: [s1.features, s2.features, s3.features], fp: [u2, u1, u0], logits } };
}
