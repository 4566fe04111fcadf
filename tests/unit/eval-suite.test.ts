/**
 * The validation suite (lib/eval, `tessera eval --suite validation`):
 * - the set: real-crop halves against numbers computed independently with nibabel/numpy, generated
 *   seeds disjoint from the training seeds (and different drawn parameters), the generated volumes
 *   equal to what `generate-training-data` writes for the same seed, shapes;
 * - scoring through the suite on hand-made label maps with hand-computed AP, family means, Δ and
 *   the acceptance rules;
 * - the classical side end to end on one small generated item (grid search + final run), and the
 *   CLI writing JSON and the marked section of a document.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '@/cli/main';
import { generateTrainingDataCommand } from '@/cli/commands/generate-training-data';
import { loadRealCropItems } from '@/cli/validation-data';
import { ArgumentError } from '@/lib/errors';
import {
  DEFAULT_GENERATED_SPEC,
  NUCLEI_GRID,
  REAL_CROPS,
  SEED_STRIDE,
  TRAINING_RUNS,
  VALIDATION_BASE_SEED,
  acceptanceChecks,
  cropX,
  generatedMembraneItem,
  generatedNucleiItem,
  generatedSeeds,
  generatedValidationItems,
  replaceMarkedSection,
  runValidationSuite,
  suiteMarkdown,
  trainingHalf,
  validationHalf,
  type FamilyResult,
  type ValidationItem,
} from '@/lib/eval';
import { readNifti } from '@/lib/formats/nifti';
import { drawNucleiParams, randomMembraneOptions } from '@/lib/synth';
import type { LabelVolume, Vec3, Volume } from '@/lib/volume';

const root = new URL('../../', import.meta.url).pathname;
const dataDir = join(root, '../shared/data');
const tmp = mkdtempSync(join(tmpdir(), 'tessera-eval-suite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('crop halves', () => {
  it('crops x ≥ nx/2 with labels kept as they are, spacing kept and the affine shifted', () => {
    // 5×2×2 volume, value = x + 10y + 100z; labels: instance 7 spans x = 1..3 (cut by the split at 2)
    const shape: Vec3 = [5, 2, 2];
    const img = new Float32Array(20);
    const lab = new Uint32Array(20);
    for (let z = 0; z < 2; z++) for (let y = 0; y < 2; y++) for (let x = 0; x < 5; x++) {
      img[x + 5 * (y + 2 * z)] = x + 10 * y + 100 * z;
      lab[x + 5 * (y + 2 * z)] = x >= 1 && x <= 3 ? 7 : x === 4 ? 9 : 0;
    }
    const affine: NonNullable<Volume['affine']> = [[0.5, 0, 0, 10], [0, 0.5, 0, 20], [0, 0, 2, 30], [0, 0, 0, 1]];
    const v: Volume<Float32Array> = { data: img, shape, spacing: [0.5, 0.5, 2], affine, units: 'um' };
    const h = validationHalf(v);
    expect(h.shape).toEqual([3, 2, 2]);
    expect(Array.from(h.data)).toEqual([2, 3, 4, 12, 13, 14, 102, 103, 104, 112, 113, 114]);
    expect(h.spacing).toEqual([0.5, 0.5, 2]);
    expect(h.units).toBe('um');
    // voxel (0,0,0) of the half is voxel (2,0,0) of the input: world x = 10 + 0.5·2
    expect(h.affine).toEqual([[0.5, 0, 0, 11], [0, 0.5, 0, 20], [0, 0, 2, 30], [0, 0, 0, 1]]);
    expect(v.affine![0][3]).toBe(10);
    const lh = validationHalf<Uint32Array>({ data: lab, shape, spacing: [0.5, 0.5, 2] });
    expect(Array.from(lh.data.slice(0, 3))).toEqual([7, 7, 9]);
    expect(lh.data).toBeInstanceOf(Uint32Array);
    expect(trainingHalf(v).shape).toEqual([2, 2, 2]);
    expect(() => cropX(v, 3, 3)).toThrow(ArgumentError);
    expect(() => cropX(v, 0, 6)).toThrow(ArgumentError);
  });

  it('real crops: validation halves x ≥ 50 of 1136_mini and x ≥ 64 of sample_ovule (nibabel/numpy references)', () => {
    const items = loadRealCropItems(dataDir);
    // references: nibabel arrays [x, y, z], half = a[nx // 2:]; sum of the image, distinct labels > 0,
    // labelled voxels, the label of voxel (0,0,0) of the half, the largest label
    const ref = {
      '1136_mini': { shape: [50, 100, 100], sum: 16215753, labels: 24, labelled: 85256, first: 4, max: 32, spacing: [0.12756972, 0.12756972, 0.28371838] },
      sample_ovule: { shape: [64, 128, 32], sum: 29420267, labels: 31, labelled: 262131, first: 28, max: 918, spacing: [0.15, 0.15, 0.235] },
    } as const;
    expect(items.map((it) => it.family)).toEqual(REAL_CROPS.map((d) => d.family));
    for (const it of items) {
      const r = ref[it.family as keyof typeof ref];
      expect(it.image.shape).toEqual(r.shape);
      expect(it.labels.shape).toEqual(r.shape);
      it.image.spacing.forEach((s, i) => expect(s).toBeCloseTo(r.spacing[i], 6));
      let sum = 0;
      for (let i = 0; i < it.image.data.length; i++) sum += it.image.data[i];
      expect(sum).toBe(r.sum);
      const ids = new Set(it.labels.data);
      ids.delete(0);
      expect(ids.size).toBe(r.labels);
      expect(it.labels.data.reduce((n, l) => n + (l ? 1 : 0), 0)).toBe(r.labelled);
      expect(it.labels.data[0]).toBe(r.first);
      expect(Math.max(...Array.from(ids))).toBe(r.max);
      expect(it.kind).toBe(it.family === '1136_mini' ? 'nuclei' : 'cells');
    }
  });
});

describe('generated validation volumes', () => {
  it('use seeds no training run uses, and draw parameters unlike every training volume', () => {
    const seeds = generatedSeeds();
    expect(seeds.filter((s) => s.kind === 'nuclei').length).toBe(6);
    expect(seeds.filter((s) => s.kind === 'cells').length).toBe(4);
    const training = new Set<number>();
    for (const t of TRAINING_RUNS) for (let i = 0; i < t.count; i++) training.add(t.baseSeed * SEED_STRIDE + i);
    expect(training.size).toBe(120); // nuclei 100003..100122, cells a subset
    for (const { seed } of seeds) {
      expect(training.has(seed)).toBe(false);
      // the PRNGs take seed >>> 0: distinct 32-bit values
      expect(seed).toBeLessThan(2 ** 32);
      expect(Math.floor(seed / SEED_STRIDE)).toBe(VALIDATION_BASE_SEED);
    }
    const shape = DEFAULT_GENERATED_SPEC.shape;
    const strip = (o: object) => JSON.stringify({ ...o, seed: 0 });
    const trainNuclei = new Set(Array.from({ length: 120 }, (_, i) => strip(drawNucleiParams(SEED_STRIDE + i, shape))));
    const trainCells = new Set(Array.from({ length: 80 }, (_, i) => strip(randomMembraneOptions(SEED_STRIDE + i, shape))));
    for (const { kind, seed } of seeds) {
      if (kind === 'nuclei') expect(trainNuclei.has(strip(drawNucleiParams(seed, shape)))).toBe(false);
      else expect(trainCells.has(strip(randomMembraneOptions(seed, shape)))).toBe(false);
    }
    expect(() => generatedValidationItems({ ...DEFAULT_GENERATED_SPEC, baseSeed: 1 })).toThrow(ArgumentError);
  });

  it('are what generate-training-data writes for base seed 9001 (same generator, random anisotropy)', async () => {
    for (const kind of ['nuclei', 'cells'] as const) {
      const out = join(tmp, `train-${kind}`);
      // a smaller grid than the suite's 96×96×48 keeps this quick; the seed and the generator are the point
      await generateTrainingDataCommand(['--kind', kind, '--count', '1', '--seed', String(VALIDATION_BASE_SEED), '--size', '48,40,24', '--out', out], () => {});
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      const spec = { ...DEFAULT_GENERATED_SPEC, shape: [48, 40, 24] as Vec3 };
      const item = kind === 'nuclei' ? generatedNucleiItem(0, spec) : generatedMembraneItem(0, spec);
      expect(manifest.volumes[0].seed).toBe(item.seed);
      const img = readNifti(new Uint8Array(readFileSync(join(out, manifest.volumes[0].image))), 'image').volume;
      const lab = readNifti(new Uint8Array(readFileSync(join(out, manifest.volumes[0].labels))), 'labels').volume;
      expect(item.image.shape).toEqual([48, 40, 24]);
      expect(img.shape).toEqual(item.image.shape);
      expect(Array.from(img.data)).toEqual(Array.from(item.image.data));
      expect(Array.from(lab.data)).toEqual(Array.from(item.labels.data));
      item.image.spacing.forEach((s, i) => expect(img.spacing[i]).toBeCloseTo(s, 5));
    }
  });

  it('have 96×96×48 grids with anisotropic spacing and ground truth', () => {
    const items = [0, 1, 2].map((i) => generatedNucleiItem(i));
    for (const it of items) {
      expect(it.image.shape).toEqual([96, 96, 48]);
      expect(it.labels.data.length).toBe(96 * 96 * 48);
      const [sx, sy, sz] = it.image.spacing;
      expect(sx).toBe(sy);
      expect(sz / sx).toBeGreaterThanOrEqual(1);
      expect(sz / sx).toBeLessThanOrEqual(3);
      expect(it.labels.data.some((l) => l > 0)).toBe(true);
    }
    expect(new Set(items.map((it) => it.image.spacing[2] / it.image.spacing[0])).size).toBe(3);
  });
});

describe('scoring', () => {
  /** A 10×1×1 item: gt instances 1 = x 0..3, 2 = x 4..5, 3 = x 7..9. */
  function tinyItem(id: string, family: ValidationItem['family'], kind: ValidationItem['kind']): ValidationItem {
    const gt = new Uint32Array([1, 1, 1, 1, 2, 2, 0, 3, 3, 3]);
    const labels: LabelVolume = { data: gt, shape: [10, 1, 1], spacing: [1, 1, 1] };
    return { id, family, kind, image: { data: new Float32Array(10), shape: [10, 1, 1], spacing: [1, 1, 1] }, labels, origin: 'hand-made' };
  }

  it('scores model labels with hand-computed AP and averages a family over its items', async () => {
    // item a: pred 5 = x 0..2 (IoU with gt 1: 3/4 = 0.75), pred 6 = x 4..6 (IoU with gt 2: 2/3),
    //         pred 8 = x 9 (IoU with gt 3: 1/3, no match) → TP 2, FP 1, FN 1 at 0.5: AP@0.5 = 2/4;
    //         at 0.75 no pair has IoU > 0.75 → AP@0.75 = 0/6 = 0
    // item b: pred = gt exactly → AP 1 at every threshold
    const preds: Record<string, Uint32Array> = {
      'x/a': new Uint32Array([5, 5, 5, 0, 6, 6, 6, 0, 0, 8]),
      'x/b': new Uint32Array([1, 1, 1, 1, 2, 2, 0, 3, 3, 3]),
    };
    const items = [tinyItem('x/a', 'generated-nuclei', 'nuclei'), tinyItem('x/b', 'generated-nuclei', 'nuclei')];
    const r = await runValidationSuite(items, { methods: ['nuclei'], runModel: async (m, it) => ({ labels: preds[it.id], runner: 'fake', device: m }) });
    const a = r.items.find((x) => x.item === 'x/a')!;
    expect(a.scores).toMatchObject({ ap50: 0.5, ap75: 0, nPred: 3, nGt: 3, tp50: 2 });
    expect(a.scores.meanMatchedIoU).toBeCloseTo((0.75 + 2 / 3) / 2, 12);
    const f = r.families[0];
    expect(f.family).toBe('generated-nuclei');
    expect(f.items).toBe(2);
    expect(f.nGt).toBe(6);
    expect(f.methods.nuclei).toMatchObject({ ap50: 0.75, ap75: 0.5, nPred: 6, nGt: 6, tp50: 5 });
    expect(f.methods.classical).toBeUndefined();
    expect(f.delta).toBeUndefined();
    expect(r.acceptance).toEqual([{ family: 'generated-nuclei', rule: 'nuclei ≥ classical + 0.15', pass: null }]);
    // the cells model does not apply to nuclei items
    const none = await runValidationSuite(items, { methods: ['cells'], runModel: async () => { throw new Error('must not run'); } });
    expect(none.items).toEqual([]);
  });

  it('applies the issue #5 rules to Δ AP@0.5 (with a float tolerance at the boundary)', () => {
    const fam = (family: FamilyResult['family'], kind: FamilyResult['kind'], classical: number, model: number): FamilyResult => {
      const s = (ap50: number) => ({ ap50, ap75: 0, apMean: 0, nPred: 0, nGt: 0, tp50: 0, ms: 0 });
      return { family, kind, description: family, items: 1, nGt: 0, methods: { classical: s(classical), [kind]: s(model) }, delta: model - classical };
    };
    const checks = acceptanceChecks([
      fam('generated-nuclei', 'nuclei', 0.45, 0.6), // 0.6 − 0.45 = 0.1499999… in floats: met
      fam('1136_mini', 'nuclei', 0.3, 0.44),
      fam('generated-membranes', 'cells', 0.7, 0.5), // no rule
      fam('sample_ovule', 'cells', 0.45, 0.58), // Δ 0.13 but below 0.6
    ]);
    expect(checks.map((c) => [c.family, c.pass])).toEqual([['generated-nuclei', true], ['1136_mini', false], ['sample_ovule', false]]);
    expect(acceptanceChecks([fam('sample_ovule', 'cells', 0.5, 0.61)])[0].pass).toBe(true);
  });

  it('writes the table between the markers and nothing else', () => {
    const doc = 'intro\n<!-- eval:validation:start -->\nold table\n<!-- eval:validation:end -->\noutro\n';
    expect(replaceMarkedSection(doc, '| new |')).toBe('intro\n<!-- eval:validation:start -->\n| new |\n<!-- eval:validation:end -->\noutro\n');
    expect(() => replaceMarkedSection('no markers', 'x')).toThrow(ArgumentError);
    expect(() => replaceMarkedSection('<!-- eval:validation:end --> <!-- eval:validation:start -->', 'x')).toThrow(ArgumentError);
  });
});

