import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { otsuFromHistogram, otsuThreshold } from '@/lib/segmentation/otsu';
import type { NumericArray, Vec3 } from '@/lib/volume';
import { ArgumentError } from '@/lib/errors';

interface Case {
  dtype: 'float32' | 'float64' | 'uint16' | 'uint8';
  shape: Vec3;
  input: number[];
  expected: number;
}
const golden = JSON.parse(readFileSync(new URL('../goldens/pipeline/otsu.json', import.meta.url), 'utf8')) as { cases: Case[] };
const ctor = { float32: Float32Array, float64: Float64Array, uint16: Uint16Array, uint8: Uint8Array };

describe('otsuThreshold', () => {
  it('equals skimage threshold_otsu exactly on float32, float64 and integer goldens', () => {
    expect(golden.cases.length).toBe(9);
    for (const c of golden.cases) {
      const data = ctor[c.dtype].from(c.input) as NumericArray;
      const t = otsuThreshold({ data, shape: c.shape, spacing: [1, 1, 1] });
      const want = c.dtype === 'float32' ? Math.fround(c.expected) : c.expected;
      expect(t, `${c.dtype} ${c.shape}`).toBe(want);
    }
  });

  it('splits a clean two-level volume between the levels', () => {
    const data = new Uint16Array(1000).map((_, i) => (i % 3 === 0 ? 900 : 100));
    const t = otsuThreshold({ data, shape: [10, 10, 10], spacing: [1, 1, 1] });
    expect(t).toBeGreaterThanOrEqual(100);
    expect(t).toBeLessThan(900);
  });

  it('returns the value of a constant volume', () => {
    expect(otsuThreshold({ data: new Float32Array(8).fill(3.5), shape: [2, 2, 2], spacing: [1, 1, 1] })).toBe(3.5);
  });

  it('brute-force between-class variance agrees on a histogram', () => {
    const counts = Float64Array.from([5, 9, 3, 0, 1, 7, 12, 2]);
    const centres = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    let best = -1;
    let arg = -1;
    for (let k = 0; k < 7; k++) {
      let w1 = 0, s1 = 0, w2 = 0, s2 = 0;
      for (let i = 0; i <= k; i++) { w1 += counts[i]; s1 += counts[i] * centres[i]; }
      for (let i = k + 1; i < 8; i++) { w2 += counts[i]; s2 += counts[i] * centres[i]; }
      const v = w1 * w2 * (s1 / w1 - s2 / w2) ** 2;
      if (v > best) { best = v; arg = k; }
    }
    expect(otsuFromHistogram(counts, centres)).toBe(centres[arg]);
  });

  it('rejects bad nbins and non-finite data', () => {
    const v = { data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), shape: [2, 2, 2] as Vec3, spacing: [1, 1, 1] as Vec3 };
    expect(() => otsuThreshold(v, 1)).toThrow(ArgumentError);
    expect(() => otsuThreshold({ ...v, data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, Number.NaN]) })).toThrow(ArgumentError);
  });
});
