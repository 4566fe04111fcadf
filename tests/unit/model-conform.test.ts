import { describe, expect, it } from 'vitest';
import { conformImage, planConform, resampleTrilinear, unconformLabels } from '@/lib/model/conform';
import type { Vec3 } from '@/lib/volume';

const idx = (shape: Vec3) => Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, (_, i) => i);

describe('conform: resampling', () => {
  it('is the identity when the spacing already matches (or is null)', () => {
    const shape: Vec3 = [5, 4, 3];
    const v = idx(shape);
    for (const spacing of [[0.5, 0.5, 2] as Vec3, null]) {
      const rec = planConform(shape, [0.5, 0.5, 2], { spacing, shape: null, multipleOf: null });
      expect(rec.resample).toBeNull();
      expect(rec.gridShape).toEqual(shape);
      expect(rec.offset).toEqual([0, 0, 0]);
      const out = conformImage(v, rec);
      expect(Array.from(out)).toEqual(Array.from(v));
      expect(out).not.toBe(v);
      expect(Array.from(unconformLabels(Uint8Array.from(v), rec))).toEqual(Array.from(v));
    }
  });

  it('trilinear with shared outer extent (hand-computed, 1-D)', () => {
    const v = Float32Array.from([0, 4, 8, 20]);
    // 4 → 2: sample at c = (i+½)·2 − ½ = 0.5, 2.5
    expect(Array.from(resampleTrilinear(v, [4, 1, 1], [2, 1, 1]))).toEqual([2, 14]);
    // 2 → 4 along y: c = (i+½)/2 − ½ = −0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
    expect(Array.from(resampleTrilinear(Float32Array.from([0, 8]), [1, 2, 1], [1, 4, 1]))).toEqual([0, 2, 6, 8]);
    const rec = planConform([4, 6, 3], [1, 1, 1], { spacing: [2, 2, 1], shape: null, multipleOf: null });
    expect(rec.resample).toEqual({ shape: [2, 3, 3], spacing: [2, 2, 1], requested: [2, 2, 1] });
    // non-integral ratio: round(5·1/2) = 3 (2.5 rounds up), effective spacing 5/3
    const r2 = planConform([5, 4, 4], [1, 1, 1], { spacing: [2, 1, 1], shape: null, multipleOf: null });
    expect(r2.resample!.shape).toEqual([3, 4, 4]);
    expect(r2.gridSpacing[0]).toBeCloseTo(5 / 3, 12);
  });

  it('a label map at 2× spacing comes back on the native grid exactly (each native voxel takes its parent)', () => {
    const native: Vec3 = [8, 6, 4];
    const rec = planConform(native, [1, 1, 1], { spacing: [2, 2, 2], shape: null, multipleOf: null });
    expect(rec.gridShape).toEqual([4, 3, 2]);
    const coarse = Uint16Array.from({ length: 24 }, (_, i) => 100 + i);
    const back = unconformLabels(coarse, rec);
    expect(back).toBeInstanceOf(Uint16Array);
    for (let z = 0; z < 4; z++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 8; x++) {
          const parent = (x >> 1) + 4 * ((y >> 1) + 3 * (z >> 1));
          expect(back[x + 8 * (y + 6 * z)]).toBe(coarse[parent]);
        }
    // Image made of 2×2×2 blocks: downsampling then mapping back reproduces it exactly.
    const blocks = Float32Array.from(back, (v) => v);
    const down = conformImage(blocks, rec);
    expect(Array.from(down)).toEqual(Array.from(coarse));
    expect(Array.from(unconformLabels(Uint16Array.from(down), rec))).toEqual(Array.from(back));
  });
});

describe('conform: centred crop/pad', () => {
  it('crops x, pads y to a fixed shape (hand-computed) and inverts exactly', () => {
    const shape: Vec3 = [5, 4, 3];
    const v = idx(shape);
    const rec = planConform(shape, [1, 1, 1], { spacing: null, shape: [3, 6, 3], multipleOf: null, padValue: -1 });
    expect(rec.offset).toEqual([-1, 1, 0]);
    expect(rec.gridShape).toEqual([3, 6, 3]);
    const g = conformImage(v, rec);
    for (let z = 0; z < 3; z++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 3; x++) {
          const want = y >= 1 && y <= 4 ? (x + 1) + 5 * ((y - 1) + 4 * z) : -1;
          expect(g[x + 3 * (y + 6 * z)]).toBe(want);
        }
    // Labels = the grid values + 1 (pads 0): back on the native grid, cropped-away columns are 0.
    const labels = Uint32Array.from(g, (x) => x + 1);
    const back = unconformLabels(labels, rec);
    for (let i = 0; i < 60; i++) {
      const x = i % 5;
      expect(back[i]).toBe(x === 0 || x === 4 ? 0 : i + 1);
    }
  });

  it('pads each axis up to a multiple, remainder at the end; odd crops drop the extra at the end', () => {
    const rec = planConform([5, 4, 3], [1, 1, 1], { spacing: null, shape: null, multipleOf: 4 });
    expect(rec.gridShape).toEqual([8, 4, 4]);
    expect(rec.offset).toEqual([1, 0, 0]);
    const v = idx([5, 4, 3]);
    const back = unconformLabels(Int32Array.from(conformImage(v, rec)), rec);
    expect(Array.from(back)).toEqual(Array.from(v));
    expect(planConform([6, 4, 4], [1, 1, 1], { spacing: null, shape: [3, 4, 4], multipleOf: null }).offset).toEqual([-1, 0, 0]);
    // shape then multipleOf
    expect(planConform([6, 4, 4], [1, 1, 1], { spacing: null, shape: [3, 4, 4], multipleOf: 2 }).gridShape).toEqual([4, 4, 4]);
  });
});
