import { describe, expect, it } from 'vitest';
import { DEFAULT_NUCLEI_RANGES, MAX_RANDOM_NUCLEI, drawNucleiParams, generateNuclei, generateRandomNuclei, type NucleiRanges } from '@/lib/synth';
import { ArgumentError } from '@/lib/errors';

const within = (v: number, [lo, hi]: [number, number]) => v >= lo - 1e-12 && v <= hi + 1e-12;

describe('drawNucleiParams', () => {
  it('honours every range over 200 draws and spans them (radius 3–15 voxels, anisotropy 1–3, bit depths)', () => {
    const r = DEFAULT_NUCLEI_RANGES;
    const seen = { rLo: Infinity, rHi: 0, aHi: 1, bits: new Set<number>() };
    for (let s = 0; s < 200; s++) {
      const p = drawNucleiParams(s, [64, 64, 32]);
      for (const k of Object.keys(r) as (keyof NucleiRanges)[]) {
        if (k === 'bitDepth' || k === 'xySpacing') continue;
        expect(within(p[k] as number, r[k] as [number, number]), `${k}=${String(p[k])}`).toBe(true);
      }
      expect(within(p.spacing[0], r.xySpacing)).toBe(true);
      expect(p.spacing[1]).toBe(p.spacing[0]);
      expect(p.spacing[2] / p.spacing[0]).toBeCloseTo(p.anisotropy, 12);
      expect(p.radius).toBeCloseTo(p.radiusVoxels * p.spacing[0], 12);
      expect(p.count).toBeGreaterThanOrEqual(1);
      expect(p.count).toBeLessThanOrEqual(MAX_RANDOM_NUCLEI);
      expect(Math.hypot(...p.gradientDirection)).toBeCloseTo(1, 12);
      seen.rLo = Math.min(seen.rLo, p.radiusVoxels);
      seen.rHi = Math.max(seen.rHi, p.radiusVoxels);
      seen.aHi = Math.max(seen.aHi, p.anisotropy);
      seen.bits.add(p.bitDepth);
    }
    expect(seen.rLo).toBeLessThan(4);
    expect(seen.rHi).toBeGreaterThan(14);
    expect(seen.aHi).toBeGreaterThan(2.8);
    expect([...seen.bits].sort()).toEqual([12, 16, 8]);
    expect(drawNucleiParams(5, [64, 64, 32])).toEqual(drawNucleiParams(5, [64, 64, 32]));
  });

  it('narrow custom ranges are honoured exactly; bad ranges throw ArgumentError', () => {
    const p = drawNucleiParams(3, [32, 32, 16], { radiusVoxels: [5, 5], anisotropy: [2, 2], bitDepth: [12] });
    expect(p.radiusVoxels).toBe(5);
    expect(p.anisotropy).toBe(2);
    expect(p.bitDepth).toBe(12);
    expect(() => drawNucleiParams(1, [8, 8, 8], { anisotropy: [0.5, 2] })).toThrow(ArgumentError);
    expect(() => drawNucleiParams(1, [8, 8, 8], { radiusVoxels: [5, 3] })).toThrow(ArgumentError);
    expect(() => drawNucleiParams(1, [8, 8, 8], { bitDepth: [10 as 8] })).toThrow(ArgumentError);
    expect(() => drawNucleiParams(1.5, [8, 8, 8])).toThrow(ArgumentError);
  });
});

describe('generateRandomNuclei', () => {
  it('records the anisotropic spacing, keeps grey values in the bit depth, nucleus sizes in voxels in range', () => {
    for (const seed of [1, 2, 3, 4]) {
      const g = generateRandomNuclei({ shape: [48, 48, 24], seed, ranges: { density: [0.05, 0.15] } });
      const p = g.params;
      expect(g.image.spacing).toEqual(p.spacing);
      expect(g.labels.spacing).toEqual(p.spacing);
      expect(g.image.affine?.[2][2]).toBeCloseTo(p.spacing[2], 12);
      expect(g.image.spacing[2] / g.image.spacing[0]).toBeCloseTo(p.anisotropy, 12);
      expect(Math.max(...g.image.data)).toBeLessThanOrEqual(2 ** p.bitDepth - 1);
      // semi-axes (voxels, x-y spacing) within radiusVoxels·(1 ± radiusJitter)·(1 ± elongation)
      for (const n of g.nuclei) {
        for (const a of n.semiAxes) {
          const v = a / p.spacing[0];
          expect(v).toBeGreaterThanOrEqual(p.radiusVoxels * (1 - p.radiusJitter) * (1 - p.elongation) - 1e-9);
          expect(v).toBeLessThanOrEqual(p.radiusVoxels * (1 + p.radiusJitter) * (1 + p.elongation) + 1e-9);
        }
      }
      // labels are generateNuclei's geometry for the same draw, bit for bit
      const ref = generateNuclei({ shape: p.shape, spacing: p.spacing, count: p.count, radius: p.radius, radiusJitter: p.radiusJitter, elongation: p.elongation, touching: p.touching, intensityJitter: p.intensityJitter, seed: p.seed });
      expect(Buffer.from(g.labels.data.buffer).equals(Buffer.from(ref.labels.data.buffer))).toBe(true);
    }
  });

  it('nuclei are brighter than background; dim nuclei are dimmer by about dimFactor (noise-free check)', () => {
    const g = generateRandomNuclei({
      shape: [48, 48, 24], seed: 11,
      ranges: { dimFraction: [0.5, 0.5], dimFactor: [0.25, 0.25], noise: [0, 0], photons: [1e6, 1e6], blurVoxels: [0, 0], gradient: [0, 0], contrast: [0.5, 0.5], background: [0.1, 0.1], intensityJitter: [0, 0], bitDepth: [16], density: [0.05, 0.1] },
    });
    expect(g.dimLabels.length).toBeGreaterThan(0);
    const dim = new Set(g.dimLabels);
    let sb = 0, nb = 0, sd = 0, nd = 0, sn = 0, nn = 0;
    g.labels.data.forEach((l, i) => {
      const v = g.image.data[i];
      if (l === 0) { sb += v; nb++; } else if (dim.has(l)) { sd += v; nd++; } else { sn += v; nn++; }
    });
    const bgMean = sb / nb, dimMean = sd / nd, brightMean = sn / nn;
    expect(bgMean).toBeCloseTo(0.1 * 65535, -2);
    expect((dimMean - bgMean) / (brightMean - bgMean)).toBeCloseTo(0.25, 1);
  });

  it('is deterministic by seed', () => {
    const a = generateRandomNuclei({ shape: [32, 32, 16], seed: 9 });
    const b = generateRandomNuclei({ shape: [32, 32, 16], seed: 9 });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    expect(a.params).toEqual(b.params);
  });
});
