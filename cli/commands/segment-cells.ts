/**
 * `tessera segment-cells <input> --out <labels.nii.gz> [--json <stats.json>] [--smooth <sigma>]
 *   [--min-distance <d>] [--threshold <t>] [--min-size <voxels>] [--device auto|cpu|gpu]`
 *
 * Runs the classical pipeline (lib/segmentation/pipeline.ts) on a NIfTI image and writes a label
 * NIfTI on the input's grid and affine (uint16, or uint32 past 65,535 instances) and, with --json,
 * per-instance stats with the parameters (incl. per-axis voxel values), device, runner and timings.
 * `--device gpu` runs segmentCellsGpu (gpu-kernels/pipeline) on Dawn and fails (exit 2, one line)
 * when there is no WebGPU adapter — never a silent CPU run; `auto` uses Dawn when an adapter
 * exists, else the CPU pipeline; `cpu` always the CPU pipeline. The device, runner and adapter
 * actually used are printed and written to the JSON.
 */
import { TesseraError, ArgumentError } from '../../lib/errors';
import { writeLabelNifti } from '../../lib/formats/nifti';
import { segmentCells, type ClassicalParams, type SegmentResult } from '../../lib/segmentation/pipeline';
import { acquireCliGpu } from '../gpu';
import { numberFlag, parse, requireString } from '../args';
import { readNiftiFile, wantsGzip, writeBytes } from '../io';
import { deviceNote, pipelineMsOf, writeJsonReport } from '../report';

export const SEGMENT_CELLS_HELP = `Usage: tessera segment-cells <input.nii[.gz]> --out <labels.nii.gz> [options]

Segment nuclei/cells: Gaussian smoothing, Otsu threshold, distance transform, seeds, watershed.

Options:
  --out <file>            label NIfTI to write (required; .gz = gzip)
  --json <file>           per-instance stats, parameters, device, runner and timings
  --smooth <sigma>        Gaussian sigma in physical units, 0 = off (default 0.5)
  --min-distance <d>      minimum seed distance in physical units (default 3.0)
  --threshold <t>         foreground threshold on the smoothed image (default: Otsu)
  --min-size <voxels>     drop instances smaller than this (default 50)
  --device <auto|cpu|gpu> where to run: gpu = WebGPU (Dawn), fails without an adapter;
                          auto = WebGPU when an adapter exists, else CPU (default auto)
  -h, --help              show this help`;

export type Device = 'auto' | 'cpu' | 'gpu';

/** Validates --device. */
export function resolveDevice(requested: string): Device {
  if (requested === 'cpu' || requested === 'auto' || requested === 'gpu') return requested;
  throw new ArgumentError(`--device must be auto, cpu or gpu, got '${requested}'`, { where: '--device' });
}

export interface DeviceRun {
  result: SegmentResult;
  device: 'webgpu' | 'cpu';
  adapter: string | null;
  /** Why 'auto' ran on the CPU (no adapter), if it did. */
  fallback?: string;
}

/** Runs the pipeline on the requested device (see the file comment for the rules). */
export async function segmentOnDevice(requested: Device, volume: Parameters<typeof segmentCells>[0], params: ClassicalParams): Promise<DeviceRun> {
  if (requested !== 'cpu') {
    let ctx: Awaited<ReturnType<typeof acquireCliGpu>> | null = null;
    let fallback: string | undefined;
    try {
      ctx = await acquireCliGpu();
    } catch (e) {
      if (requested === 'gpu' || !(e instanceof TesseraError) || e.code !== 'GPU_UNAVAILABLE') throw e;
      fallback = e.message;
    }
    if (ctx) {
      const { segmentCellsGpu } = await import('../../gpu-kernels/pipeline/pipeline');
      const result = await segmentCellsGpu(ctx, volume, params);
      return { result, device: 'webgpu', adapter: result.device.adapter };
    }
    return { result: segmentCells(volume, params), device: 'cpu', adapter: null, fallback };
  }
  return { result: segmentCells(volume, params), device: 'cpu', adapter: null };
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
  const wanted = resolveDevice(requested);
  const params: ClassicalParams = {
    smoothSigma: numberFlag(values, 'smooth', { min: 0 }),
    minDistance: numberFlag(values, 'min-distance', { min: 0, exclusiveMin: true }),
    threshold: numberFlag(values, 'threshold'),
    minVoxels: numberFlag(values, 'min-size', { min: 0, integer: true }),
  };
  const t0 = performance.now();
  const img = readNiftiFile(input);
  const tRead = performance.now() - t0;
  const { result: res, device, adapter, fallback } = await segmentOnDevice(wanted, img.volume, params);
  const t1 = performance.now();
  writeBytes(out, writeLabelNifti(res.labels, img.header, { gzip: wantsGzip(out) }));
  const tWrite = performance.now() - t1;
  const pipelineMs = pipelineMsOf(res.timings);
  writeJsonReport(values.json, () => ({
    input,
    output: out,
    runner: 'tessera',
    device,
    adapter,
    deviceRequested: requested,
    ...(fallback ? { gpuFallback: fallback } : {}),
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
  }));
  log(
    `segment-cells: ${res.instances.length} instances, threshold ${res.threshold.toPrecision(6)}, ` +
      `min distance ${res.params.minDistanceVoxels.join('×')} voxels, ${pipelineMs.toFixed(0)} ms ` +
      `(${deviceNote(device, adapter)}) → ${out}`,
  );
  return 0;
}
