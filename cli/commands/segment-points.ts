/**
 * `tessera segment-points <in.ply|pcd|las|laz|xyz|csv|txt> --out <labeled.ply> [--json <stats.json>]
 *   [--device cpu|gpu] [--model <dir>]`
 *
 * Per-point instance segmentation with the PointNet++ instance model (lib/pointnet/model, card +
 * ONNX weights in models/pointnet-scenes): writes a PLY with every input point in the input's order
 * plus `int instance` (0 = none) and `int class`, and with --json the instances (class, points,
 * score), the support plane, device, runner and timings. `--device gpu` runs the WebGPU kernels
 * (gpu-kernels/pointnet/model) on Dawn and exits 2 with one line when there is no adapter;
 * `cpu` (default) runs the CPU twins.
 */
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, FormatError } from '../../lib/errors';
import { readPointCloud, writePly } from '../../lib/formats/pointcloud';
import type { PointCloud } from '../../lib/formats/pointcloud/types';
import { segmentPoints, type PointNetModel, type PointSegmentation } from '../../lib/pointnet/model';
import { loadPointNetModel } from '../../gpu-kernels/pointnet/model/load';
import { acquireCliGpu } from '../gpu';
import { parse, requireString } from '../args';
import { readBytes, writeBytes } from '../io';
import { deviceNote, pipelineMsOf, writeJsonReport } from '../report';

export const DEFAULT_POINTNET_MODEL = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/pointnet-scenes');

export const SEGMENT_POINTS_HELP = `Usage: tessera segment-points <input.ply|pcd|las|laz|xyz|csv|txt> --out <labeled.ply> [options]

Per-point instance segmentation of a metric scan (metres) of objects on a table or floor with the
PointNet++ instance model: support-plane alignment, PointNet++ (class + offset to the instance
centre), clustering of the shifted points, labels propagated to every input point.

Options:
  --out <file>        PLY to write: every input point, in input order, with int instance and int class
  --json <file>       instances (class, points, score), support plane, device, timings
  --device <cpu|gpu>  cpu = CPU twins (default); gpu = WebGPU kernels on Dawn, fails without an adapter
  --model <dir>       model folder with card.json and its ONNX (default models/pointnet-scenes)
  -h, --help          show this help`;

/** Reads card.json and the ONNX it names, checking the ONNX against the card's sha256. */
export function loadPointNetModelDir(dir: string): PointNetModel {
  const cardPath = join(dir, 'card.json');
  let card: { weights?: unknown; files?: Record<string, { sha256?: string }> };
  try {
    card = JSON.parse(new TextDecoder().decode(readBytes(cardPath)));
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(`card.json is not JSON: ${e.message}`, { where: cardPath });
    throw e;
  }
  if (typeof card.weights !== 'string') throw new FormatError('card.json names no weights file', { where: cardPath, hint: 'Use a card written by training/pointnet/export.py.' });
  const onnxPath = join(dir, card.weights);
  const bytes = readBytes(onnxPath);
  const want = card.files?.[card.weights]?.sha256;
  const got = createHash('sha256').update(bytes).digest('hex');
  if (want && want !== got) throw new FormatError(`weights sha256 ${got} differs from the card's ${want}`, { where: onnxPath, hint: 'Re-export the model; the file changed since its card was written.' });
  return loadPointNetModel(card, bytes);
}

export interface PointsDeviceRun {
  result: PointSegmentation;
  device: 'webgpu' | 'cpu';
  adapter: string | null;
}

export async function segmentPointsOnDevice(device: 'cpu' | 'gpu', cloud: PointCloud, model: PointNetModel): Promise<PointsDeviceRun> {
  if (device === 'gpu') {
    const ctx = await acquireCliGpu();
    const { segmentPointsGpu } = await import('../../gpu-kernels/pointnet/model/segment-gpu');
    const result = await segmentPointsGpu(ctx, cloud, model);
    return { result, device: 'webgpu', adapter: ctx.adapterInfo.name };
  }
  return { result: segmentPoints(cloud, model), device: 'cpu', adapter: null };
}

export async function segmentPointsCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('segment-points', argv, {
    out: { type: 'string' },
    json: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
    model: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(SEGMENT_POINTS_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new ArgumentError(`expected one input file, got ${positionals.length}`, { where: 'segment-points', hint: "Run 'tessera segment-points --help' for usage." });
  }
  const input = positionals[0];
  const out = requireString(values, 'out', 'segment-points');
  const device = String(values.device);
  if (device !== 'cpu' && device !== 'gpu') throw new ArgumentError(`--device must be cpu or gpu, got '${device}'`, { where: '--device' });
  const t0 = performance.now();
  const model = loadPointNetModelDir(typeof values.model === 'string' ? values.model : DEFAULT_POINTNET_MODEL);
  const cloud = readPointCloud(readBytes(input), input);
  const tRead = performance.now() - t0;
  const run = await segmentPointsOnDevice(device, cloud, model);
  const res = run.result;
  const t1 = performance.now();
  writeBytes(out, writePly(cloud, { instance: res.instance, classId: res.classIds, comments: [`tessera segment-points (${model.card.name}, ${run.device})`, `classes ${res.classNames.map((c, i) => `${i}=${c}`).join(' ')}`] }));
  const tWrite = performance.now() - t1;
  const pipelineMs = pipelineMsOf(res.timings);
  writeJsonReport(values.json, () => ({
    input,
    output: out,
    model: model.card.name,
    runner: 'tessera',
    device: run.device,
    adapter: run.adapter,
    points: cloud.count,
    modelInputPoints: res.sampled.count,
    supportPlane: { normal: res.frame.normal, d: res.frame.d, inliers: res.frame.inliers, samples: res.frame.samples },
    classNames: res.classNames,
    instanceCount: res.instances.length,
    timingsMs: { read: tRead, ...res.timings, write: tWrite },
    pipelineMs,
    instances: res.instances,
  }));
  log(`segment-points: ${res.instances.length} instances in ${cloud.count} points, ${pipelineMs.toFixed(0)} ms (${deviceNote(run.device, run.adapter)}) → ${out}`);
  return 0;
}
