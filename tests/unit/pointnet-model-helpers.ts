/**
 * Shared helpers of the PointNet++ instance-model tests: the committed model, the instance AP of
 * the issue (point IoU > 0.5, AP = TP / (TP + FP + FN), predicted groups mostly background not
 * counted), brute-force oracles.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadPointNetModel } from '../../gpu-kernels/pointnet/model/load';
import type { PointNetModel } from '../../lib/pointnet/model';

export const MODEL_DIR = new URL('../../models/pointnet-scenes/', import.meta.url);

let cached: PointNetModel | null = null;
export function committedModel(): PointNetModel {
  if (!cached) {
    const card = JSON.parse(readFileSync(new URL('card.json', MODEL_DIR), 'utf8'));
    const bytes = new Uint8Array(readFileSync(new URL(card.weights, MODEL_DIR)));
    if (createHash('sha256').update(bytes).digest('hex') !== card.files[card.weights].sha256) throw new Error('model weights differ from the card sha256');
    cached = loadPointNetModel(card, bytes);
  }
  return cached;
}

export interface ApCounts { tp: number; fp: number; fn: number }

/** Issue-6 AP counts: GT instances (> 0) vs predicted instances (> 0) by point IoU > thr. */
export function apCounts(pred: Int32Array, gt: Int32Array, thr = 0.5): ApCounts {
  const inter = new Map<string, number>();
  const ps = new Map<number, number>(), gs = new Map<number, number>(), pBg = new Map<number, number>();
  for (let i = 0; i < gt.length; i++) {
    const p = pred[i], g = gt[i];
    if (g > 0) gs.set(g, (gs.get(g) ?? 0) + 1);
    if (p > 0) {
      ps.set(p, (ps.get(p) ?? 0) + 1);
      if (g <= 0) pBg.set(p, (pBg.get(p) ?? 0) + 1);
      if (g > 0) inter.set(`${p},${g}`, (inter.get(`${p},${g}`) ?? 0) + 1);
    }
  }
  const counted = [...ps.keys()].filter((p) => (pBg.get(p) ?? 0) / ps.get(p)! <= 0.5);
  const usedP = new Set<number>();
  let tp = 0;
  for (const [g, gn] of gs) {
    for (const p of counted) {
      if (usedP.has(p)) continue;
      const it = inter.get(`${p},${g}`) ?? 0;
      if (it / (gn + ps.get(p)! - it) > thr) {
        tp++;
        usedP.add(p);
        break;
      }
    }
  }
  return { tp, fp: counted.length - tp, fn: gs.size - tp };
}

export function decodeF32(b64: string): Float32Array {
  const u8 = new Uint8Array(Buffer.from(b64, 'base64'));
  return new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);
}
export function decodeI32(b64: string): Int32Array {
  const u8 = new Uint8Array(Buffer.from(b64, 'base64'));
  return new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);
}
