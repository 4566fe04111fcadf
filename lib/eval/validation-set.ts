/**
 * The validation set of the bundled U-Nets (issue #5), defined without I/O:
 *
 * - `1136_mini` (nuclei): the validation half x ≥ 50 of the 100³ PlantSeg nucleus crop;
 * - `sample_ovule` (cells): the validation half x ≥ 64 of the 128×128×32 PlantSeg ovule crop;
 * - `generated-nuclei`: 6 volumes of 96×96×48 from `generateRandomNuclei` (random anisotropy,
 *   size, contrast, noise… — the generator `tessera generate-training-data --kind nuclei` uses),
 *   without copy-paste (an augmentation of the training set, not a property of the data);
 * - `generated-membranes`: 4 volumes of 96×96×48 from `generateMembranes(randomMembraneOptions)`.
 *
 * Generated volume i uses seed `VALIDATION_BASE_SEED · 100003 + i` — the training data's formula
 * (cli/commands/generate-training-data.ts: volume i of `--seed S` uses S·100003 + i) with a base
 * seed training never uses (9001; the bundled models train with `--seed 1`, 120 nuclei / 80 cells
 * volumes). Two seeds S·100003 + i and S'·100003 + i' with i, i' < 100003 are equal only when
 * S = S', so the validation volumes are disjoint from any training run with another base seed
 * and fewer than 100003 volumes; every PRNG stream of the generators is seeded from `seed >>> 0`
 * (or `(seed ^ c) >>> 0`), injective below 2³², and the seeds here are below 2³².
 *
 * Real crops: labels are kept exactly as they are inside the half (an instance cut by the split
 * keeps its id and its visible part is its ground truth; none is dropped or relabelled), spacing
 * and units kept, affine shifted (lib/eval/crop.ts). Reading the files is the caller's job
 * (cli/validation-data.ts); `realCropItem` takes the decoded volumes.
 */
import { ArgumentError, ShapeError } from '../errors';
import { generateMembranes, generateRandomNuclei, randomMembraneOptions } from '../synth';
import { type LabelVolume, type Vec3, type Volume, sameShape } from '../volume';
import { validationHalf, validationHalfStart } from './crop';

/** What a validation item contains, hence which methods apply to it. */
export type ItemKind = 'nuclei' | 'cells';
export type Family = 'generated-nuclei' | '1136_mini' | 'generated-membranes' | 'sample_ovule';

export interface FamilyInfo {
  family: Family;
  kind: ItemKind;
  /** One line for tables. */
  description: string;
}

/** The families in table order. */
export const FAMILIES: readonly FamilyInfo[] = [
  { family: 'generated-nuclei', kind: 'nuclei', description: 'held-out generated nuclei (6 × 96×96×48, seeds 9001·100003+i)' },
  { family: '1136_mini', kind: 'nuclei', description: 'PlantSeg 1136_mini nuclei, validation half x ≥ 50 (50×100×100)' },
  { family: 'generated-membranes', kind: 'cells', description: 'held-out generated membranes (4 × 96×96×48, seeds 9001·100003+i)' },
  { family: 'sample_ovule', kind: 'cells', description: 'PlantSeg sample_ovule cells, validation half x ≥ 64 (64×128×32)' },
];

export interface ValidationItem {
  /** Unique id, e.g. 'generated-nuclei/0003' or '1136_mini/val'. */
  id: string;
  family: Family;
  kind: ItemKind;
  image: Volume;
  labels: LabelVolume;
  /** Where it comes from: the generator seed, or the file and the crop. */
  origin: string;
  /** Generator seed (generated items only). */
  seed?: number;
}

/** generate-training-data's per-volume seed: volume i of base seed S uses S·100003 + i. */
export const SEED_STRIDE = 100003;
export const VALIDATION_BASE_SEED = 9001;

/** The training runs of the bundled models (training/unet/retrain.sh defaults). */
export const TRAINING_RUNS: readonly { kind: ItemKind; baseSeed: number; count: number }[] = [
  { kind: 'nuclei', baseSeed: 1, count: 120 },
  { kind: 'cells', baseSeed: 1, count: 80 },
];

export interface GeneratedSpec {
  baseSeed: number;
  nucleiCount: number;
  membraneCount: number;
  shape: Vec3;
}

export const DEFAULT_GENERATED_SPEC: GeneratedSpec = { baseSeed: VALIDATION_BASE_SEED, nucleiCount: 6, membraneCount: 4, shape: [96, 96, 48] };

export function volumeSeed(baseSeed: number, i: number): number {
  return baseSeed * SEED_STRIDE + i;
}

/** Every generator seed a spec uses, by kind. */
export function generatedSeeds(spec: GeneratedSpec = DEFAULT_GENERATED_SPEC): { kind: ItemKind; seed: number }[] {
  const out: { kind: ItemKind; seed: number }[] = [];
  for (let i = 0; i < spec.nucleiCount; i++) out.push({ kind: 'nuclei', seed: volumeSeed(spec.baseSeed, i) });
  for (let i = 0; i < spec.membraneCount; i++) out.push({ kind: 'cells', seed: volumeSeed(spec.baseSeed, i) });
  return out;
}

