import { describe, expect, it } from 'vitest';
import { DEFAULT_NUCLEI_RANGES, MAX_RANDOM_NUCLEI, MICROSCOPY_NUCLEI_RANGES, drawNucleiParams, generateNuclei, generateRandomNuclei, type NucleiRanges } from '@/lib/synth';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTrainingDataCommand } from '@/cli/commands/generate-training-data';
import { readNifti } from '@/lib/formats/nifti';
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

describe('structured background and chromatin texture (MICROSCOPY_NUCLEI_RANGES)', () => {
  const quiet = { noise: [0, 0], photons: [1e6, 1e6], blurVoxels: [0, 0], gradient: [0, 0], contrast: [0.4, 0.4], background: [0.1, 0.1], intensityJitter: [0, 0], dimFraction: [0, 0], bitDepth: [16], density: [0.05, 0.08], anisotropy: [1, 1] } as Partial<NucleiRanges>;

  it('the defaults have neither, and the new fields are drawn last: every earlier field of a draw is unchanged', () => {
    expect(DEFAULT_NUCLEI_RANGES.clutter).toEqual([0, 0]);
    expect(DEFAULT_NUCLEI_RANGES.texture).toEqual([0, 0]);
    for (const s of [1, 7, 100004]) {
      const a = drawNucleiParams(s, [64, 64, 32]);
      const b = drawNucleiParams(s, [64, 64, 32], { clutter: [0.2, 0.6], texture: [0.1, 0.4] });
      const { clutter: ca, clutterScale: sa, texture: ta, ...restA } = a;
      const { clutter: cb, clutterScale: sb, texture: tb, ...restB } = b;
      expect(restB).toEqual(restA);
      expect([ca, ta]).toEqual([0, 0]);
      expect(sb).toBe(sa);
      expect(cb).toBeGreaterThanOrEqual(0.2);
      expect(tb).toBeGreaterThanOrEqual(0.1);
    }
    // a parameter set recorded before the fields existed renders as clutter = texture = 0
    const p = drawNucleiParams(3, [32, 32, 16]);
    const { clutter: _c, clutterScale: _s, texture: _t, ...old } = p;
    const a = generateRandomNuclei({ params: p });
    const b = generateRandomNuclei({ params: old as typeof p });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
  });

  it('clutter adds smooth blotches to the background: mean clutter·contrast·E[max(0, Z)], correlated over its scale, labels unchanged', () => {
    const shape: [number, number, number] = [64, 64, 32];
    const flat = generateRandomNuclei({ shape, seed: 21, ranges: quiet });
    const blot = generateRandomNuclei({ shape, seed: 21, ranges: { ...quiet, clutter: [0.5, 0.5], clutterScale: [4, 4] } });
    expect(Buffer.from(blot.labels.data.buffer).equals(Buffer.from(flat.labels.data.buffer))).toBe(true);
    const grey = 65535;
    const d = new Float64Array(flat.image.data.length);
    let s = 0, n = 0;
    flat.labels.data.forEach((l, i) => {
      d[i] = (blot.image.data[i] - flat.image.data[i]) / grey;
      if (l === 0) { s += d[i]; n++; }
    });
    // E[max(0, Z)] = 1/√(2π) ≈ 0.399 for unit-sd Z: expected mean 0.5 · 0.4 · 0.399 ≈ 0.080
    expect(s / n).toBeGreaterThan(0.08 * 0.75);
    expect(s / n).toBeLessThan(0.08 * 1.25);
    // neighbours 2 voxels apart in x are strongly correlated (σ 4 voxels: e^{-4/16} ≈ 0.78 for the field), white noise would be ≈ 0
    const [nx, ny, nz] = shape;
    let sxy = 0, sxx = 0, syy = 0, mx = 0, cnt = 0;
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x + 2 < nx; x++) { const i = (z * ny + y) * nx + x; mx += d[i]; cnt++; }
    mx /= cnt;
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x + 2 < nx; x++) {
      const i = (z * ny + y) * nx + x;
      const a = d[i] - mx, b = d[i + 2] - mx;
      sxy += a * b; sxx += a * a; syy += b * b;
    }
    expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(0.5);
  });

  it('texture varies the brightness inside nuclei only', () => {
    const shape: [number, number, number] = [48, 48, 24];
    const plain = generateRandomNuclei({ shape, seed: 5, ranges: quiet });
    const tex = generateRandomNuclei({ shape, seed: 5, ranges: { ...quiet, texture: [0.4, 0.4] } });
    let outside = 0, inside = 0, changedInside = 0;
    plain.labels.data.forEach((l, i) => {
      const dv = Math.abs(tex.image.data[i] - plain.image.data[i]);
      if (l === 0) outside = Math.max(outside, dv);
      else { inside++; if (dv > 0.01 * 65535) changedInside++; }
    });
    expect(outside).toBe(0);
    expect(changedInside / inside).toBeGreaterThan(0.5);
  });

  it('MICROSCOPY_NUCLEI_RANGES = the defaults + clutter and texture', () => {
    const { clutter, texture, ...rest } = MICROSCOPY_NUCLEI_RANGES;
    const { clutter: _c, texture: _t, ...restDefault } = DEFAULT_NUCLEI_RANGES;
    expect(rest).toEqual(restDefault);
    expect(clutter[1]).toBeGreaterThan(0);
    expect(texture[1]).toBeGreaterThan(0);
  });
});

describe('generate-training-data --ranges', () => {
  it('microscopy renders the MICROSCOPY_NUCLEI_RANGES draw and records it; default is unchanged; bad names and cells are typed errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-ranges-'));
    try {
      const run = (name: string, extra: string[]) => generateTrainingDataCommand(['--kind', 'nuclei', '--count', '1', '--seed', '3', '--size', '40,32,16', '--copy-paste', '0', '--out', join(dir, name), ...extra], () => {});
      expect(await run('mic', ['--ranges', 'microscopy'])).toBe(0);
      expect(await run('def', [])).toBe(0);
      const mic = JSON.parse(readFileSync(join(dir, 'mic', 'manifest.json'), 'utf8'));
      const def = JSON.parse(readFileSync(join(dir, 'def', 'manifest.json'), 'utf8'));
      expect(mic.ranges).toBe('microscopy');
      expect(def.ranges).toBe('default');
      const seed = mic.volumes[0].seed;
      const want = generateRandomNuclei({ shape: [40, 32, 16], seed, ranges: MICROSCOPY_NUCLEI_RANGES });
      const img = readNifti(new Uint8Array(readFileSync(join(dir, 'mic', mic.volumes[0].image))), 'image').volume;
      expect(Array.from(img.data)).toEqual(Array.from(want.image.data));
      expect(mic.volumes[0].params.clutter).toBe(want.params.clutter);
      const plain = generateRandomNuclei({ shape: [40, 32, 16], seed });
      const imgDef = readNifti(new Uint8Array(readFileSync(join(dir, 'def', def.volumes[0].image))), 'image').volume;
      expect(Array.from(imgDef.data)).toEqual(Array.from(plain.image.data));
      await expect(run('bad', ['--ranges', 'confocal'])).rejects.toThrow(ArgumentError);
      await expect(generateTrainingDataCommand(['--kind', 'cells', '--count', '1', '--ranges', 'microscopy', '--out', join(dir, 'c')], () => {})).rejects.toThrow(/nuclei only/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
