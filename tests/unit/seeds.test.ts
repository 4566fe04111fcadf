import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '@/lib/errors';
import { numpyArgsort } from '@/lib/segmentation/numpy-argsort';
import { findSeeds, seedsToMarkers } from '@/lib/segmentation/seeds';
import type { Vec3, Volume } from '@/lib/volume';
import { goldenIndex, loadF32, loadU32, loadU8 } from '../goldens/segmentation-goldens';

function fvol(data: Float32Array, shape: Vec3): Volume<Float32Array> {
  return { data, shape, spacing: [1, 1, 1] };
}
const at = (x: number, y: number, z: number, shape: Vec3): number => x + shape[0] * (y + shape[1] * z);

describe('numpyArgsort', () => {
  it("reproduces numpy 1.24's unstable argsort order on tie-heavy data", () => {
    const v = loadF32('argsort_values');
    const ref = loadU32('argsort_order');
    expect(Array.from(numpyArgsort(v))).toEqual(Array.from(ref));
  });
  it('sorts ascending and falls back to heapsort without losing elements', () => {
    const v = Float32Array.from({ length: 300 }, (_, i) => (i * 7919) % 13);
    const o = numpyArgsort(v);
    for (let k = 1; k < o.length; k++) expect(v[o[k - 1]]).toBeLessThanOrEqual(v[o[k]]);
    expect(new Set(o).size).toBe(300);
  });
});

describe('findSeeds', () => {
  it('equals skimage peak_local_max(dist, min_distance, labels=mask) on the goldens, in order', () => {
    for (const c of goldenIndex.cases) {
      const mask = loadU8(`${c.name}_mask`);
      const dist = loadF32(`${c.name}_edt`);
      const maskCopy = mask.slice();
      const distCopy = dist.slice();
      for (const md of [1, 2, 3]) {
        const ref = loadU32(`${c.name}_peaks_md${md}`);
        const got = findSeeds(fvol(dist, goldenIndex.shape), mask, { minDistance: [md, md, md] });
        expect(Array.from(got), `${c.name} md=${md}`).toEqual(Array.from(ref));
      }
      expect(Buffer.from(mask.buffer, mask.byteOffset, mask.byteLength).equals(Buffer.from(maskCopy.buffer))).toBe(true);
      expect(Buffer.from(dist.buffer, dist.byteOffset, dist.byteLength).equals(Buffer.from(distCopy.buffer))).toBe(true);
    }
  });

  it('keeps peaks exactly min_distance apart and suppresses closer ones (Chebyshev)', () => {
    const shape: Vec3 = [16, 9, 9];
    const mask = new Uint8Array(16 * 81).fill(1);
    const d = new Float32Array(mask.length).fill(1);
    d[at(4, 4, 4, shape)] = 5;
    d[at(7, 4, 4, shape)] = 5; // an equal maximum 3 voxels away: kept with md 3, suppressed with md 4
    const three = findSeeds(fvol(d, shape), mask, { minDistance: [3, 3, 3], excludeBorder: false });
    expect(Array.from(three)).toEqual([at(4, 4, 4, shape), at(7, 4, 4, shape)]);
    // md 4: both are maxima of their 9-wide windows, but Chebyshev distance 3 < 4 keeps the first only.
    const four = findSeeds(fvol(d, shape), mask, { minDistance: [4, 4, 4], excludeBorder: false });
    expect(Array.from(four)).toEqual([at(4, 4, 4, shape)]);
    // Anisotropic: |Δx| = 3 is not < 1, so both stay whatever the y/z distances.
    const aniso = findSeeds(fvol(d, shape), mask, { minDistance: [1, 4, 4], excludeBorder: false });
    expect(Array.from(aniso)).toEqual([at(4, 4, 4, shape), at(7, 4, 4, shape)]);
    // A lower neighbour inside the window is not a peak at all.
    d[at(7, 4, 4, shape)] = 4;
    expect(Array.from(findSeeds(fvol(d, shape), mask, { minDistance: [3, 3, 3], excludeBorder: false }))).toEqual([at(4, 4, 4, shape)]);
    expect(Array.from(findSeeds(fvol(d, shape), mask, { minDistance: [2, 2, 2], excludeBorder: false }))).toEqual([at(4, 4, 4, shape), at(7, 4, 4, shape)]);
  });

  it('keeps one of two equal neighbouring maxima, drops peaks in the border and outside the mask', () => {
    const shape: Vec3 = [12, 12, 12];
    const mask = new Uint8Array(12 ** 3).fill(1);
    const d = new Float32Array(mask.length);
    d[at(5, 5, 5, shape)] = 3;
    d[at(6, 5, 5, shape)] = 3;
    d[at(1, 6, 6, shape)] = 9; // inside the 2-voxel border
    const s = findSeeds(fvol(d, shape), mask, { minDistance: [2, 2, 2] });
    expect(s.length).toBe(1);
    expect([at(5, 5, 5, shape), at(6, 5, 5, shape)]).toContain(s[0]);
    const noBorder = findSeeds(fvol(d, shape), mask, { minDistance: [2, 2, 2], excludeBorder: false });
    expect(noBorder[0]).toBe(at(1, 6, 6, shape));
    mask[at(1, 6, 6, shape)] = 0;
    expect(findSeeds(fvol(d, shape), mask, { minDistance: [2, 2, 2], excludeBorder: false }).length).toBe(1);
    expect(findSeeds(fvol(d, shape), mask, { minDistance: [2, 2, 2], thresholdAbs: 3 }).length).toBe(0);
  });

  it('returns no seeds for an empty mask and validates its arguments', () => {
    const shape: Vec3 = [6, 6, 6];
    const d = new Float32Array(216);
    expect(findSeeds(fvol(d, shape), new Uint8Array(216), { minDistance: [1, 1, 1] }).length).toBe(0);
    expect(() => findSeeds(fvol(d, shape), new Uint8Array(5), { minDistance: [1, 1, 1] })).toThrow(ShapeError);
    expect(() => findSeeds(fvol(d, shape), new Uint8Array(216), { minDistance: [1.5, 1, 1] })).toThrow(ArgumentError);
  });
});

describe('seedsToMarkers', () => {
  it('labels seed i with i + 1 and rejects bad indices', () => {
    const m = seedsToMarkers(Uint32Array.from([5, 2]), [3, 2, 1]);
    expect(Array.from(m)).toEqual([0, 0, 2, 0, 0, 1]);
    expect(() => seedsToMarkers(Uint32Array.from([6]), [3, 2, 1])).toThrow(ArgumentError);
    expect(() => seedsToMarkers(Uint32Array.from([1, 1]), [3, 2, 1])).toThrow(ArgumentError);
  });
});
