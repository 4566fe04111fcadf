/**
 * `tessera generate-nuclei --out <img.nii.gz> --labels <gt.nii.gz> [--size 128] [--seed N]
 *   [--count N] [--spacing sx,sy,sz]` — a synthetic nuclei volume (lib/synth) and its ground truth.
 */
import { ArgumentError } from '../../lib/errors';
import { writeLabelNifti, writeNifti } from '../../lib/formats/nifti';
import { generateNuclei } from '../../lib/synth';
import type { Vec3 } from '../../lib/volume';
import { numberFlag, parse, requireString } from '../args';
import { wantsGzip, writeBytes } from '../io';

export const GENERATE_HELP = `Usage: tessera generate-nuclei --out <img.nii.gz> --labels <gt.nii.gz> [options]

Write a synthetic 3-D nuclei image (uint16) and its instance ground truth.

Options:
  --out <file>          image NIfTI to write (required)
  --labels <file>       ground-truth label NIfTI to write (required)
  --size <n>            cube edge in voxels (default 128)
  --seed <n>            random seed (default 1)
  --count <n>           number of nuclei (default: ~100 per 128³ at 0.5×0.5×1)
  --spacing <sx,sy,sz>  voxel size in µm (default 0.5,0.5,1)
  -h, --help            show this help`;

export async function generateNucleiCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('generate-nuclei', argv, {
    out: { type: 'string' },
    labels: { type: 'string' },
    size: { type: 'string' },
    seed: { type: 'string' },
    count: { type: 'string' },
    spacing: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(GENERATE_HELP);
    return 0;
  }
  if (positionals.length) {
    throw new ArgumentError(`unexpected argument '${positionals[0]}'`, { where: 'generate-nuclei' });
  }
  const out = requireString(values, 'out', 'generate-nuclei');
  const labelsPath = requireString(values, 'labels', 'generate-nuclei');
  const size = numberFlag(values, 'size', { min: 1, integer: true }) ?? 128;
  let spacing: Vec3 | undefined;
  if (typeof values.spacing === 'string') {
    const p = values.spacing.split(',').map(Number);
    if (p.length !== 3 || p.some((x) => !(x > 0) || !Number.isFinite(x))) {
      throw new ArgumentError(`--spacing must be three positive numbers, got '${values.spacing}'`, { where: '--spacing' });
    }
    spacing = p as Vec3;
  }
  const g = generateNuclei({
    shape: [size, size, size],
    spacing,
    seed: numberFlag(values, 'seed', { integer: true }) ?? 1,
    count: numberFlag(values, 'count', { min: 0, integer: true }),
  });
  writeBytes(out, writeNifti({ volume: g.image, descrip: 'tessera synthetic nuclei' }, { gzip: wantsGzip(out) }));
  writeBytes(labelsPath, writeLabelNifti(g.labels, null, { gzip: wantsGzip(labelsPath) }));
  log(`generate-nuclei: ${g.nuclei.length} nuclei, ${g.image.shape.join('×')} voxels of ${g.image.spacing.join('×')} µm → ${out}, ${labelsPath}`);
  return 0;
}
