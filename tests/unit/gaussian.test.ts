import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gaussianKernel1d, gaussianSmooth, type BoundaryMode } from '@/lib/segmentation/gaussian';
import type { Vec3, Volume } from '@/lib/volume';
import { ArgumentError, ShapeError } from '@/lib/errors';

interface Case {
  shape: Vec3;
  spacing: Vec3;
  sigma: number;
  mode: BoundaryMode;
  input: number[];
  expected: number[];
}
const golden = JSON.parse(readFileSync(new URL('../goldens/pipeline/gaussian.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** Brute-force 3-D correlation with a reflect boundary (independent of the separable code). */
function bruteReflect(v: Volume, sig: Vec3): Float64Array {
  const [nx, ny, nz] = v.shape;
  const ks = sig.map((s) => gaussianKernel1d(s));
  const refl = (i: number, n: number): number => {
    for (;;) {
      if (i < 0) i = -i - 1;
      else if (i >= n) i = 2 * n - i - 1;
      else return i;
    }
  };
  const out = new Float64Array(nx * ny * nz);
  const [rx, ry, rz] = ks.map((k) => (k.length - 1) / 2);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        let acc = 0;
        for (let c = -rz; c <= rz; c++)
          for (let b = -ry; b <= ry; b++)
            for (let a = -rx; a <= rx; a++) {
              const w = ks[0][a + rx] * ks[1][b + ry] * ks[2][c + rz];
              acc += w * v.data[refl(x + a, nx) + nx * (refl(y + b, ny) + ny * refl(z + c, nz))];
            }
        out[x + nx * (y + ny * z)] = acc;
      }
  return out;
}

describe('gaussianSmooth', () => {
  it('matches scipy.ndimage.gaussian_filter goldens (float32, all modes) to 1e-5 relative', () => {
    expect(golden.cases.length).toBe(6);
    for (const c of golden.cases) {
      const v: Volume<Float32Array> = { data: Float32Array.from(c.input), shape: c.shape, spacing: c.spacing };
      const out = gaussianSmooth(v, c.sigma, { mode: c.mode });
      expect(out.data).toBeInstanceOf(Float32Array);
      let maxErr = 0;
      for (let i = 0; i < c.expected.length; i++) maxErr = Math.max(maxErr, Math.abs(out.data[i] - c.expected[i]));
      expect(maxErr, `${c.mode} ${c.shape}`).toBeLessThan(1e-5 * 1000);
    }
  });

  it('is bit-identical to scipy on the default reflect case (same summation order)', () => {
    const c = golden.cases[0];
    const out = gaussianSmooth({ data: Float32Array.from(c.input), shape: c.shape, spacing: c.spacing }, c.sigma);
    let same = 0;
    for (let i = 0; i < c.expected.length; i++) if (out.data[i] === Math.fround(c.expected[i])) same++;
    expect(same / c.expected.length).toBeGreaterThan(0.99);
  });

  it('equals a brute-force 3-D reflect convolution on an anisotropic grid', () => {
    const shape: Vec3 = [7, 6, 5];
    const data = new Uint16Array(7 * 6 * 5).map((_, i) => (i * 7919) % 1000);
    const v: Volume<Uint16Array> = { data, shape, spacing: [1, 0.5, 2] };
    const out = gaussianSmooth(v, 1.2);
    const ref = bruteReflect(v, [1.2, 2.4, 0.6]);
    for (let i = 0; i < ref.length; i++) expect(out.data[i]).toBeCloseTo(ref[i], 2);
  });

  it('preserves the mean under reflect and keeps a constant volume constant', () => {
    const v: Volume<Float32Array> = { data: new Float32Array(5 * 5 * 5).fill(42), shape: [5, 5, 5], spacing: [1, 1, 1] };
    const out = gaussianSmooth(v, 3);
    for (const x of out.data) expect(x).toBeCloseTo(42, 4);
  });

  it('sigma 0 returns a Float32 copy with geometry; never mutates the input', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const v: Volume<Uint8Array> = { data, shape: [2, 2, 2], spacing: [1, 2, 3], units: 'mm', affine: [[1, 0, 0, 5], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]] };
    const out = gaussianSmooth(v, 0);
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out.spacing).toEqual([1, 2, 3]);
    expect(out.units).toBe('mm');
    expect(out.affine?.[0][3]).toBe(5);
    gaussianSmooth(v, 1);
    expect(Array.from(data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('rejects bad sigma, truncate, mode and shape with typed errors', () => {
    const v: Volume<Float32Array> = { data: new Float32Array(8), shape: [2, 2, 2], spacing: [1, 1, 1] };
    expect(() => gaussianSmooth(v, -1)).toThrow(ArgumentError);
    expect(() => gaussianSmooth(v, Number.NaN)).toThrow(ArgumentError);
    expect(() => gaussianSmooth(v, 1, { truncate: 0 })).toThrow(ArgumentError);
    expect(() => gaussianSmooth(v, 1, { mode: 'wrap' as BoundaryMode })).toThrow(ArgumentError);
    expect(() => gaussianSmooth({ ...v, shape: [2, 2, 3] }, 1)).toThrow(ShapeError);
  });

  it('kernel follows scipy: radius round(4σ), sums to 1', () => {
    const k = gaussianKernel1d(1.3);
    expect(k.length).toBe(2 * Math.floor(4 * 1.3 + 0.5) + 1);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
