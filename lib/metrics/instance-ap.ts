/**
 * Instance-segmentation average precision (the StarDist / DSB 2018 "AP" = TP/(TP+FP+FN)).
 *
 * - Instances are the labels > 0 of `pred` and `gt` (same length, same memory order).
 * - IoU of a (pred, gt) pair = |P ∩ G| / |P ∪ G|, from one pass over the voxels into a sparse
 *   overlap table.
 * - At threshold t a pair matches when IoU > t. For t ≥ 0.5 each instance can overlap at most one
 *   partner with IoU > 0.5, so the one-to-one matching is unique and greedy-by-IoU is optimal;
 *   thresholds below 0.5 are rejected.
 * - AP_t = TP / (TP + FP + FN); both empty gives 1.
 * - `meanMatchedIoU`: mean IoU over the pairs matched at t = 0.5 (0 when none).
 * Default thresholds: 0.50, 0.55, …, 0.95; `apMean` is their mean; keys of `ap` are t.toFixed(2).
 */
import { ArgumentError, ShapeError } from '../errors';

export interface InstanceAPResult {
  ap: Record<string, number>;
  ap50: number;
  ap75: number;
  apMean: number;
  meanMatchedIoU: number;
  /** Counts of instances and matches at t = 0.5. */
  nPred: number;
  nGt: number;
  tp50: number;
}

export const DEFAULT_AP_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => Math.round((0.5 + 0.05 * i) * 100) / 100);

interface Pair {
  p: number;
  g: number;
  iou: number;
}

/** Matched pairs with IoU > t (t ≥ 0.5), one-to-one. */
function matchAt(pairs: Pair[], t: number): Pair[] {
  const usedP = new Set<number>();
  const usedG = new Set<number>();
  const out: Pair[] = [];
  for (const pr of pairs) {
    if (!(pr.iou > t)) break; // pairs are sorted by IoU, descending
    if (usedP.has(pr.p) || usedG.has(pr.g)) continue;
    usedP.add(pr.p);
    usedG.add(pr.g);
    out.push(pr);
  }
  return out;
}

/** Labels renumbered 1..n in order of first appearance (dense ids keep the overlap keys exact). */
function compact(a: Uint32Array): [Uint32Array, number] {
  const out = new Uint32Array(a.length);
  const map = new Map<number, number>();
  let last = 0;
  let lastId = 0;
  for (let i = 0; i < a.length; i++) {
    const l = a[i];
    if (l === 0) continue;
    if (l !== last) {
      let id = map.get(l);
      if (id === undefined) {
        id = map.size + 1;
        map.set(l, id);
      }
      last = l;
      lastId = id;
    }
    out[i] = lastId;
  }
  return [out, map.size];
}

export function instanceAP(pred: Uint32Array, gt: Uint32Array, thresholds: readonly number[] = DEFAULT_AP_THRESHOLDS): InstanceAPResult {
  if (pred.length !== gt.length) {
    throw new ShapeError(`pred has ${pred.length} voxels but gt has ${gt.length}`, {
      where: 'instanceAP',
      hint: 'Score label volumes on the same grid.',
    });
  }
  for (const t of thresholds) {
    if (!(t >= 0.5 && t < 1)) {
      throw new ArgumentError(`IoU threshold must be in [0.5, 1), got ${t}`, { where: 'instanceAP.thresholds' });
    }
  }
  const [pc, nPred] = compact(pred);
  const [gc, nGt] = compact(gt);
  const predSize = new Float64Array(nPred + 1);
  const gtSize = new Float64Array(nGt + 1);
  const stride = nGt + 1;
  const overlap = new Map<number, number>();
  for (let i = 0; i < pc.length; i++) {
    const p = pc[i];
    const g = gc[i];
    predSize[p]++;
    gtSize[g]++;
    if (p !== 0 && g !== 0) {
      const key = p * stride + g;
      overlap.set(key, (overlap.get(key) ?? 0) + 1);
    }
  }
  const pairs: Pair[] = [];
  for (const [key, inter] of overlap) {
    const p = Math.floor(key / stride);
    const g = key - p * stride;
    const union = predSize[p] + gtSize[g] - inter;
    pairs.push({ p, g, iou: inter / union });
  }
  pairs.sort((a, b) => b.iou - a.iou || a.p - b.p || a.g - b.g);
  const ap: Record<string, number> = {};
  let sum = 0;
  for (const t of thresholds) {
    const tp = matchAt(pairs, t).length;
    const denom = nPred + nGt - tp; // TP + FP + FN
    const v = denom === 0 ? 1 : tp / denom;
    ap[t.toFixed(2)] = v;
    sum += v;
  }
  const m50 = matchAt(pairs, 0.5);
  const apAt = (t: number): number => {
    const tp = matchAt(pairs, t).length;
    const denom = nPred + nGt - tp;
    return denom === 0 ? 1 : tp / denom;
  };
  return {
    ap,
    ap50: ap['0.50'] ?? apAt(0.5),
    ap75: ap['0.75'] ?? apAt(0.75),
    apMean: thresholds.length ? sum / thresholds.length : 0,
    meanMatchedIoU: m50.length ? m50.reduce((s, m) => s + m.iou, 0) / m50.length : 0,
    nPred,
    nGt,
    tp50: m50.length,
  };
}
