import { describe, expect, it } from 'vitest';
import { generateNuclei } from '@/lib/synth';
import { mulberry32, poisson } from '@/lib/synth/prng';
import { ArgumentError } from '@/lib/errors';

describe('generateNuclei', () => {
  const def = generateNuclei();

  it('defaults: 128³ uint16 image, 0.5×0.5×1 spacing, 60–150 nuclei, all present in the labels', () => {
    expect(def.image.shape).toEqual([128, 128, 128]);
    expect(def.image.spacing).toEqual([0.5, 0.5, 1.0]);
    expect(def.image.data).toBeInstanceOf(Uint16Array);
    expect(def.labels.data).toBeInstanceOf(Uint32Array);
    expect(def.nuclei.length).toBeGreaterThanOrEqual(60);
    expect(def.nuclei.length).toBeLessThanOrEqual(150);
    const present = new Set(def.labels.data);
    present.delete(0);
    expect(present.size).toBe(def.nuclei.length);
  });

  it('labels each nucleus centre with its own label, and many nuclei touch', () => {
    const [nx, ny] = def.labels.shape;
    const s = def.labels.spacing;
    for (const n of def.nuclei) {
      const [x, y, z] = n.centre.map((c, i) => Math.round(c / s[i]));
      const l = def.labels.data[Math.min(x, nx - 1) + nx * (Math.min(y, ny - 1) + ny * Math.min(z, def.labels.shape[2] - 1))];
      expect(l).toBe(n.label);
    }
    // count distinct touching pairs (face neighbours with two different non-zero labels)
    const d = def.labels.data;
    const pairs = new Set<string>();
    for (let i = 0; i + 1 < d.length; i++) {
      for (const j of [i + 1, i + nx, i + nx * ny]) {
        if (j < d.length && d[i] && d[j] && d[i] !== d[j]) pairs.add(`${Math.min(d[i], d[j])}-${Math.max(d[i], d[j])}`);
      }
    }
    expect(pairs.size).toBeGreaterThan(def.nuclei.length / 3);
  });

  it('nuclei are brighter than the background', () => {
    let fg = 0, nf = 0, bg = 0, nb = 0;
    for (let i = 0; i < def.image.data.length; i++) {
      if (def.labels.data[i]) { fg += def.image.data[i]; nf++; } else { bg += def.image.data[i]; nb++; }
    }
    expect(fg / nf).toBeGreaterThan(bg / nb + 250);
    expect(bg / nb).toBeGreaterThan(80);
    expect(bg / nb).toBeLessThan(140);
  });

  it('is deterministic per seed and changes with the seed', () => {
    const a = generateNuclei({ shape: [40, 40, 20], seed: 5 });
    const b = generateNuclei({ shape: [40, 40, 20], seed: 5 });
    const c = generateNuclei({ shape: [40, 40, 20], seed: 6 });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    expect(Buffer.from(a.labels.data.buffer).equals(Buffer.from(b.labels.data.buffer))).toBe(true);
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(c.image.data.buffer))).toBe(false);
  });

  it('honours count, spacing and noise-free options', () => {
    const g = generateNuclei({ shape: [48, 48, 24], spacing: [1, 1, 2], count: 5, noise: 0, poisson: false, blur: 0, radius: 4, seed: 3 });
    expect(g.nuclei.length).toBe(5);
    expect(g.image.affine?.[2][2]).toBe(2);
    // without blur and noise the background is exactly the background level
    for (let i = 0; i < g.image.data.length; i++) if (!g.labels.data[i]) expect(g.image.data[i]).toBe(100);
  });

  it('rejects invalid options with typed errors', () => {
    expect(() => generateNuclei({ shape: [0, 10, 10] })).toThrow(ArgumentError);
    expect(() => generateNuclei({ radius: -1 })).toThrow(ArgumentError);
    expect(() => generateNuclei({ overlap: 0.9 })).toThrow(ArgumentError);
    expect(() => generateNuclei({ seed: 1.5 })).toThrow(ArgumentError);
  });

  it('poisson sampler has the right mean and variance', () => {
    const rng = mulberry32(11);
    for (const lam of [3, 200]) {
      let s = 0, s2 = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) { const k = poisson(rng, lam); s += k; s2 += k * k; }
      const mean = s / n;
      expect(mean).toBeCloseTo(lam, lam < 10 ? 1 : 0);
      expect((s2 / n - mean * mean) / lam).toBeGreaterThan(0.9);
      expect((s2 / n - mean * mean) / lam).toBeLessThan(1.1);
    }
  });
});
