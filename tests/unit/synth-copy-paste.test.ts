import { describe, expect, it } from 'vitest';
import { copyPaste, cropInstance, generateNuclei, mulberry32, randomCopyPaste, rescaleInstances, type LabelledVolume } from '@/lib/synth';
import { ArgumentError, ShapeError } from '@/lib/errors';
import type { Vec3 } from '@/lib/volume';

function vol(shape: Vec3, img: number[], lab: number[]): LabelledVolume {
  return {
    image: { data: Float32Array.from(img), shape, spacing: [1, 1, 2] },
    labels: { data: Uint32Array.from(lab), shape: [...shape], spacing: [1, 1, 2] },
  };
}

describe('copyPaste', () => {
  // bg 4×2×1: instances 1 (x 0–1, row 0) and 2 (x 2–3, row 0); row 1 background
  const bg = vol([4, 2, 1], [10, 11, 12, 13, 1, 2, 3, 4], [1, 1, 2, 2, 0, 0, 0, 0]);
  // fg 2×2×1: instance 5 at (0,0),(1,0); instance 7 at (0,1)
  const fg = vol([2, 2, 1], [100, 101, 102, 103], [5, 5, 7, 0]);

  it('I_new = I_bg ⊙ (1 − M) + I_fg ⊙ M exactly (hand-built arrays, offset)', () => {
    const r = copyPaste(bg, fg, { ids: [5], offset: [1, 1, 0] });
    // M = 1 at bg (1,1) and (2,1) ← fg (0,0),(1,0)
    const M = [0, 0, 0, 0, 0, 1, 1, 0];
    const want = bg.image.data.map((v, i) => v * (1 - M[i]) + [0, 0, 0, 0, 0, 100, 101, 0][i] * M[i]);
    expect(Array.from(r.image.data)).toEqual(Array.from(want));
    expect(Array.from(r.labels.data)).toEqual([1, 1, 2, 2, 0, 3, 3, 0]);
    expect(r.idMap).toEqual(new Map([[5, 3]]));
    expect(r.removed).toEqual([]);
    expect(r.image.shape).toEqual([4, 2, 1]);
    // inputs untouched
    expect(Array.from(bg.labels.data)).toEqual([1, 1, 2, 2, 0, 0, 0, 0]);
    expect(Array.from(fg.image.data)).toEqual([100, 101, 102, 103]);
  });

  it('composes labels: new ids above bg max in ids order, occluded parts removed, fully hidden instances gone, no collisions', () => {
    const r = copyPaste(bg, fg, { ids: [7, 5], offset: [2, 0, 0] });
    // 7 → 3 (first in ids), 5 → 4; fg (0,0),(1,0) (id 5) cover bg (2,0),(3,0) = all of instance 2; fg (0,1) (id 7) → bg (2,1)
    expect(Array.from(r.labels.data)).toEqual([1, 1, 4, 4, 0, 0, 3, 0]);
    expect(Array.from(r.image.data)).toEqual([10, 11, 100, 101, 1, 2, 102, 4]);
    expect(r.idMap).toEqual(new Map([[7, 3], [5, 4]]));
    expect(r.removed).toEqual([2]);
    // partially occluded: instance 1 keeps its unhidden voxel
    const p = copyPaste(bg, fg, { ids: [5], offset: [-1, 0, 0] });
    expect(Array.from(p.labels.data)).toEqual([3, 1, 2, 2, 0, 0, 0, 0]);
    // instances pasted off the volume do not land and get no entry
    const off = copyPaste(bg, fg, { offset: [10, 0, 0] });
    expect(off.idMap.size).toBe(0);
    expect(Array.from(off.labels.data)).toEqual(Array.from(bg.labels.data));
  });

  it('random pastes of nuclei: new ids unique and above the bg maximum, surviving bg voxels keep their ids, removed ids absent', () => {
    const a = generateNuclei({ shape: [40, 40, 20], seed: 1, count: 20 });
    const b = generateNuclei({ shape: [40, 40, 20], seed: 2, count: 20 });
    const r = randomCopyPaste({ image: a.image, labels: a.labels }, { image: b.image, labels: b.labels }, mulberry32(5), { count: 6 });
    const maxBg = Math.max(...a.labels.data);
    const ids = r.pasted.map((p) => p.newId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...ids)).toBeGreaterThan(maxBg);
    // every bg id that is still there kept only voxels where it was; pasted voxels hold pasted ids
    for (let i = 0; i < r.labels.data.length; i++) {
      const l = r.labels.data[i];
      if (l !== 0 && l <= maxBg) expect(a.labels.data[i]).toBe(l);
    }
    const present = new Set(r.labels.data);
    for (const id of r.removed) expect(present.has(id)).toBe(false);
    expect(r.image.shape).toEqual(a.image.shape);
  });

  it('typed errors: shape mismatch, non-integer offset, bad scale', () => {
    const bad: LabelledVolume = { image: bg.image, labels: { ...bg.labels, data: new Uint32Array(3), shape: [3, 1, 1] } };
    expect(() => copyPaste(bad, fg)).toThrow(ShapeError);
    expect(() => copyPaste(bg, fg, { offset: [0.5, 0, 0] })).toThrow(ArgumentError);
    expect(() => rescaleInstances(fg, [0, 1, 1])).toThrow(ArgumentError);
  });
});

describe('rescaleInstances (scale jitter)', () => {
  // a 6×6×4 box instance in a 12×12×8 volume
  const shape: Vec3 = [12, 12, 8];
  const img: number[] = [], lab: number[] = [];
  for (let z = 0; z < 8; z++) for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) {
    const inside = x >= 3 && x < 9 && y >= 3 && y < 9 && z >= 2 && z < 6;
    img.push(inside ? 200 : 10);
    lab.push(inside ? 4 : 0);
  }
  const src = vol(shape, img, lab);

  it('keeps shapes: a box stays a box whose extents scale per axis; scale 1 is the identity', () => {
    const id = rescaleInstances(src, [1, 1, 1]);
    expect(Array.from(id.labels.data)).toEqual(lab);
    expect(Array.from(id.image.data)).toEqual(img);
    const r = rescaleInstances(src, [1.5, 0.5, 2]);
    expect(r.labels.shape).toEqual([18, 6, 16]);
    expect(r.image.spacing).toEqual([2 / 3, 2, 1]);
    const c = cropInstance(r, 4) as LabelledVolume;
    expect(c.labels.shape).toEqual([9, 3, 8]); // 6·1.5, 6·0.5, 4·2
    expect(c.labels.data.every((v) => v === 4)).toBe(true); // still a full box
    // trilinear intensities stay within the input range
    expect(Math.min(...r.image.data)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...r.image.data)).toBeLessThanOrEqual(200);
  });

  it('pasting a scaled instance: voxel count ≈ product of the factors × original', () => {
    const bgEmpty = vol(shape, new Array(12 * 12 * 8).fill(0), new Array(12 * 12 * 8).fill(0));
    const big = vol([24, 24, 16], new Array(24 * 24 * 16).fill(0), new Array(24 * 24 * 16).fill(0));
    const r = copyPaste(big, src, { scale: [2, 2, 2] });
    const n = r.labels.data.filter((v) => v > 0).length;
    expect(n).toBe(6 * 6 * 4 * 8);
    expect(copyPaste(bgEmpty, src).labels.data.filter((v) => v > 0).length).toBe(144);
  });
});
