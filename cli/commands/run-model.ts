/**
 * `tessera run-model --model <file.onnx | registry ref> <input.nii[.gz] | input.tif[f]> --out <labels.nii.gz> [--card card.json]
 *   [--device auto|cpu|gpu|ort] [--axis-order file|xyz|zyx] [--json stats.json]`
 *
 * Runs an ONNX segmentation network on a NIfTI volume or TIFF stack (cli/io.ts readImageFile;
 * server/inference/run-model-on-volume.ts: card-driven normalisation, layout and conform step, our
 * WebGPU engine or onnxruntime-node) and writes the argmax class label map on the input's grid and
 * affine (cli/io.ts labelNiftiFor: a NIfTI's header kept, a TIFF's spacing on a diagonal affine). Without
 * --card the bare-model defaults apply (lib/model/card.ts `defaultCard`: min-max to [0,1], axis
 * order 'file', native grid, classes from the output channels). `--axis-order` overrides the card.
 * Devices: gpu = our engine on Dawn (exit 2, one line, without an adapter; a model with ops our
 * engine lacks runs on onnxruntime-node and says so); auto = our engine when possible, else
 * onnxruntime-node; cpu / ort = onnxruntime-node (CPU). The runner, device, adapter, delegated
 * node count, tiles and time are printed and written to --json.
 *
 * `--model` takes a file path ending in .onnx, or a registry reference — id, name@version or name —
 * resolved in the workstation's database (readModel); the registered card is used unless --card is
 * given. An unknown reference is a usage error (exit 2).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ArgumentError, FormatError, isTesseraError } from '../../lib/errors';
import { AxisOrderSchema, type ModelCard, defaultCard, parseModelCard } from '../../lib/model/card';
import { runModelOnVolume } from '../../server/inference/run-model-on-volume';
import type { InferenceDevice } from '../../server/inference/run-onnx';
import { parse, requireString } from '../args';
import { acquireCliGpu } from '../gpu';
import { labelNiftiFor, readBytes, readImageFile, wantsGzip, writeBytes } from '../io';

export const RUN_MODEL_HELP = `Usage: tessera run-model --model <model.onnx | id | name[@version]> <input.nii[.gz] | input.tif[f]> --out <labels.nii.gz> [options]

Run an ONNX segmentation model (e.g. MeshNet) on a volume; writes the class label map on the input grid.

Options:
  --model <file.onnx | ref>    the model: an .onnx file, or a registry id / name / name@version
                               (the workstation's database: DATABASE_URL, as for npm start)
  --out <file>                 class label NIfTI to write (required; .gz = gzip)
  --card <card.json>           model card (normalisation, axis order, spacing, classes); default:
                               min-max to [0,1], axis order 'file', native grid, argmax over channels
  --device <auto|cpu|gpu|ort>  gpu = our WebGPU engine (Dawn), fails without an adapter;
                               cpu / ort = onnxruntime-node; auto = WebGPU when possible (default auto)
  --axis-order <file|xyz|zyx>  tensor layout, overrides the card: file = [z,y,x] as stored,
                               xyz = [x,y,z] (z fastest), zyx = reoriented to RAS+ then [z,y,x]
  --json <file>                runner, device, adapter, delegated, tiles, timings, class voxel counts, params
  -h, --help                   show this help`;

function resolveDevice(v: string): InferenceDevice {
  if (v === 'auto' || v === 'cpu' || v === 'gpu' || v === 'ort') return v;
  throw new ArgumentError(`--device must be auto, cpu, gpu or ort, got '${v}'`, { where: '--device' });
}

/**
 * The model bytes and card: a path ending in .onnx (or an existing file) is read as is; anything
 * else is a registry reference (id, name@version or name = latest version) looked up in the
 * workstation's database and blob store (DATABASE_URL, TESSERA_DATA_DIR / TESSERA_BLOB_DIR — the
 * same settings `npm start` uses; pending migrations are applied first).
 */
