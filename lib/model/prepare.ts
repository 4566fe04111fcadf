/**
 * From a volume to a network input tensor and from the network output back to a class label map
 * on the volume's own grid (pure, isomorphic).
 *
 * `prepareModelInput(vol, card)`: normalise (over the whole native volume, lib/model/normalise.ts)
 * → reorient to RAS+ when `axisOrder` is 'zyx' (lib/model/layout.ts) → conform (resample to the
 * card's spacing, crop/pad to `shape` / `multipleOf`, padding with the normalised minimum;
 * lib/model/conform.ts) → tensor layout ('file' / 'zyx': [1,1,z,y,x]; 'xyz': [1,1,x,y,z]).
 * The card's `spacing` and `shape` are [x,y,z] in the axes after reorientation.
 *
 * `labelsFromOutput(out, mapping)`: class per voxel (argmax over channels, ties to the lowest, for
 * logits; the values themselves for ArgMax/int outputs) → undo the layout, the conform step
 * (nearest neighbour) and the reorientation. Uint8Array when every class id < 256, else Uint16Array.
 */
import { ArgumentError, ShapeError } from '../errors';
import { type Vec3, type Volume, validateVolume } from '../volume';
import type { AxisOrder, ModelCard } from './card';
import { type ConformRecord, conformImage, planConform, unconformLabels } from './conform';
import { type Orientation, orientationOf, reorient, tensorToVolume, unorient, volumeToTensor } from './layout';
import { type NormaliseStats, normalise } from './normalise';

/** Everything needed to bring a network output back to the native grid (JSON-serialisable). */
export interface InputMapping {
  axisOrder: AxisOrder;
  /** The input volume's shape [x,y,z]. */
  nativeShape: Vec3;
  /** RAS+ reorientation ('zyx' only). */
  orientation: Orientation | null;
  conform: ConformRecord;
  /** The tensor fed to the network. */
  tensorDims: number[];
  outputKind: ModelCard['output']['kind'];
}

export interface PreparedInput {
  input: { data: Float32Array; dims: number[] };
  mapping: InputMapping;
  /** JSON-serialisable record for the Run: normalisation numbers, axis order, orientation, conform record, tensor dims. */
  params: Record<string, unknown>;
}

export interface ModelOutput {
  data: Float32Array | Int32Array;
  dims: number[];
  type: 'float32' | 'int32';
}

/** Normalise → (reorient) → conform → layout. The volume is not modified. */
export function prepareModelInput(vol: Volume, card: ModelCard): PreparedInput {
  validateVolume(vol, 'prepareModelInput');
  const ci = card.input;
  if (ci.channels !== 1) {
    throw new ArgumentError(`the model card asks for ${ci.channels} input channels; volumes have one`, {
      where: 'card.input.channels',
      hint: 'Only single-channel models can run on a volume; set input.channels to 1 if the model takes one channel.',
    });
  }
  const norm = normalise(vol.data, ci.normalisation);
  let data = norm.data;
  let shape: Vec3 = [...vol.shape] as Vec3;
  let spacing: Vec3 = [...vol.spacing] as Vec3;
  let orientation: Orientation | null = null;
  if (ci.axisOrder === 'zyx') {
    orientation = orientationOf(vol.affine);
    const r = reorient(data, shape, spacing, vol.affine, orientation);
    data = r.data;
    shape = r.shape;
    spacing = r.spacing;
  }
  let padValue = Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] < padValue) padValue = data[i];
  const conform = planConform(shape, spacing, { spacing: ci.spacing, shape: ci.shape, multipleOf: ci.multipleOf, padValue });
  const grid = conformImage(data, conform);
  const input = volumeToTensor(grid, conform.gridShape, ci.axisOrder);
  const mapping: InputMapping = {
    axisOrder: ci.axisOrder,
    nativeShape: [...vol.shape] as Vec3,
    orientation,
    conform,
    tensorDims: input.dims,
    outputKind: card.output.kind,
  };
  const params: Record<string, unknown> = {
    normalisation: norm.stats satisfies NormaliseStats,
    axisOrder: ci.axisOrder,
    orientation,
    conform,
    tensorDims: input.dims,
  };
  return { input, mapping, params: JSON.parse(JSON.stringify(params)) as Record<string, unknown> };
}

