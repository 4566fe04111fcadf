/**
 * lib/model/cell-instances.ts — the instance step of the bundled U-Nets — against the training-time
 * recipe in training/unet/evaluate.py run by scipy/skimage (tests/goldens/cell_pipeline.py), plus
 * hand-built cases for the probability decoding, the padding/resampling path and the errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '@/lib/errors';
import { matchedVoxelAgreement } from '@/lib/metrics/agreement';
import { instanceAP } from '@/lib/metrics';
import { parseModelCard } from '@/lib/model/card';
import {
  CELL_PIPELINE_DEFAULTS,
  type CellPipelineParams,
  cellInstances,
  cellInstancesOnGrid,
  cellMapsFromProbabilities,
  cellPipelineCard,
  resolveCellPipelineParams,
  saddleSeeds,
} from '@/lib/model/cell-instances';
import { prepareModelInput } from '@/lib/model/prepare';
import type { Vec3, Volume } from '@/lib/volume';

const DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'goldens', 'data', 'cell-pipeline');
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as {
  shape: Vec3;
  arrays: Record<string, { file: string; dtype: 'uint32' | 'float32'; length: number }>;
  counts: Record<string, number>;
  params: Omit<CellPipelineParams, 'mode' | 'resample' | 'seedMethod' | 'seedSmoothing' | 'seedSaddleRatio'>;
};
function load(name: string): Float32Array | Uint32Array {
  const e = index.arrays[name];
  const raw = gunzipSync(readFileSync(join(DIR, e.file)));
  const buf = new Uint8Array(raw.byteLength);
  buf.set(raw);
  return e.dtype === 'uint32' ? new Uint32Array(buf.buffer, 0, e.length) : new Float32Array(buf.buffer, 0, e.length);
}

const shape = index.shape;
const p = load('p') as Float32Array;
const gt = load('gt') as Uint32Array;

describe('cellInstances vs training/unet/evaluate.py (scipy/skimage)', () => {
  const cases = [
    { name: 'distance', mode: 'distance', extra: { seedMethod: 'components' } },
    { name: 'distance_maxima', mode: 'distance', extra: { seedMethod: 'maxima', seedMinDistance: 3, seedSmoothing: 1 } },
    { name: 'distance_saddle', mode: 'distance', extra: { seedMethod: 'saddle', seedSaddleRatio: 0.6, seedSmoothing: 1 } },
    { name: 'boundary', mode: 'boundary', extra: {} },
    { name: 'boundary_components', mode: 'boundary', extra: { seedMethod: 'components', seedMinDistance: 2, seedSmoothing: 1 } },
  ] as const;
  for (const { name, mode, extra } of cases) {
    it(`${name}: the same instances as the Python recipe (≥ 99.9 % voxels after matching), ${index.counts[name]} of ${index.counts.gt}`, () => {
      const q = load(`q_${mode}`) as Float32Array;
      const want = load(`labels_${name}`) as Uint32Array;
      const r = cellInstances(p, q, shape, [1, 1, 1], { ...CELL_PIPELINE_DEFAULTS, ...index.params, mode, resample: 'native', ...extra });
      expect(r.count).toBe(index.counts[name]);
      expect(Math.min(matchedVoxelAgreement(r.labels, want), matchedVoxelAgreement(want, r.labels))).toBeGreaterThanOrEqual(0.999);
      // and the recipe does what it is for: every ball found
      expect(instanceAP(r.labels, gt).ap50).toBe(1);
    });
  }
});

describe('cellMapsFromProbabilities', () => {
  it('recovers p = 1 − ch0 and q = ch2 / (ch1 + ch2), q = 0 where both are 0', () => {
    // voxel 0: p = 0.8, q = 0.25 → [0.2, 0.6, 0.2]; voxel 1: background → [1, 0, 0]
    const { p: pp, q } = cellMapsFromProbabilities(Float32Array.of(0.2, 1, 0.6, 0, 0.2, 0), 2);
    expect(pp[0]).toBeCloseTo(0.8, 6);
    expect(q[0]).toBeCloseTo(0.25, 6);
    expect(pp[1]).toBe(0);
    expect(q[1]).toBe(0);
  });
  it('refuses a wrong channel count', () => {
    expect(() => cellMapsFromProbabilities(new Float32Array(5), 2)).toThrow(/3 channels/);
  });
});

const card = parseModelCard({
  name: 'nuclei',
  version: 't',
  task: 'nuclei',
  licence: 'MIT',
  input: { channels: 1, spacing: null, normalisation: { kind: 'minmax' }, axisOrder: 'file', shape: null, multipleOf: 8 },
  output: {
    kind: 'logits',
    classes: [
      { id: 0, name: 'background', colour: '#000000' },
      { id: 1, name: 'nucleus', colour: '#3cb44b' },
      { id: 2, name: 'nucleus-core', colour: '#e6194b' },
    ],
    instances: 'cell-pipeline',
    minInstanceVoxels: 20,
    cellPipeline: { mode: 'distance' },
  },
});

/** The probabilities a perfect network would output for maps p, q on the prepared grid. */
function perfectOutput(pv: Float32Array, qv: Float32Array, vol: Volume, c: typeof card) {
  const prep = prepareModelInput(vol, c);
  const rec = prep.mapping.conform;
  const g = rec.gridShape;
  const n = g[0] * g[1] * g[2];
  // resample the maps like the image (trilinear via prepare on a fake volume), then pad
  const pm = prepareModelInput({ ...vol, data: pv }, { ...c, input: { ...c.input, normalisation: { kind: 'percentile', low: 0, high: 100 } } });
  const qm = prepareModelInput({ ...vol, data: qv }, { ...c, input: { ...c.input, normalisation: { kind: 'percentile', low: 0, high: 100 } } });
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const a = pm.input.data[i];
    const b = qm.input.data[i];
    out[i] = 1 - a;
    out[n + i] = a * (1 - b);
    out[2 * n + i] = a * b;
  }
  return { out: { data: out, dims: [1, 3, g[2], g[1], g[0]] }, mapping: prep.mapping };
}

