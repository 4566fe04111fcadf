/**
 * segmentMembranes (lib/segmentation/membrane-pipeline.ts) against scipy/skimage doing the same
 * recipe (tests/goldens/membrane_pipeline.py → tests/goldens/data/membrane), plus invariants,
 * a hand-made two-cell volume and parameter validation.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '@/lib/errors';
import { instanceAP } from '@/lib/metrics';
import { DEFAULT_MEMBRANE_PARAMS, PIPELINE_STAGES, segmentMembranes, type MembraneParams } from '@/lib/segmentation';
import { generateMembranes, type MembraneOptions } from '@/lib/synth';
import type { Vec3, Volume } from '@/lib/volume';

const DIR = new URL('../goldens/data/membrane/', import.meta.url);
interface GoldenCase {
  name: string;
  synth: MembraneOptions & { shape: Vec3; spacing: Vec3 };
  params: MembraneParams;
  foreground: string | null;
  threshold: number;
  seeds: number;
  minDistanceVoxels: Vec3;
  instances: number;
}
const index = JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as {
  arrays: Record<string, { file: string; dtype: 'uint8' | 'uint16' | 'uint32'; length: number }>;
  cases: GoldenCase[];
};
function load(name: string): Uint8Array | Uint16Array | Uint32Array {
  const e = index.arrays[name];
  const raw = gunzipSync(readFileSync(new URL(e.file, DIR)));
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  const C = { uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array }[e.dtype];
  const a = new C(bytes.buffer, 0, e.length);
  expect(a.length).toBe(e.length);
  return a;
}

/** Fraction of voxels on which a and b agree after mapping each label of a to its best-overlapping label of b. */
function agreementUpToRenumbering(a: Uint32Array, b: Uint32Array): { agree: number; bijective: boolean } {
  const count = new Map<number, Map<number, number>>();
  for (let i = 0; i < a.length; i++) {
    let m = count.get(a[i]);
    if (!m) count.set(a[i], (m = new Map()));
    m.set(b[i], (m.get(b[i]) ?? 0) + 1);
  }
  let agree = 0;
  const images = new Set<number>();
  let bijective = true;
  for (const [la, m] of count) {
    let best = -1;
    let bestN = -1;
    for (const [lb, n] of m) if (n > bestN) [best, bestN] = [lb, n];
    if (la === 0 ? best !== 0 : best === 0 || images.has(best)) bijective = false;
    if (m.size !== 1) bijective = false;
    images.add(best);
    agree += bestN;
  }
  return { agree: agree / a.length, bijective };
}

describe('segmentMembranes vs scipy/skimage (generated membrane volumes)', () => {
  for (const c of index.cases) {
    it(`case ${c.name}: same labels up to renumbering`, () => {
      const image = load(`${c.name}_image`) as Uint16Array;
      // the stored input is still what the generator makes, bit for bit
      const g = generateMembranes(c.synth);
      expect(Buffer.from(g.image.data.buffer).equals(Buffer.from(image.buffer))).toBe(true);
      const vol: Volume<Uint16Array> = { data: image, shape: c.synth.shape, spacing: c.synth.spacing };
      const before = Uint16Array.from(image);
      const foreground = c.foreground ? (load(c.foreground) as Uint8Array) : undefined;
      const r = segmentMembranes(vol, c.params, { foreground });
      expect(image).toEqual(before);
      expect(r.params.minDistanceVoxels).toEqual(c.minDistanceVoxels);
      expect(r.threshold).toBeCloseTo(c.threshold, 3);
      expect(r.seedCount).toBe(c.seeds);
      expect(r.instances.length).toBe(c.instances);
      const ref = load(`${c.name}_labels`) as Uint32Array;
      const { agree, bijective } = agreementUpToRenumbering(r.labels.data, ref);
      expect(agree).toBe(1);
      expect(bijective).toBe(true);
      if (foreground) {
        let outside = 0;
        for (let i = 0; i < foreground.length; i++) if (!foreground[i] && r.labels.data[i] !== 0) outside++;
        expect(outside).toBe(0);
      }
    });
  }
});

