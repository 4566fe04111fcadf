/**
 * `tessera generate-training-data --kind nuclei|cells --count N --out <dir> [--seed S]
 *   [--size nx,ny,nz] [--copy-paste p] [--ranges default|microscopy]` — synthetic training volumes for the U-Nets in training/unet.
 *
 * Volume i (seed S·100003 + i) is written as NIfTI (x fastest, spacing on the affine diagonal):
 *   <kind>_<iiii>_image.nii.gz     uint16 image
 *   <kind>_<iiii>_labels.nii.gz    instance labels (uint16/uint32)
 *   <kind>_<iiii>_boundary.nii.gz  uint8 target: instance shells (lib/synth/training-targets.ts)
 *   <kind>_<iiii>_distance.nii.gz  float32 target: per-instance normalised distance to the shell
 * plus manifest.json (the files, spacings, drawn parameters, instance counts).
 *
 * nuclei: `generateRandomNuclei` (lib/synth/nuclei-random.ts) over `--ranges` (default: the
 * generator's defaults; microscopy: + structured background and chromatin texture); with probability `--copy-paste`
 * (default 0.5) 2–8 nuclei of the previous volume are pasted in (`randomCopyPaste`: intensity
 * matched, scale 0.75–1.33, z factor 0.5–2) before the targets are computed.
 * cells: `generateMembranes(randomMembraneOptions(seed))` (dense Voronoi labels; no copy-paste:
 * a cell pasted into packed tissue has no realistic wall).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../../lib/errors';
import { writeLabelNifti, writeNifti } from '../../lib/formats/nifti';
import {
  type LabelledVolume,
  generateMembranes,
  generateRandomNuclei,
  mulberry32,
  NUCLEI_RANGE_PRESETS,
  randomCopyPaste,
  randomMembraneOptions,
  trainingTargets,
} from '../../lib/synth';
import type { LabelVolume, Vec3, Volume } from '../../lib/volume';
import { numberFlag, parse, requireString } from '../args';
import { writeBytes } from '../io';

export const GENERATE_TRAINING_HELP = `Usage: tessera generate-training-data --kind nuclei|cells --count <n> --out <dir> [options]

Write randomised synthetic volumes with instance labels and U-Net targets (NIfTI) + manifest.json.

Options:
  --kind <nuclei|cells>   touching nuclei (randomised scenes) or membrane-stained packed cells (required)
  --count <n>             number of volumes (required)
  --out <dir>             output folder (created if missing; required)
  --seed <n>              base seed (default 1); volume i uses seed·100003 + i
  --size <nx,ny,nz>       grid in voxels (default 96,96,48)
  --copy-paste <p>        nuclei only: probability of pasting instances of the previous volume (default 0.5)
  --ranges <name>         nuclei only: parameter ranges, default | microscopy (+ structured background, chromatin texture; default: default)
  -h, --help              show this help`;

export interface TrainingVolumeEntry {
  id: string;
  seed: number;
  image: string;
  labels: string;
  boundary: string;
  distance: string;
  shape: Vec3;
  spacing: Vec3;
  instances: number;
  copyPasted: number;
  params: unknown;
}

function parseSize(raw: string | boolean | undefined): Vec3 {
  if (raw === undefined) return [96, 96, 48];
  const p = String(raw).split(',').map(Number);
  if (p.length !== 3 || p.some((x) => !Number.isInteger(x) || x < 8)) {
    throw new ArgumentError(`--size must be three integers ≥ 8, got '${String(raw)}'`, { where: '--size' });
  }
  return p as Vec3;
}

function toUint16(v: Volume): Volume<Uint16Array> {
  const d = new Uint16Array(v.data.length);
  for (let i = 0; i < d.length; i++) {
    const x = Math.round(v.data[i]);
    d[i] = x <= 0 ? 0 : x >= 65535 ? 65535 : x;
  }
  return { ...v, data: d };
}

function countInstances(l: LabelVolume): number {
  const s = new Set(l.data);
  s.delete(0);
  return s.size;
}

export async function generateTrainingDataCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const where = 'generate-training-data';
  const { values, positionals } = parse(where, argv, {
    kind: { type: 'string' },
    count: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    size: { type: 'string' },
    'copy-paste': { type: 'string' },
    ranges: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(GENERATE_TRAINING_HELP);
    return 0;
  }
  if (positionals.length) throw new ArgumentError(`unexpected argument '${positionals[0]}'`, { where });
  const kind = requireString(values, 'kind', where);
  if (kind !== 'nuclei' && kind !== 'cells') throw new ArgumentError(`--kind must be nuclei or cells, got '${kind}'`, { where: '--kind' });
  const count = numberFlag(values, 'count', { min: 1, integer: true });
  if (count === undefined) throw new ArgumentError('missing --count', { where, hint: `Run 'tessera ${where} --help' for usage.` });
  const out = requireString(values, 'out', where);
  const seed = numberFlag(values, 'seed', { integer: true, min: 0 }) ?? 1;
  const size = parseSize(values.size);
  const pPaste = numberFlag(values, 'copy-paste', { min: 0 }) ?? 0.5;
  if (pPaste > 1) throw new ArgumentError(`--copy-paste must be a probability in [0, 1], got ${pPaste}`, { where: '--copy-paste' });
  const rangesName = values.ranges === undefined ? 'default' : String(values.ranges);
  if (!Object.hasOwn(NUCLEI_RANGE_PRESETS, rangesName)) {
    throw new ArgumentError(`--ranges must be one of ${Object.keys(NUCLEI_RANGE_PRESETS).join(', ')}, got '${rangesName}'`, { where: '--ranges' });
  }
  if (kind !== 'nuclei' && values.ranges !== undefined) throw new ArgumentError('--ranges applies to --kind nuclei only', { where: '--ranges' });
  const ranges = NUCLEI_RANGE_PRESETS[rangesName as keyof typeof NUCLEI_RANGE_PRESETS];
  mkdirSync(out, { recursive: true });

  const entries: TrainingVolumeEntry[] = [];
  const rng = mulberry32(seed * 7919 + 17);
  let previous: LabelledVolume | null = null;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const s = seed * 100003 + i;
    let image: Volume;
    let labels: LabelVolume;
    let params: unknown;
    let pasted = 0;
    if (kind === 'nuclei') {
      const g = generateRandomNuclei({ shape: size, seed: s, ranges });
      image = g.image;
      labels = g.labels;
      params = { ...g.params, dimLabels: g.dimLabels.length };
      const clean: LabelledVolume = { image: g.image, labels: g.labels };
      if (previous && rng() < pPaste) {
        const r = randomCopyPaste(clean, previous, rng, { count: 2 + Math.floor(rng() * 7) });
        image = toUint16(r.image);
        labels = r.labels;
        pasted = r.pasted.length;
      }
      previous = clean;
    } else {
      const o = randomMembraneOptions(s, size);
      const g = generateMembranes(o);
      image = g.image;
      labels = g.labels;
      params = o;
    }
    const t = trainingTargets(labels);
    const id = `${kind}_${String(i).padStart(4, '0')}`;
    const files = { image: `${id}_image.nii.gz`, labels: `${id}_labels.nii.gz`, boundary: `${id}_boundary.nii.gz`, distance: `${id}_distance.nii.gz` };
    const geom = { shape: labels.shape, spacing: labels.spacing, affine: labels.affine, units: labels.units };
    writeBytes(join(out, files.image), writeNifti({ volume: image, descrip: `tessera ${kind} training` }, { gzip: true }));
    writeBytes(join(out, files.labels), writeLabelNifti(labels, null, { gzip: true }));
    writeBytes(join(out, files.boundary), writeNifti({ volume: { ...geom, data: t.boundary } }, { gzip: true }));
    writeBytes(join(out, files.distance), writeNifti({ volume: { ...geom, data: t.distance } }, { gzip: true }));
    const n = countInstances(labels);
    entries.push({ id, seed: s, ...files, shape: [...labels.shape], spacing: [...labels.spacing], instances: n, copyPasted: pasted, params });
    log(`${id}: ${n} instances${pasted ? `, ${pasted} pasted` : ''}, spacing ${labels.spacing.map((v) => v.toFixed(3)).join('×')}`);
  }
  const manifest = { kind, count, seed, size, copyPaste: kind === 'nuclei' ? pPaste : 0, ...(kind === 'nuclei' ? { ranges: rangesName } : {}), generator: 'tessera generate-training-data', volumes: entries };
  writeBytes(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  log(`generate-training-data: ${count} ${kind} volumes of ${size.join('×')} → ${out} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return 0;
}