describe('cellInstancesOnGrid (padding, resampling, back to the native grid)', () => {
  const q = load('q_distance') as Float32Array;
  const vol: Volume = { data: p, shape, spacing: [1, 1, 1] };
  it('native grid padded to a multiple of 8: the padding is cropped and the instances are the direct ones', () => {
    const params = resolveCellPipelineParams(card);
    const { out, mapping } = perfectOutput(p, q, vol, card);
    expect(mapping.conform.gridShape).toEqual([48, 40, 32]);
    const r = cellInstancesOnGrid(out, mapping, vol, params, card.output.classes);
    const direct = cellInstances(p, q, shape, [1, 1, 1], params);
    expect(matchedVoxelAgreement(r.labels, direct.labels)).toBeGreaterThanOrEqual(0.999);
    expect(r.instances.length).toBe(direct.count);
    expect(r.instances.every((s) => s.classId === 1 && s.className === 'nucleus')).toBe(true);
  });
  it("'isotropic' on a 2× anisotropic volume: resampled to cubic voxels, instances back on the native grid", () => {
    // every other z slice of the scene: spacing z = 2
    const [nx, ny, nz] = shape;
    const hz = nz / 2;
    const take = (a: Float32Array) => {
      const o = new Float32Array(nx * ny * hz);
      for (let z = 0; z < hz; z++) o.set(a.subarray((2 * z) * nx * ny, (2 * z + 1) * nx * ny), z * nx * ny);
      return o;
    };
    const aniso: Volume = { data: take(p), shape: [nx, ny, hz], spacing: [1, 1, 2] };
    const params = resolveCellPipelineParams(card, { resample: 'isotropic' });
    const c = cellPipelineCard(card, aniso.spacing, params);
    expect(c.input.spacing).toEqual([1, 1, 1]);
    const { out, mapping } = perfectOutput(take(p), take(q), aniso, c);
    expect(mapping.conform.resample?.shape).toEqual([48, 40, 32]);
    const r = cellInstancesOnGrid(out, mapping, aniso, params, card.output.classes);
    expect(r.labels.length).toBe(nx * ny * hz);
    const gtA = new Uint32Array(nx * ny * hz);
    for (let z = 0; z < hz; z++) gtA.set(gt.subarray(2 * z * nx * ny, (2 * z + 1) * nx * ny), z * nx * ny);
    expect(instanceAP(r.labels, gtA).ap50).toBeGreaterThanOrEqual(0.85);
    expect(r.grid.spacing).toEqual([1, 1, 1]);
  });
});