function checkSpec(spec: GeneratedSpec): void {
  const bad = (what: string, hint: string): never => {
    throw new ArgumentError(what, { where: 'generatedValidationItems.spec', hint });
  };
  if (!Number.isInteger(spec.baseSeed) || spec.baseSeed < 0) bad(`baseSeed must be an integer ≥ 0, got ${spec.baseSeed}`, 'Use e.g. 9001.');
  for (const k of ['nucleiCount', 'membraneCount'] as const) {
    if (!Number.isInteger(spec[k]) || spec[k] < 0 || spec[k] >= SEED_STRIDE) bad(`${k} must be an integer in [0, ${SEED_STRIDE}), got ${spec[k]}`, 'Use a handful.');
  }
  if (volumeSeed(spec.baseSeed, Math.max(spec.nucleiCount, spec.membraneCount)) >= 2 ** 32) bad('seeds must stay below 2^32', 'Use a smaller baseSeed.');
  for (const t of TRAINING_RUNS) if (t.baseSeed === spec.baseSeed) bad(`baseSeed ${spec.baseSeed} is a training seed`, 'Use a base seed training never uses (default 9001).');
  if (!spec.shape.every((n) => Number.isInteger(n) && n >= 8)) bad(`shape must be three integers ≥ 8, got ${spec.shape.join('×')}`, 'Use e.g. 96×96×48.');
}

/** Generated nuclei item i (the draw generate-training-data makes for its volume i, no copy-paste). */
export function generatedNucleiItem(i: number, spec: GeneratedSpec = DEFAULT_GENERATED_SPEC): ValidationItem {
  const seed = volumeSeed(spec.baseSeed, i);
  const g = generateRandomNuclei({ shape: [...spec.shape], seed });
  return {
    id: `generated-nuclei/${String(i).padStart(4, '0')}`,
    family: 'generated-nuclei',
    kind: 'nuclei',
    image: g.image,
    labels: g.labels,
    origin: `generateRandomNuclei seed ${seed}`,
    seed,
  };
}

/** Generated membrane item i (generateMembranes(randomMembraneOptions(seed, shape)), as training). */
export function generatedMembraneItem(i: number, spec: GeneratedSpec = DEFAULT_GENERATED_SPEC): ValidationItem {
  const seed = volumeSeed(spec.baseSeed, i);
  const g = generateMembranes(randomMembraneOptions(seed, [...spec.shape]));
  return {
    id: `generated-membranes/${String(i).padStart(4, '0')}`,
    family: 'generated-membranes',
    kind: 'cells',
    image: g.image,
    labels: g.labels,
    origin: `generateMembranes(randomMembraneOptions) seed ${seed}`,
    seed,
  };
}

/** All generated items of a spec, nuclei first. */
export function generatedValidationItems(spec: GeneratedSpec = DEFAULT_GENERATED_SPEC): ValidationItem[] {
  checkSpec(spec);
  const out: ValidationItem[] = [];
  for (let i = 0; i < spec.nucleiCount; i++) out.push(generatedNucleiItem(i, spec));
  for (let i = 0; i < spec.membraneCount; i++) out.push(generatedMembraneItem(i, spec));
  return out;
}

/** The real crops: files under the shared data folder (../shared/data from the repository root). */
export interface RealCropDef {
  family: Extract<Family, '1136_mini' | 'sample_ovule'>;
  kind: ItemKind;
  image: string;
  labels: string;
  /** Full grid [nx, ny, nz] the files must have. */
  shape: Vec3;
}

export const REAL_CROPS: readonly RealCropDef[] = [
  { family: '1136_mini', kind: 'nuclei', image: 'cells/plantseg/1136_mini_raw.nii.gz', labels: 'cells/plantseg/1136_mini_label.nii.gz', shape: [100, 100, 100] },
  { family: 'sample_ovule', kind: 'cells', image: 'cells/plantseg/sample_ovule_raw.nii.gz', labels: 'cells/plantseg/sample_ovule_label.nii.gz', shape: [128, 128, 32] },
];

/** The validation half of a real crop, from its decoded image and labels (full grid). */
export function realCropItem(def: RealCropDef, image: Volume, labels: LabelVolume): ValidationItem {
  const where = `realCropItem(${def.family})`;
  if (!sameShape(image.shape, def.shape) || !sameShape(labels.shape, def.shape)) {
    throw new ShapeError(`image ${image.shape.join('×')} and labels ${labels.shape.join('×')} should both be ${def.shape.join('×')}`, {
      where,
      hint: `Give ${def.image} and ${def.labels} from the shared data.`,
    });
  }
  const x0 = validationHalfStart(def.shape[0]);
  return {
    id: `${def.family}/val`,
    family: def.family,
    kind: def.kind,
    image: validationHalf(image),
    labels: validationHalf(labels),
    origin: `${def.image} x ≥ ${x0}`,
  };
}