export async function readModel(arg: string): Promise<{ bytes: Uint8Array; card: ModelCard | null; from: string }> {
  if (/\.onnx$/i.test(arg) || existsSync(arg)) return { bytes: readBytes(arg), card: null, from: arg };
  const { getEnv } = await import('../../server/env');
  const { migrate } = await import('../../server/db/migrate');
  const { getServerDeps } = await import('../../server/startup/deps');
  const { findModel } = await import('../../server/services/models');
  const url = getEnv().DATABASE_URL;
  await migrate(url);
  const deps = getServerDeps();
  try {
    const model = await findModel(deps, arg);
    const bytes = await deps.blobs.get(model.sha256);
    return { bytes, card: parseModelCard(model.card, `registry model ${model.name}@${model.version}`), from: `registry ${model.name}@${model.version} (${model.id})` };
  } catch (e) {
    if (isTesseraError(e) && e.code === 'NOT_FOUND') {
      throw new ArgumentError(`no model '${arg}' in the registry at ${url}`, { where: '--model', hint: 'Give an .onnx path, or a registry id / name / name@version (see the workstation\'s Models page).' });
    }
    throw e;
  } finally {
    await deps.db.$disconnect();
  }
}

/** A model card JSON file, parsed and validated (FormatError / ArgumentError naming the file). */
export function readCard(path: string): ModelCard {
  const text = new TextDecoder().decode(readBytes(path));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { where: path, hint: 'Give a model card JSON file.' });
  }
  return parseModelCard(json, path);
}

export async function runModelCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('run-model', argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    card: { type: 'string' },
    device: { type: 'string', default: 'auto' },
    'axis-order': { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(RUN_MODEL_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new ArgumentError(`expected one input file, got ${positionals.length}`, { where: 'run-model', hint: "Run 'tessera run-model --help' for usage." });
  }
  const input = positionals[0];
  const modelArg = requireString(values, 'model', 'run-model');
  const out = requireString(values, 'out', 'run-model');
  const device = resolveDevice(String(values.device));
  let axisOrder: ModelCard['input']['axisOrder'] | undefined;
  if (typeof values['axis-order'] === 'string') {
    const r = AxisOrderSchema.safeParse(values['axis-order']);
    if (!r.success) throw new ArgumentError(`--axis-order must be file, xyz or zyx, got '${values['axis-order']}'`, { where: '--axis-order' });
    axisOrder = r.data;
  }
  const model = await readModel(modelArg);
  const bytes = model.bytes;
  let card = typeof values.card === 'string' ? readCard(values.card) : (model.card ?? defaultCard(basename(modelArg).replace(/\.onnx$/i, '')));
  if (card.sha256) {
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== card.sha256) {
      throw new ArgumentError(`the model's sha256 ${got} differs from the card's ${card.sha256}`, { where: '--model', hint: 'Give the model file the card describes.' });
    }
  }
  if (axisOrder) card = { ...card, input: { ...card.input, axisOrder } };
  const t0 = performance.now();
  const img = readImageFile(input);
  const tRead = performance.now() - t0;
  const res = await runModelOnVolume(bytes, img.volume, card, { device, acquire: acquireCliGpu });
  const t1 = performance.now();
  const labels = Uint32Array.from(res.classMap);
  writeBytes(out, labelNiftiFor(img, labels, { gzip: wantsGzip(out) }));
  const tWrite = performance.now() - t1;
  const ri = res.runInfo;
  const voxelsPerClass: Record<string, number> = {};
  const counts = new Float64Array(res.classes.reduce((m, c) => Math.max(m, c.id + 1), 1));
  for (let i = 0; i < labels.length; i++) if (labels[i] < counts.length) counts[labels[i]]++;
  for (const c of res.classes) voxelsPerClass[c.name] = counts[c.id];
  if (typeof values.json === 'string') {
    const report = {
      input,
      output: out,
      model: modelArg,
      card: { name: card.name, version: card.version },
      deviceRequested: device,
      ...ri,
      classes: res.classes,
      voxelsPerClass,
      instanceCount: res.instances.length,
      instances: res.instances,
      params: res.params,
      timingsMs: { read: tRead, ...(res.params.timingsMs as object), write: tWrite },
      versions: { node: process.versions.node },
    };
    writeBytes(values.json, JSON.stringify(report, null, 1));
  }
  log(
    `run-model: runner: ${ri.runner}, device: ${ri.device}, adapter: ${ri.adapter ?? 'none'}, delegated: ${ri.delegated}, ` +
      `tiles: ${ri.tiles}, ${ri.ms.toFixed(0)} ms, ${res.classes.length} classes` +
      `${ri.fallbackReason ? ` (fallback: ${ri.fallbackReason})` : ''} → ${out}`,
  );
  return 0;
}