describe('classical side end to end', () => {
  it('grid-searches segmentCells on one small generated item and reports the best point', async () => {
    const items = generatedValidationItems({ baseSeed: VALIDATION_BASE_SEED, nucleiCount: 1, membraneCount: 0, shape: [64, 64, 32] });
    const r = await runValidationSuite(items, { methods: ['classical'] });
    const search = r.tuning['generated-nuclei']!;
    expect(search.scores.length).toBe(NUCLEI_GRID.smoothSigma.length * NUCLEI_GRID.minDistance.length);
    const bestAP = Math.max(...search.scores.map((s) => s.meanAP50));
    expect(search.best.meanAP50).toBe(bestAP);
    const f = r.families[0];
    expect(f.classical).toMatchObject({ smoothSigma: search.best.smoothSigma, minDistance: search.best.minDistance, chosenBy: 'grid search' });
    // the final run with the chosen point scores what the search measured for it
    expect(f.methods.classical!.ap50).toBe(search.best.meanAP50);
    expect(f.methods.classical!.ap50).toBeGreaterThan(0.5);
    const it0 = r.items[0];
    expect(it0.detail).toMatchObject({ pipeline: 'segmentCells', smoothSigma: search.best.smoothSigma * items[0].image.spacing[0] });
    const md = suiteMarkdown(r, { date: 'd', machine: 'm', node: 'n', deviceRequested: 'cpu', models: {}, command: 'c' });
    expect(md.split('\n').filter((l) => l.startsWith('| held-out generated nuclei')).length).toBe(1);
    expect(md).toContain(`σ ${search.best.smoothSigma}, d ${search.best.minDistance}`);
  });

  it('runs through `tessera eval --suite validation` (classical, recorded parameters) and fills the document', async () => {
    const doc = join(tmp, 'BENCH.md');
    writeFileSync(doc, '# B\n<!-- eval:validation:start -->\n<!-- eval:validation:end -->\ntail\n');
    const json = join(tmp, 'suite.json');
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['eval', '--suite', 'validation', '--methods', 'classical', '--classical', 'recorded', '--generated', '1,1', '--no-real', '--json', json, '--markdown-into', doc], { log: (s) => out.push(s), error: (s) => err.push(s) });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    expect(j.validationItems.map((x: { id: string }) => x.id)).toEqual(['generated-nuclei/0000', 'generated-membranes/0000']);
    expect(j.families.map((f: FamilyResult) => f.family)).toEqual(['generated-nuclei', 'generated-membranes']);
    expect(j.results.map((x: { item: string; method: string }) => `${x.method} ${x.item}`)).toEqual(['classical generated-nuclei/0000', 'classical generated-membranes/0000']);
    expect(j.families[1].classical).toMatchObject({ smoothSigma: 0.5, minDistance: 5, chosenBy: 'given' });
    const text = readFileSync(doc, 'utf8');
    expect(text.startsWith('# B\n<!-- eval:validation:start -->\n| Dataset |')).toBe(true);
    expect(text.endsWith('<!-- eval:validation:end -->\ntail\n')).toBe(true);
    expect(text).toContain('segmentMembranes σ 0.5, d 5');
    // bad usage: a suite flag without --suite, an unknown method
    const bad = await main(['eval', '--methods', 'classical'], { log: () => {}, error: (s) => err.push(s) });
    expect(bad).toBe(2);
    const bad2 = await main(['eval', '--suite', 'validation', '--methods', 'stardist'], { log: () => {}, error: (s) => err.push(s) });
    expect(bad2).toBe(2);
    expect(err.join('\n')).toMatch(/needs --suite validation[\s\S]*unknown method 'stardist'/);
  });
});
