/**
 * `tessera segment-cells <input> --out <labels.nii.gz> [--json <stats.json>] [--smooth <sigma>]
 *   [--min-distance <d>] [--threshold <t>] [--min-size <voxels>] [--device auto|cpu|gpu]`
 *
 * Runs the classical pipeline (lib/segmentation/pipeline.ts) on a NIfTI image and writes a label
 * NIfTI on the input's grid and affine (uint16, or uint32 past 65,535 instances) and, with --json,
 * per-instance stats with the parameters (incl. per-axis voxel values), device, runner and timings.
 * `--device gpu` fails (GPU post-processing is not available yet); `auto` means cpu.
 */
import { TesseraError, ArgumentError } from '../../lib/errors';
import { writeLabelNifti } from '../../lib/formats/nifti';
import { segmentCells, type ClassicalParams } from '../../lib/segmentation/pipeline';
import { numberFlag, parse, requireString } from '../args';
import { readNiftiFile, wantsGzip, writeBytes } from '../io';

export const SEGMENT_CELLS_HELP = `Usage: tessera segment-cells <input.nii[.gz]> --out <labels.nii.gz> [options]

Segment nuclei/cells: Gaussian smoothing, Otsu threshold, distance transform, seeds, watershed.

Options:
  --out <file>            label NIfTI to write (required; .gz = gzip)
  --json <file>           per-instance stats, parameters, device, runner and timings
  --smooth <sigma>        Gaussian sigma in physical units, 0 = off (default 0.5)
  --min-distance <d>      minimum seed distance in physical units (default 3.0)
  --threshold <t>         foreground threshold on the smoothed image (default: Otsu)
  --min-size <voxels>     drop instances smaller than this (default 50)
  --device <auto|cpu|gpu> where to run (default auto = cpu)
  -h, --help              show this help`;

export type Device = 'auto' | 'cpu' | 'gpu';

/** Resolve the requested device; GPU is refused loudly (never a silent CPU fallback). */
export function resolveDevice(requested: string): 'cpu' {
  if (requested === 'cpu' || requested === 'auto') return 'cpu';
  if (requested === 'gpu') {
    throw new TesseraError('GPU_UNAVAILABLE', 'GPU post-processing is not available yet', {
      where: '--device gpu',
      hint: 'Use --device cpu (or auto).',
    });
  }
  throw new ArgumentError(`--device must be auto, cpu or gpu, got '${requested}'`, { where: '--device' });
}

export async function segmentCellsCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('segment-cells', argv, {
    out: { type: 'string' },
    json: { type: 'string' },
    smooth: { type: 'string' },
    'min-distance': { type: 'string' },
    threshold: { type: 'string' },
    'min-size': { type: 'string' },
    device: { type: 'string', default: 'auto' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(SEGMENT_CELLS_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new ArgumentError(`expected one input file, got ${positionals.length}`, {
      where: 'segment-cells',
      hint: "Run 'tessera segment-cells --help' for usage.",
    });
  }
  const input = positionals[0];
  const out = requireString(values, 'out', 'segment-cells');
  const requested = String(values.device);
  const device = resolveDevice(requested);
  const params: ClassicalParams = {
    smoothSigma: numberFlag(values, 'smooth', { min: 0 }),
    minDistance: numberFlag(values, 'min-distance', { min: 0, exclusiveMin: true }),
    threshold: numberFlag(values, 'threshold'),
    minVoxels: numberFlag(values, 'min-size', { min: 0, integer: true }),
  };
  const t0 = performance.now();
  const img = readNiftiFile(input);
  const tRead = performance.now() - t0;
  const res = segmentCells(img.volume, params);
  const t1 = performance.now();
  writeBytes(out, writeLabelNifti(res.labels, img.header, { gzip: wantsGzip(out) }));
  const tWrite = performance.now() - t1;
  const pipelineMs = Object.values(res.timings).reduce((a, b) => a + b, 0);
  if (typeof values.json === 'string') {
    const report = {
      input,
      output: out,
      runner: 'tessera',
      device,
      deviceRequested: requested,
      shape: img.volume.shape,
      spacing: img.volume.spacing,
      units: img.volume.units ?? null,
      threshold: res.threshold,
      params: res.params,
      seedCount: res.seedCount,
      instanceCount: res.instances.length,
      timingsMs: { read: tRead, ...res.timings, write: tWrite },
      pipelineMs,
      versions: { node: process.versions.node },
      instances: res.instances,
    };
    writeBytes(values.json, JSON.stringify(report, null, 1));
  }
  log(
    `segment-cells: ${res.instances.length} instances, threshold ${res.threshold.toPrecision(6)}, ` +
      `min distance ${res.params.minDistanceVoxels.join('×')} voxels, ${pipelineMs.toFixed(0)} ms ` +
      `(device: ${device}, runner: tessera) → ${out}`,
  );
  return 0;
}
