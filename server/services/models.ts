/**
 * The model registry: ONNX segmentation models with their model cards (lib/model/card.ts).
 *
 * Registration validates everything before anything is stored: the card (Zod), the card's sha256
 * against the bytes, the bytes as ONNX (`loadOnnx`), the engine's op support (`prepareModel`; an
 * op the tessera WebGPU engine lacks is NOT an error — it is recorded in `unsupportedOps` and the
 * model runs on onnxruntime), the card's input channels against the model's declared input, the
 * card's class count against the output channels when known, and the (name, version) pair being
 * free. Then the bytes go into the BlobStore (content address = sha256) and the Model row is
 * created; if the row cannot be created the blob is collected again. A failure stores nothing.
 *
 * Deleting a model keeps the runs made with it: their `modelId` becomes null (FK ON DELETE SET
 * NULL) while `pipeline` ('model:<name>'), `modelVersion` and `params.model` keep the provenance.
 * A model with a queued or running run cannot be deleted (CONFLICT).
 */
import { ArgumentError, FormatError, ShapeError, TesseraError, isTesseraError } from '@/lib/errors';
import { parseModelCard, withClassCount, type ModelCard } from '@/lib/model/card';
import { loadOnnx, planGraph, prepareModel, UnsupportedOpError, type OnnxModel, type ValueInfo } from '@/gpu-kernels/onnx';
import { sha256Hex } from '../blob/local';
import { parseEnv } from '../env';
import { collectGarbageBlobs } from './assets';
import type { ServiceDeps } from './deps';
import { notFound } from './errors';

/**
 * Largest ONNX file accepted, in bytes (env TESSERA_MAX_MODEL_MB, default 200 MB; server/env.ts).
 * Parsed from `source` on each call rather than from the cached `getEnv()`, so a changed
 * environment applies to the next upload.
 */
export function modelMaxBytes(source: Record<string, string | undefined> = process.env): number {
  return Math.floor(parseEnv(source).TESSERA_MAX_MODEL_MB * 2 ** 20);
}

export interface ModelSummary {
  id: string;
  name: string;
  version: string;
  task: ModelCard['task'];
  licence: string;
  sha256: string;
  bytes: number;
  card: ModelCard;
  /** Op types the tessera engine lacks ([] = runs on the tessera WebGPU engine). */
  unsupportedOps: string[];
  createdAt: string;
}

/** What registration learnt from the ONNX bytes. */
export interface OnnxInspection {
  opset: number;
  inputName: string;
  outputName: string;
  /** Declared input dims ([N, C, D, H, W]; symbolic or unknown entries null), null when undeclared. */
  inputDims: (number | null)[] | null;
  /** Input channels when declared. */
  inputChannels: number | null;
  /** Output channels when declared, else inferred by the engine's shape planner; null when unknown. */
  outputChannels: number | null;
  unsupportedOps: string[];
}

function numericDims(v: ValueInfo): (number | null)[] | null {
  return v.dims ? v.dims.map((d) => (typeof d === 'number' && d > 0 ? d : null)) : null;
}

/**
 * Parses the ONNX bytes and checks the engine's op support. Throws FormatError / TruncatedError /
 * UnsupportedFormatError for bytes that are not a usable ONNX model; never for unsupported ops.
 */
export function inspectOnnx(bytes: Uint8Array, card: Pick<ModelCard, 'input'> | null, where = 'model'): OnnxInspection {
  let model: OnnxModel;
  try {
    model = loadOnnx(bytes);
  } catch (e) {
    if (isTesseraError(e)) throw new TesseraError(e.code, `not a readable ONNX model: ${e.message}`, { where, hint: e.hint ?? 'Upload an ONNX (.onnx) file.', cause: e });
    throw new FormatError(`not a readable ONNX model: ${e instanceof Error ? e.message : String(e)}`, { where, hint: 'Upload an ONNX (.onnx) file.', cause: e });
  }
  if (model.inputs.length !== 1 || model.outputs.length < 1) {
    throw new FormatError(`the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; a segmentation model takes one volume tensor`, {
      where: `${where}.graph`,
      hint: 'Export the network with a single input [N, C, D, H, W] (weights as initializers).',
    });
  }
  const input = model.inputs[0];
  const output = model.outputs[0];
  const inputDims = numericDims(input);
  if (inputDims && inputDims.length !== 5) {
    throw new ShapeError(`the model's input '${input.name}' has rank ${inputDims.length}; a volume model takes [N, C, D, H, W]`, {
      where: `${where}.input`,
      hint: 'Register 3-D (5-D tensor) segmentation networks only.',
    });
  }
  const outputDims = numericDims(output);
  let outputChannels = outputDims && outputDims.length === 5 ? outputDims[1] : null;

  let unsupportedOps: string[] = [];
  let prepared: ReturnType<typeof prepareModel> | null = null;
  try {
    prepared = prepareModel(model);
  } catch (e) {
    if (e instanceof UnsupportedOpError) unsupportedOps = [...e.ops];
    else throw e; // a malformed graph (cycle, dangling value, bad kernel shape): FormatError
  }
  // Output channels not declared: the engine's shape planner infers them on a small input.
  if (outputChannels === null && prepared && card) {
    const xyz = [0, 1, 2].map((a) => {
      const s = card.input.shape?.[a];
      if (s) return s;
      const m = card.input.multipleOf ?? 1;
      return Math.max(m, Math.ceil(32 / m) * m);
    });
    // Tensor axes: 'xyz' → [x, y, z]; 'file' / 'zyx' → [z, y, x] (lib/model/layout.ts).
    const spatial = card.input.axisOrder === 'xyz' ? xyz : [...xyz].reverse();
    try {
      const plan = planGraph(prepared.graph, { [input.name]: [1, card.input.channels, ...spatial] });
      const od = plan.dims.get(output.name);
      if (od && od.length === 5) outputChannels = od[1];
    } catch {
      outputChannels = null; // unknown: the run will find out
    }
  }
  return {
    opset: model.opset,
    inputName: input.name,
    outputName: output.name,
    inputDims,
    inputChannels: inputDims ? inputDims[1] : null,
    outputChannels,
    unsupportedOps,
  };
}