/** Class per voxel of the output tensor, in tensor order (length = product of the 3 spatial dims). */
function classesOf(out: ModelOutput, mapping: InputMapping): { cls: Uint8Array | Uint16Array; classCount: number } {
  const where = 'labelsFromOutput';
  const d = out.dims;
  const spatial = mapping.tensorDims.slice(-3);
  if (d.length < 3 || d.slice(-3).join() !== spatial.join()) {
    throw new ShapeError(`output dims [${d.join(',')}] do not end with the input's spatial dims [${spatial.join(',')}]`, {
      where,
      hint: 'The model must output one score (or class) per input voxel.',
    });
  }
  const n = spatial[0] * spatial[1] * spatial[2];
  const lead = d.slice(0, -3);
  const leadCount = lead.reduce((a, b) => a * b, 1);
  if (out.data.length !== leadCount * n) throw new ShapeError(`output has ${out.data.length} values, dims [${d.join(',')}] need ${leadCount * n}`, { where });
  const isClassIds = out.type === 'int32' || mapping.outputKind === 'argmax';
  if (isClassIds) {
    if (leadCount !== 1) throw new ShapeError(`a class-id output must have one value per voxel, got dims [${d.join(',')}]`, { where });
    let max = 0;
    for (let i = 0; i < n; i++) {
      const v = out.data[i];
      if (!(Number.isInteger(v) && v >= 0 && v <= 65535)) {
        throw new ArgumentError(`output value ${v} at ${i} is not a class id (0..65535)`, { where, hint: "Set the card's output.kind to 'logits' if the model outputs scores." });
      }
      if (v > max) max = v;
    }
    const cls = max < 256 ? new Uint8Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) cls[i] = out.data[i];
    return { cls, classCount: max + 1 };
  }
  if (d.length !== 5 || d[0] !== 1) throw new ShapeError(`logits must be [1, C, d0, d1, d2], got [${d.join(',')}]`, { where });
  const c = d[1];
  if (c < 2) {
    throw new ArgumentError('a single-channel float output is ambiguous (sigmoid probability or logit?)', {
      where,
      hint: 'Export the model with one channel per class (incl. background) or ending in ArgMax.',
    });
  }
  if (c > 65536) throw new ArgumentError(`${c} output channels exceed 65536 classes`, { where });
  const cls = c <= 256 ? new Uint8Array(n) : new Uint16Array(n);
  const x = out.data;
  for (let i = 0; i < n; i++) {
    let best = x[i];
    let k = 0;
    for (let j = 1; j < c; j++) {
      const v = x[j * n + i];
      if (v > best) {
        best = v;
        k = j;
      }
    }
    cls[i] = k;
  }
  return { cls, classCount: c };
}

/** Number of classes the output encodes: channels for logits, max id + 1 for class-id outputs. */
export function outputClassCount(out: ModelOutput, mapping: InputMapping): number {
  return classesOf(out, mapping).classCount;
}

/** The class label map on the native grid (x fastest, `mapping.nativeShape`). */
export function labelsFromOutput(out: ModelOutput, mapping: InputMapping): Uint8Array | Uint16Array {
  const { cls } = classesOf(out, mapping);
  const grid = tensorToVolume(cls, mapping.conform.gridShape, mapping.axisOrder);
  const oriented = unconformLabels(grid, mapping.conform);
  return mapping.orientation ? unorient(oriented, mapping.nativeShape, mapping.orientation) : oriented;
}

/**
 * The card's sliding window ([x,y,z] in the volume's axes after reorientation) in the tensor's
 * spatial order — z,y,x for 'file'/'zyx', x,y,z for 'xyz' — or null when the card has none.
 */
export function tensorWindow(card: ModelCard, mapping: Pick<InputMapping, 'axisOrder'>): number[] | null {
  const w = card.input.window ?? null;
  if (!w) return null;
  return mapping.axisOrder === 'xyz' ? [w[0], w[1], w[2]] : [w[2], w[1], w[0]];
}

/**
 * The card's sliding-window options in the tensor's spatial order: window, overlap (default 0.5)
 * and the test-time mirroring axes (card.input.mirror, 'x'|'y'|'z' → tensor spatial indices:
 * x = 2, y = 1, z = 0 for 'file'/'zyx'; x = 0, y = 1, z = 2 for 'xyz'); null without a window.
 */
export function tensorSliding(card: ModelCard, mapping: Pick<InputMapping, 'axisOrder'>): { window: number[]; overlap: number; mirror: number[] } | null {
  const window = tensorWindow(card, mapping);
  if (!window) return null;
  const index = mapping.axisOrder === 'xyz' ? { x: 0, y: 1, z: 2 } : { x: 2, y: 1, z: 0 };
  const mirror = (card.input.mirror ?? []).map((a) => index[a]).sort((a, b) => a - b);
  return { window, overlap: card.input.overlap ?? 0.5, mirror };
}