describe('segmentMembranes behaviour', () => {
  /**
   * Two 7×7×7 cells of cytoplasm (10) in a 17×9×9 volume, walled by bright membrane (200) on the
   * planes x = 0, 8, 16, y = 0, 8 and z = 0, 8: the distance to the nearest wall peaks (4) at each
   * cell's centre, (4,4,4) and (12,4,4), and nowhere else.
   */
  const shape: Vec3 = [17, 9, 9];
  const at = (x: number, y: number, z: number) => x + 17 * (y + 9 * z);
  function twoCells(): Volume<Float32Array> {
    const data = new Float32Array(17 * 9 * 9);
    for (let z = 0; z < 9; z++)
      for (let y = 0; y < 9; y++)
        for (let x = 0; x < 17; x++) data[at(x, y, z)] = x % 8 === 0 || y % 8 === 0 || z % 8 === 0 ? 200 : 10;
    return { data, shape, spacing: [1, 1, 1] };
  }

  it('seeds each cell at its centre and splits the cells at their shared wall (hand-made volume)', () => {
    const r = segmentMembranes(twoCells(), { smoothSigma: 0, minDistance: 3, minVoxels: 1 });
    expect(r.threshold).toBeGreaterThanOrEqual(10);
    expect(r.threshold).toBeLessThan(200);
    expect(r.seedCount).toBe(2);
    const l = r.labels.data;
    const left = l[at(4, 4, 4)];
    const right = l[at(12, 4, 4)];
    expect(new Set([left, right])).toEqual(new Set([1, 2]));
    // everything left of the shared wall x = 8 is one cell (its outer walls included), everything
    // right of it the other; the shared wall, flooded last, joins one of them
    for (let z = 0; z < 9; z++) {
      for (let y = 0; y < 9; y++) {
        for (let x = 0; x < 8; x++) expect(l[at(x, y, z)]).toBe(left);
        for (let x = 9; x < 17; x++) expect(l[at(x, y, z)]).toBe(right);
        expect([left, right]).toContain(l[at(8, y, z)]);
      }
    }
    const sizes = r.instances.map((s) => s.voxels);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(17 * 9 * 9);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(8 * 81);
    // ground truth with the shared wall given to either side scores AP@0.5 = 1
    const gt = new Uint32Array(l.length);
    for (let i = 0; i < l.length; i++) gt[i] = i % 17 < 8 ? 1 : 2;
    expect(instanceAP(l, gt).ap50).toBe(1);
  });

  it('keeps labels inside the foreground mask and reports stages, timings and resolved params', () => {
    const v = twoCells();
    const fg = new Uint8Array(v.data.length);
    for (let i = 0; i < fg.length; i++) fg[i] = Math.floor(i / (17 * 9)) <= 5 ? 1 : 0; // z ≤ 5
    const before = Float32Array.from(v.data);
    const stages: string[] = [];
    const r = segmentMembranes(v, { smoothSigma: 0.5, minDistance: 5, minVoxels: 1 }, { foreground: fg, onProgress: (s) => stages.push(s) });
    expect(v.data).toEqual(before);
    let inside = 0;
    for (let i = 0; i < fg.length; i++) {
      if (!fg[i]) expect(r.labels.data[i]).toBe(0);
      else if (r.labels.data[i] !== 0) inside++;
    }
    expect(inside).toBe(17 * 9 * 6);
    expect(r.instances.length).toBe(2);
    expect(stages).toEqual([...PIPELINE_STAGES, 'stats']);
    expect(Object.keys(r.timings).sort()).toEqual([...PIPELINE_STAGES].sort());
    expect(r.params).toMatchObject({ ...DEFAULT_MEMBRANE_PARAMS, smoothSigma: 0.5, minDistance: 5, minVoxels: 1, minDistanceVoxels: [5, 5, 5], smoothSigmaVoxels: [0.5, 0.5, 0.5] });
  });

  it('resolves physical parameters per axis', () => {
    const v: Volume<Float32Array> = { ...twoCells(), spacing: [0.5, 0.5, 2] };
    const r = segmentMembranes(v, { smoothSigma: 1, minDistance: 1.5, minVoxels: 1 });
    expect(r.params.minDistanceVoxels).toEqual([3, 3, 1]);
    expect(r.params.smoothSigmaVoxels).toEqual([2, 2, 0.5]);
  });

  it('rejects invalid parameters and masks with typed errors', () => {
    const v = twoCells();
    expect(() => segmentMembranes(v, { smoothSigma: -1 })).toThrow(ArgumentError);
    expect(() => segmentMembranes(v, { minDistance: 0 })).toThrow(ArgumentError);
    expect(() => segmentMembranes(v, { threshold: Number.NaN })).toThrow(ArgumentError);
    expect(() => segmentMembranes(v, { minVoxels: -2 })).toThrow(ArgumentError);
    expect(() => segmentMembranes(v, { connectivity: 4 as 6 })).toThrow(ArgumentError);
    expect(() => segmentMembranes(v, {}, { foreground: new Uint8Array(3) })).toThrow(ShapeError);
    expect(() => segmentMembranes({ ...v, shape: [2, 2, 2] })).toThrow(ShapeError);
  });
});