/**
 * The card against the model: input channels; for logits outputs with known channels C, one class
 * per channel with ids in [0, C). Returns the card to store: an empty class list is filled with
 * class0..class{C−1} (`withClassCount`) when C is known, and rejected otherwise.
 */
export function checkCardAgainstModel(card: ModelCard, info: OnnxInspection, where = 'card'): ModelCard {
  if (info.inputChannels !== null && info.inputChannels !== card.input.channels) {
    throw new ShapeError(`the card says ${card.input.channels} input channel(s) but the model's input '${info.inputName}' takes ${info.inputChannels}`, {
      where: `${where}.input.channels`,
      hint: `Set input.channels to ${info.inputChannels}.`,
    });
  }
  const c = card.output.kind === 'logits' ? info.outputChannels : null;
  if (card.output.classes.length === 0) {
    if (c === null) {
      throw new ArgumentError('the card lists no classes and the model does not declare its output channels', {
        where: `${where}.output.classes`,
        hint: 'List the classes (id, name, colour) in the card.',
      });
    }
    return withClassCount(card, c);
  }
  if (c !== null && c !== card.output.classes.length) {
    throw new ShapeError(`the card lists ${card.output.classes.length} class(es) but the model's output '${info.outputName}' has ${c} channels`, {
      where: `${where}.output.classes`,
      hint: `List one class per output channel (${c}).`,
    });
  }
  const outside = c === null ? undefined : card.output.classes.find((k) => k.id >= c);
  if (outside) {
    throw new ShapeError(`class '${outside.name}' has id ${outside.id} but the model's output has only channels 0..${(c ?? 1) - 1}`, {
      where: `${where}.output.classes`,
      hint: 'Class ids are output channel indices (0 = background).',
    });
  }
  return card;
}

type ModelRow = {
  id: string; name: string; version: string; task: string; card: unknown; sha256: string; bytes: bigint | number;
  licence: string; unsupportedOps: unknown; createdAt: Date;
};

export function toModelSummary(m: ModelRow): ModelSummary {
  return {
    id: m.id,
    name: m.name,
    version: m.version,
    task: m.task as ModelCard['task'],
    licence: m.licence,
    sha256: m.sha256,
    bytes: Number(m.bytes),
    card: m.card as ModelCard,
    unsupportedOps: Array.isArray(m.unsupportedOps) ? (m.unsupportedOps as string[]) : [],
    createdAt: m.createdAt.toISOString(),
  };
}

function duplicate(name: string, version: string): TesseraError {
  return new TesseraError('CONFLICT', `model ${name} version ${version} is already registered`, {
    where: 'card.version',
    hint: 'Give the new model another version (or delete the registered one first).',
  });
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'P2002';
}

/** Removes a model blob once neither a Model nor an Asset refers to it (assets.ts collectGarbageBlobs). */
export async function collectModelBlob(deps: ServiceDeps, sha256: string): Promise<boolean> {
  return (await collectGarbageBlobs(deps, [sha256])) > 0;
}

/**
 * Registers an ONNX model with its card (`cardJson`: the parsed JSON or its text). Returns the new
 * id and the ops the engine lacks. Throws (storing nothing): FORMAT_INVALID / TRUNCATED /
 * FORMAT_UNSUPPORTED (bytes), INVALID_ARGUMENT (card, sha256 mismatch, size), SHAPE_MISMATCH
 * (channels / classes), CONFLICT (name + version taken).
 */
