import { describe, expect, it } from 'vitest';
import { instanceAP } from '@/lib/metrics';
import { mulberry32 } from '@/lib/synth/prng';
import { ArgumentError, ShapeError } from '@/lib/errors';

describe('instanceAP', () => {
  it('hand-computed: two matches of IoU 3/4 and 2/3, one missed GT', () => {
    const gt = Uint32Array.from([1, 1, 1, 1, 0, 2, 2, 0, 3, 3]);
    const pred = Uint32Array.from([5, 5, 5, 0, 0, 7, 7, 7, 0, 0]);
    const r = instanceAP(pred, gt);
    expect(r.ap['0.50']).toBeCloseTo(2 / 3, 12);
    expect(r.ap['0.65']).toBeCloseTo(2 / 3, 12);
    expect(r.ap['0.70']).toBeCloseTo(1 / 4, 12); // TP 1, FP 1, FN 2
    expect(r.ap75).toBe(0); // IoU 0.75 is not > 0.75
    expect(r.ap50).toBeCloseTo(2 / 3, 12);
    expect(r.apMean).toBeCloseTo((4 * (2 / 3) + 1 / 4) / 10, 12);
    expect(r.meanMatchedIoU).toBeCloseTo((0.75 + 2 / 3) / 2, 12);
    expect([r.nPred, r.nGt, r.tp50]).toEqual([2, 3, 2]);
    expect(Object.keys(r.ap)).toEqual(['0.50', '0.55', '0.60', '0.65', '0.70', '0.75', '0.80', '0.85', '0.90', '0.95']);
  });

  it('a split object counts one TP and one FP; IoU exactly 0.5 is not a match', () => {
    const gt = Uint32Array.from([1, 1, 1, 1, 0]);
    const pred = Uint32Array.from([1, 1, 1, 2, 0]);
    expect(instanceAP(pred, gt).ap50).toBeCloseTo(1 / 2, 12);
    const half = instanceAP(Uint32Array.from([1, 1, 0, 0]), Uint32Array.from([1, 1, 1, 1]));
    expect(half.ap50).toBe(0);
  });

  it('identical labellings score 1 whatever the label values; two empty volumes score 1', () => {
    const gt = Uint32Array.from([0, 3, 3, 9, 9, 9, 0, 4000000000]);
    const pred = Uint32Array.from([0, 1, 1, 2, 2, 2, 0, 3]);
    const r = instanceAP(pred, gt);
    expect(r.apMean).toBe(1);
    expect(r.meanMatchedIoU).toBe(1);
    expect(instanceAP(new Uint32Array(4), new Uint32Array(4)).ap50).toBe(1);
    expect(instanceAP(Uint32Array.from([1, 0]), new Uint32Array(2)).ap50).toBe(0);
  });

  it('agrees with a brute-force IoU matrix on random blocky labellings', () => {
    const rng = mulberry32(7);
    const n = 4000;
    const gt = new Uint32Array(n);
    const pred = new Uint32Array(n);
    for (let i = 0; i < n; i++) gt[i] = Math.floor(i / 100) % 2 === 0 ? 1 + Math.floor(i / 200) : 0;
    for (let i = 0; i < n; i++) {
      const shift = Math.floor(i + 40 * (rng() - 0.5));
      pred[i] = rng() < 0.9 ? gt[Math.min(n - 1, Math.max(0, shift))] * 3 : 0;
    }
    const ids = (a: Uint32Array) => [...new Set(a)].filter((x) => x !== 0);
    const P = ids(pred);
    const G = ids(gt);
    const iou = (p: number, g: number) => {
      let inter = 0, uni = 0;
      for (let i = 0; i < n; i++) {
        const a = pred[i] === p, b = gt[i] === g;
        if (a && b) inter++;
        if (a || b) uni++;
      }
      return inter / uni;
    };
    const r = instanceAP(pred, gt);
    for (const t of [0.5, 0.75, 0.9]) {
      let tp = 0;
      for (const p of P) for (const g of G) if (iou(p, g) > t) tp++;
      expect(r.ap[t.toFixed(2)], `t=${t}`).toBeCloseTo(tp / (P.length + G.length - tp), 12);
    }
    expect(r.ap50).toBeGreaterThan(0.5);
  });

  it('rejects mismatched lengths and thresholds below 0.5', () => {
    expect(() => instanceAP(new Uint32Array(3), new Uint32Array(4))).toThrow(ShapeError);
    expect(() => instanceAP(new Uint32Array(3), new Uint32Array(3), [0.3])).toThrow(ArgumentError);
  });
});
