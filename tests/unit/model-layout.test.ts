import { describe, expect, it } from 'vitest';
import { axisCodes } from '@/lib/formats/nifti';
import { orientationOf, reorient, tensorToVolume, unorient, volumeToTensor } from '@/lib/model/layout';
import type { Affine, Vec3 } from '@/lib/volume';

// 2×3×4 volume whose value is its own memory index: v(x,y,z) = x + 2y + 6z.
const shape: Vec3 = [2, 3, 4];
const vol = Float32Array.from({ length: 24 }, (_, i) => i);

describe('tensor layouts', () => {
  it("'file' is NIfTI memory order as [1,1,z,y,x]", () => {
    const t = volumeToTensor(vol, shape, 'file');
    expect(t.dims).toEqual([1, 1, 4, 3, 2]);
    expect(Array.from(t.data)).toEqual(Array.from(vol));
    expect(Array.from(tensorToVolume(t.data, shape, 'file'))).toEqual(Array.from(vol));
  });

  it("'xyz' is [1,1,x,y,z] with z fastest (hand-computed)", () => {
    const t = volumeToTensor(vol, shape, 'xyz');
    expect(t.dims).toEqual([1, 1, 2, 3, 4]);
    // x=0: y=0..2 × z=0..3, then x=1.
    expect(Array.from(t.data)).toEqual([0, 6, 12, 18, 2, 8, 14, 20, 4, 10, 16, 22, 1, 7, 13, 19, 3, 9, 15, 21, 5, 11, 17, 23]);
    const back = tensorToVolume(Int32Array.from(t.data), shape, 'xyz');
    expect(back).toBeInstanceOf(Int32Array);
    expect(Array.from(back)).toEqual(Array.from(vol));
  });
});

describe("'zyx': reorientation to the closest RAS+", () => {
  // Voxel axis 0 → −x (L), axis 1 → −z (I), axis 2 → +y (A): 'LIA' (FreeSurfer's conformed orientation).
  const affine: Affine = [
    [-1, 0, 0, 10],
    [0, 0, 1, 20],
    [0, -1, 0, 30],
    [0, 0, 0, 1],
  ];

  it('reads the permutation and flips from the affine', () => {
    const o = orientationOf(affine);
    expect(o).toEqual({ codes: 'LIA', perm: [0, 2, 1], flip: [true, false, true] });
    expect(orientationOf(undefined)).toEqual({ codes: 'RAS', perm: [0, 1, 2], flip: [false, false, false] });
  });

  it('permutes/flips voxels, spacing and affine (hand-computed) and inverts exactly', () => {
    const o = orientationOf(affine);
    const r = reorient(vol, shape, [1, 2, 3], affine, o);
    expect(r.shape).toEqual([2, 4, 3]);
    expect(r.spacing).toEqual([1, 3, 2]);
    // new (u,v,w) = old (1−u, 2−w, v): value (1−u) + 2(2−w) + 6v.
    expect(Array.from(r.data)).toEqual([5, 4, 11, 10, 17, 16, 23, 22, 3, 2, 9, 8, 15, 14, 21, 20, 1, 0, 7, 6, 13, 12, 19, 18]);
    expect(r.affine).toEqual([
      [1, 0, 0, 9],
      [0, 1, 0, 20],
      [0, 0, 1, 28],
      [0, 0, 0, 1],
    ]);
    expect(axisCodes(r.affine!)).toBe('RAS');
    // new voxel 0 is old voxel (1,2,0), at world A·(1,2,0) = (9,20,28).
    const back = unorient(r.data, shape, o);
    expect(Array.from(back)).toEqual(Array.from(vol));
    expect(Array.from(vol)).toEqual(Array.from({ length: 24 }, (_, i) => i)); // input untouched
  });

  it('is the identity for an RAS+ affine', () => {
    const ras: Affine = [
      [2, 0, 0, 1],
      [0, 2, 0, 2],
      [0, 0, 2, 3],
      [0, 0, 0, 1],
    ];
    const r = reorient(vol, shape, [2, 2, 2], ras, orientationOf(ras));
    expect(Array.from(r.data)).toEqual(Array.from(vol));
    expect(r.affine).toEqual(ras);
  });
});