export async function registerModel(
  deps: ServiceDeps,
  bytes: Uint8Array,
  cardJson: unknown,
  opts: { maxBytes?: number } = {},
): Promise<{ id: string; sha256: string; unsupportedOps: string[] }> {
  const maxBytes = opts.maxBytes ?? modelMaxBytes();
  if (bytes.byteLength === 0) throw new FormatError('the model file is empty', { where: 'model', hint: 'Choose an .onnx file.' });
  if (bytes.byteLength > maxBytes) {
    throw new ArgumentError(`the model is ${bytes.byteLength} bytes, over the ${Math.round(maxBytes / 2 ** 20)} MiB limit`, {
      where: 'model',
      hint: 'Raise TESSERA_MAX_MODEL_MB or register a smaller model.',
    });
  }
  let json = cardJson;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (e) {
      throw new ArgumentError(`the card is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { where: 'card', hint: 'Send the model card as a JSON object.' });
    }
  }
  const card = parseModelCard(json, 'card');
  const sha256 = sha256Hex(bytes);
  if (card.sha256 && card.sha256.toLowerCase() !== sha256) {
    throw new ArgumentError(`the card's sha256 ${card.sha256.slice(0, 12)}… does not match the uploaded bytes (${sha256.slice(0, 12)}…)`, {
      where: 'card.sha256',
      hint: 'Upload the file the card describes, or leave sha256 out of the card.',
    });
  }
  const info = inspectOnnx(bytes, card, 'model');
  const checked = checkCardAgainstModel(card, info, 'card');
  if (await deps.db.model.findUnique({ where: { name_version: { name: card.name, version: card.version } }, select: { id: true } })) {
    throw duplicate(card.name, card.version);
  }
  const storedCard: ModelCard = { ...checked, sha256 };
  const existed = await deps.blobs.has(sha256);
  await deps.blobs.put(bytes);
  try {
    const row = await deps.db.model.create({
      data: {
        name: card.name,
        version: card.version,
        task: card.task,
        card: JSON.parse(JSON.stringify(storedCard)) as object,
        sha256,
        bytes: BigInt(bytes.byteLength),
        licence: card.licence,
        unsupportedOps: info.unsupportedOps,
      },
      select: { id: true },
    });
    return { id: row.id, sha256, unsupportedOps: info.unsupportedOps };
  } catch (e) {
    if (!existed) await collectModelBlob(deps, sha256).catch(() => undefined);
    if (isUniqueViolation(e)) throw duplicate(card.name, card.version);
    throw e;
  }
}

export async function listModels(deps: ServiceDeps): Promise<ModelSummary[]> {
  const rows = await deps.db.model.findMany({ orderBy: [{ name: 'asc' }, { createdAt: 'desc' }] });
  return rows.map(toModelSummary);
}

export async function getModel(deps: ServiceDeps, id: string): Promise<ModelSummary> {
  const m = await deps.db.model.findUnique({ where: { id } });
  if (!m) throw notFound('model', id);
  return toModelSummary(m);
}

/**
 * A registered model by reference: its id, `name@version`, or `name` (the most recently registered
 * version). NOT_FOUND names what was looked up.
 */
export async function findModel(deps: ServiceDeps, ref: string): Promise<ModelSummary> {
  const byId = await deps.db.model.findUnique({ where: { id: ref } });
  if (byId) return toModelSummary(byId);
  const at = ref.lastIndexOf('@');
  const m = at > 0
    ? await deps.db.model.findUnique({ where: { name_version: { name: ref.slice(0, at), version: ref.slice(at + 1) } } })
    : await deps.db.model.findFirst({ where: { name: ref }, orderBy: { createdAt: 'desc' } });
  if (!m) throw notFound('model', ref);
  return toModelSummary(m);
}

/** The ONNX bytes of a registered model (and its row). */
export async function getModelBytes(deps: ServiceDeps, id: string): Promise<{ model: ModelSummary; bytes: Uint8Array }> {
  const model = await getModel(deps, id);
  return { model, bytes: await deps.blobs.get(model.sha256) };
}

/**
 * Deletes the model; its finished runs stay (modelId → null, provenance kept in pipeline,
 * modelVersion and params.model). CONFLICT while a run with it is queued or running.
 */
export async function deleteModel(deps: ServiceDeps, id: string): Promise<{ deleted: true; runsKept: number }> {
  const m = await deps.db.model.findUnique({ where: { id }, select: { id: true, sha256: true, name: true, version: true } });
  if (!m) throw notFound('model', id);
  const active = await deps.db.run.count({ where: { modelId: id, status: { in: ['queued', 'running'] } } });
  if (active > 0) {
    throw new TesseraError('CONFLICT', `model ${m.name} ${m.version} has ${active} run(s) in progress`, {
      where: `model:${id}`,
      hint: 'Wait for the runs to finish (or fail) before deleting the model.',
    });
  }
  const runsKept = await deps.db.$transaction(async (tx) => {
    const r = await tx.run.updateMany({ where: { modelId: id }, data: { modelId: null } });
    await tx.model.delete({ where: { id } });
    return r.count;
  });
  await collectModelBlob(deps, m.sha256).catch(() => undefined);
  return { deleted: true, runsKept };
}
