import { describe, expect, it } from 'vitest';
import { normalise, percentiles, percentileSorted } from '@/lib/model/normalise';
import { rng } from '@/gpu-kernels/test-setup';

describe('normalisation', () => {
  it('minmax maps [min,max] to [0,1] and reports the numbers', () => {
    const r = normalise(Int16Array.from([2, 4, 6, 10]), { kind: 'minmax' });
    expect(Array.from(r.data)).toEqual([0, 0.25, 0.5, 1]);
    expect(r.stats).toMatchObject({ kind: 'minmax', min: 2, max: 10, lo: 2, hi: 10, mean: 5.5, count: 4 });
    expect(r.data).toBeInstanceOf(Float32Array);
  });

  it('zscore uses the population std (numpy ddof 0)', () => {
    const r = normalise(Float32Array.from([1, 2, 3, 4]), { kind: 'zscore' });
    const sd = Math.sqrt(1.25);
    expect(r.stats.mean).toBe(2.5);
    expect(r.stats.std).toBeCloseTo(sd, 12);
    expect(Array.from(r.data)).toEqual([-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd].map(Math.fround));
  });

  it("percentile = numpy 'linear' (np.percentile([1,2,3,4,10],[10,90]) = [1.4, 7.6]), clip then min-max", () => {
    expect(percentileSorted([1, 2, 3, 4, 10], 10)).toBeCloseTo(1.4, 12);
    expect(percentileSorted([1, 2, 3, 4, 10], 90)).toBeCloseTo(7.6, 12);
    expect(percentileSorted([1, 2, 3, 4, 10], 33.3)).toBeCloseTo(2.332, 12);
    expect(percentileSorted([1, 2, 3, 4, 10], 100)).toBe(10);
    expect(percentileSorted([5], 50)).toBe(5);
    const r = normalise(Float64Array.from([10, 1, 3, 4, 2]), { kind: 'percentile', low: 10, high: 90 });
    expect(r.stats).toMatchObject({ kind: 'percentile', low: 10, high: 90 });
    expect(r.stats.lo).toBeCloseTo(1.4, 12);
    expect(r.stats.hi).toBeCloseTo(7.6, 12);
    const expected = [1, 0, (3 - 1.4) / 6.2, (4 - 1.4) / 6.2, (2 - 1.4) / 6.2].map(Math.fround);
    Array.from(r.data).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('the counting path of 8/16-bit data equals the sorting path (np.percentile(uint8 [7,1,3,3,250,0,9], [5,50,99.5]) = [0.3, 3, 242.77])', () => {
    const u8 = Uint8Array.from([7, 1, 3, 3, 250, 0, 9]);
    const got = percentiles(u8, [5, 50, 99.5]);
    expect(got[0]).toBeCloseTo(0.3, 12);
    expect(got[1]).toBe(3);
    expect(got[2]).toBeCloseTo(242.77, 10);
    const r = rng(7);
    const i16 = Int16Array.from({ length: 5000 }, () => Math.round((r() - 0.5) * 60000));
    const qs = [0, 0.5, 2, 25, 50, 77.7, 99.5, 100];
    expect(percentiles(i16, qs)).toEqual(percentiles(Float64Array.from(i16), qs));
  });

  it('non-finite voxels are left out of the statistics and become 0; constant images give 0', () => {
    const r = normalise(Float32Array.from([NaN, 2, Infinity, 6]), { kind: 'minmax' });
    expect(Array.from(r.data)).toEqual([0, 0, 0, 1]);
    expect(r.stats).toMatchObject({ min: 2, max: 6, count: 2 });
    expect(Array.from(normalise(Uint8Array.from([3, 3, 3]), { kind: 'zscore' }).data)).toEqual([0, 0, 0]);
  });
});
