import { describe, expect, it } from 'vitest';
import { ArgumentError } from '@/lib/errors';
import { edt, edtPassLines, lineCount, makeEdtScratch, squaredDistance1D } from '@/lib/segmentation/edt';
import type { Vec3, Volume } from '@/lib/volume';
import { goldenIndex, loadF32, loadU8 } from '../goldens/segmentation-goldens';

function vol(data: Uint8Array, shape: Vec3, spacing: Vec3 = [1, 1, 1]): Volume<Uint8Array> {
  return { data, shape, spacing };
}

/** O(N²) oracle: distance from each foreground voxel to the nearest background voxel. */
function bruteEdt(mask: Uint8Array, shape: Vec3, sp: Vec3): Float64Array {
  const [nx, ny] = shape;
  const bg: number[][] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) bg.push([i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))]);
  }
  const out = new Float64Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    let best = Infinity;
    for (const [bx, by, bz] of bg) {
      const d = ((x - bx) * sp[0]) ** 2 + ((y - by) * sp[1]) ** 2 + ((z - bz) * sp[2]) ** 2;
      if (d < best) best = d;
    }
    out[i] = Math.sqrt(best);
  }
  return out;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

describe('edt', () => {
  it('computes a 1-D line by hand, honouring spacing', () => {
    const m = Uint8Array.from([0, 1, 1, 1, 1, 1, 0, 1, 1]);
    expect(Array.from(edt(vol(m, [9, 1, 1])).data)).toEqual([0, 1, 2, 3, 2, 1, 0, 1, 2]);
    expect(Array.from(edt(vol(m, [9, 1, 1], [0.5, 3, 3])).data)).toEqual([0, 0.5, 1, 1.5, 1, 0.5, 0, 0.5, 1]);
    // The same line along z.
    expect(Array.from(edt(vol(m, [1, 1, 9], [1, 1, 2])).data)).toEqual([0, 2, 4, 6, 4, 2, 0, 2, 4]);
  });

  it('gives 1 on the faces and 2 at the centre of a 3×3×3 cube in a 5×5×5 box', () => {
    const m = new Uint8Array(125);
    for (let z = 1; z < 4; z++) for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) m[x + 5 * (y + 5 * z)] = 1;
    const d = edt(vol(m, [5, 5, 5])).data;
    expect(d[2 + 5 * (2 + 5 * 2)]).toBe(2);
    expect(d[1 + 5 * (1 + 5 * 1)]).toBe(1);
    expect(d[2 + 5 * (1 + 5 * 2)]).toBe(1);
    expect(d[0]).toBe(0);
  });

  it('matches a brute-force oracle on random anisotropic masks', () => {
    const rnd = lcg(7);
    for (const [shape, sp] of [
      [[9, 7, 6], [1, 1, 1]],
      [[8, 11, 5], [0.7, 0.7, 2]],
      [[13, 4, 9], [1.3, 0.4, 0.9]],
    ] as [Vec3, Vec3][]) {
      const m = new Uint8Array(shape[0] * shape[1] * shape[2]);
      for (let i = 0; i < m.length; i++) m[i] = rnd() < 0.85 ? 1 : 0;
      m[3] = 0;
      const d = edt(vol(m, shape, sp)).data;
      const ref = bruteEdt(m, shape, sp);
      for (let i = 0; i < m.length; i++) expect(d[i]).toBeCloseTo(ref[i], 5);
    }
  });

  it('is 0 on background, > 0 inside, and leaves the input unchanged', () => {
    const m = loadU8('iso_mask');
    const copy = m.slice();
    const d = edt(vol(m, goldenIndex.shape)).data;
    for (let i = 0; i < m.length; i++) {
      if (m[i]) expect(d[i]).toBeGreaterThan(0);
      else expect(d[i]).toBe(0);
    }
    expect(Buffer.compare(Buffer.from(m.buffer, m.byteOffset, m.byteLength), Buffer.from(copy.buffer))).toBe(0);
  });

  it('equals scipy distance_transform_edt within 1e-4 relative (iso and anisotropic goldens)', () => {
    for (const c of goldenIndex.cases) {
      const m = loadU8(`${c.name}_mask`);
      const ref = loadF32(`${c.name}_edt`);
      const d = edt(vol(m, goldenIndex.shape, c.spacing));
      expect(d.spacing).toEqual(c.spacing);
      let maxRel = 0;
      for (let i = 0; i < m.length; i++) maxRel = Math.max(maxRel, Math.abs(d.data[i] - ref[i]) / Math.max(ref[i], 1e-12));
      expect(maxRel).toBeLessThan(1e-4);
    }
  });

  it('gives the same result when each pass is tiled into slabs of whole lines', () => {
    const c = goldenIndex.cases[1];
    const shape = goldenIndex.shape;
    const m = loadU8(`${c.name}_mask`);
    const full = edt(vol(m, shape, c.spacing)).data;
    const tiled = new Float32Array(m.length);
    const scratch = makeEdtScratch(64);
    for (const axis of [0, 1, 2] as const) {
      const total = lineCount(shape, axis);
      for (let l = 0; l < total; l += 37) {
        const cnt = Math.min(37, total - l);
        if (axis === 0) edtPassLines(m, tiled, shape, 0, c.spacing[0], l, cnt);
        else edtPassLines(tiled, tiled, shape, axis, c.spacing[axis], l, cnt, scratch);
      }
    }
    for (let i = 0; i < m.length; i++) expect(Math.fround(Math.sqrt(tiled[i]))).toBe(full[i]);
  });

  it('1-D parabola envelope: Infinity means no site; in place on Float32 or Float64 lines', () => {
    const f = Float64Array.from([7, Infinity, Infinity, 4, Infinity, Infinity]);
    squaredDistance1D(f, 1, 5, 1, makeEdtScratch(5));
    expect(Array.from(f)).toEqual([7, 8, 5, 4, 5, 8]);
    const g = Float32Array.from([1, 0, 5, 9]);
    squaredDistance1D(g, 0, 4, 4, makeEdtScratch(4));
    expect(Array.from(g)).toEqual([1, 0, 4, 9]);
    const h = new Float64Array(3).fill(Infinity);
    squaredDistance1D(h, 0, 3, 1, makeEdtScratch(3));
    expect(Array.from(h)).toEqual([Infinity, Infinity, Infinity]);
  });

  it('throws typed errors: no background voxel, bad line ranges, bad shapes', () => {
    expect(() => edt(vol(new Uint8Array(8).fill(1), [2, 2, 2]))).toThrow(ArgumentError);
    expect(Array.from(edt(vol(new Uint8Array(8), [2, 2, 2])).data)).toEqual(new Array(8).fill(0));
    expect(() => edtPassLines(new Uint8Array(8), new Float32Array(8), [2, 2, 2], 0, 1, 3, 2)).toThrow(ArgumentError);
    expect(() => edt(vol(new Uint8Array(7), [2, 2, 2]))).toThrow(/voxels/);
  });
});