describe('parameters', () => {
  it('card values, then overrides, then defaults', () => {
    const r = resolveCellPipelineParams(card, { minVoxels: 5 });
    expect(r).toEqual({ mode: 'distance', foregroundThreshold: 0.5, secondThreshold: 0.5, seedMinDistance: 3, minSeedVoxels: 8, minVoxels: 5, resample: 'native', seedMethod: 'components', seedSmoothing: 0, seedSaddleRatio: 0.6 });
  });
  it("seedMethod defaults by mode (distance: the cores' components; boundary: EDT peaks); the card's or an override's wins", () => {
    const boundary = { ...card, output: { ...card.output, cellPipeline: { mode: 'boundary' as const } } };
    expect(resolveCellPipelineParams(boundary).seedMethod).toBe('maxima');
    expect(resolveCellPipelineParams(card, { seedMethod: 'maxima' }).seedMethod).toBe('maxima');
    const withMaxima = { ...card, output: { ...card.output, cellPipeline: { mode: 'distance' as const, seedMethod: 'maxima' as const } } };
    expect(resolveCellPipelineParams(withMaxima).seedMethod).toBe('maxima');
    expect(resolveCellPipelineParams(boundary, { seedMethod: 'components' }).seedMethod).toBe('components');
  });
  it('typed errors for bad values and non-cell-pipeline cards', () => {
    expect(() => resolveCellPipelineParams(card, { foregroundThreshold: 1.5 })).toThrow(TesseraError);
    expect(() => resolveCellPipelineParams(card, { foregroundThreshold: 1.5 })).toThrow(/foregroundThreshold/);
    expect(() => resolveCellPipelineParams({ ...card, output: { ...card.output, instances: 'none' } })).toThrow(/not a 'cell-pipeline' model/);
    expect(() => parseModelCard({ ...card, output: { ...card.output, cellPipeline: undefined } })).toThrow(/cellPipeline/);
    expect(() => resolveCellPipelineParams(card, { seedMethod: 'saddle', seedSaddleRatio: 0 })).toThrow(/seedSaddleRatio/);
    const boundary = { ...card, output: { ...card.output, cellPipeline: { mode: 'boundary' as const } } };
    expect(() => resolveCellPipelineParams(boundary, { seedMethod: 'saddle' })).toThrow(/'saddle' applies to mode 'distance'/);
  });
});

describe('saddle seeds (basins of the core distance split at necks)', () => {
  it('hand-computed line: basins 3 and 2.5 meet at 2 — merged for ratio 0.6 (2 ≥ 1.5), apart for 0.9 (2 < 2.25)', () => {
    const d = Float32Array.of(1, 3, 2, 2.5, 1);
    const region = Uint8Array.of(1, 1, 1, 1, 1);
    expect([...saddleSeeds(d, region, [5, 1, 1], 0.6)]).toEqual([1]);
    expect([...saddleSeeds(d, region, [5, 1, 1], 0.9)]).toEqual([1, 3]);
    // outside the region nothing floods: two separate basins whatever the ratio
    expect([...saddleSeeds(d, Uint8Array.of(1, 1, 0, 1, 1), [5, 1, 1], 0.1)]).toEqual([1, 3]);
  });
  it('splits two nuclei whose cores the network merged (a narrow neck) where core components give one', () => {
    // balls of radius 6, centres 10 apart; q = normalised distance to the own ball's surface; the
    // core q > 0.1 is two balls of radius 5.4 joined by a neck of radius ≈ 2.0 (< 0.6 · 5.4)
    const sh: Vec3 = [32, 20, 20];
    const n = sh[0] * sh[1] * sh[2];
    const pp = new Float32Array(n), q = new Float32Array(n), truth = new Uint32Array(n);
    const centres = [[11, 10, 10], [21, 10, 10]];
    for (let z = 0; z < sh[2]; z++) for (let y = 0; y < sh[1]; y++) for (let x = 0; x < sh[0]; x++) {
      const i = x + sh[0] * (y + sh[1] * z);
      centres.forEach(([cx, cy, cz], k) => {
        const r = Math.hypot(x - cx, y - cy, z - cz);
        if (r < 6) { pp[i] = 0.9; const v = 1 - r / 6; if (v > q[i]) { q[i] = v; truth[i] = k + 1; } }
      });
    }
    const base = { ...CELL_PIPELINE_DEFAULTS, mode: 'distance' as const, secondThreshold: 0.1, resample: 'native' as const };
    expect(cellInstances(pp, q, sh, [1, 1, 1], { ...base, seedMethod: 'components' }).count).toBe(1);
    const split = cellInstances(pp, q, sh, [1, 1, 1], { ...base, seedMethod: 'saddle', seedSaddleRatio: 0.6 });
    expect(split.count).toBe(2);
    expect(instanceAP(split.labels, truth).ap50).toBe(1);
    // a ratio below neck / peak ≈ 0.38 keeps them together
    expect(cellInstances(pp, q, sh, [1, 1, 1], { ...base, seedMethod: 'saddle', seedSaddleRatio: 0.3 }).count).toBe(1);
  });
});
