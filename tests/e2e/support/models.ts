/**
 * Model-run test support (Node side of the browser tests): the MeshNet GWM card, a crop of the
 * brainchop T1 written as a NIfTI with the crop's affine, a tiny model with an op the tessera
 * engine lacks, registration through POST /api/models, and the onnxruntime-node reference class
 * map computed with lib/model/prepare.ts exactly as a run prepares its input.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readNifti, writeNifti } from '@/lib/formats/nifti';
import type { ModelCard } from '@/lib/model/card';
import { labelsFromOutput, prepareModelInput } from '@/lib/model/prepare';
import type { Affine, Vec3, Volume } from '@/lib/volume';
import { buildModel } from '@/gpu-kernels/onnx/build-model';
import { freeSpatialDims } from '@/gpu-kernels/onnx/meshnet-data';
import { rng } from '@/gpu-kernels/test-setup';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/api/root';
import { query } from './api';
import { E2E_BASE_URL } from './constants';
import { GWM_CLASS_NAMES, volumeCard } from '@/tests/integration/model-cards';

type Out = inferRouterOutputs<AppRouter>;

/** onnxruntime-node session options: one thread, no spinning (2 shared cores; as gpu-kernels/onnx/ort-compare.ts). */
function ortOptions(): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: 1, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } };
}
export type ModelSummary = Out['models']['list'][number];

export const GWM_PATH = new URL('../../../../shared/data/models/meshnet_gwm_niivue/model.onnx', import.meta.url).pathname;
export const T1_PATH = new URL('../../../../shared/data/volumes/brainchop_t1_crop.nii.gz', import.meta.url).pathname;

export const modelsApi = {
  list: () => query('models.list') as Promise<Out['models']['list']>,
};

/**
 * MeshNet GWM (niivue's brainchop port): channel order from the model's colormap3.json
 * (0 background, 1 white matter, 2 grey matter). Colours chosen to be unmistakable on the canvas;
 * background gets a vivid colour that must never be drawn (class 0 is transparent).
 */
export function gwmCard(version: string): ModelCard {
  const [bg, wm, gm] = GWM_CLASS_NAMES;
  return volumeCard({
    name: 'meshnet-gwm',
    version,
    licence: 'BSD-2-Clause',
    source: 'niivue-onnx (brainchop MeshNet GWM)',
    normalisation: { kind: 'minmax' },
    classes: [
      [bg, '#00ff00'],
      [wm, '#00a0ff'],
      [gm, '#ff2080'],
    ],
    minInstanceVoxels: 20,
  });
}

/** A tiny 3-class net Conv(1→3, 3³, pad 1) → Erf: Erf is not an op of the tessera engine. */
export function erfModel(): Uint8Array {
  const r = rng(2024);
  const w = Array.from({ length: 3 * 27 }, () => (r() - 0.5) * 0.2);
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 1, 'd', 'h', 'w'] }],
    outputs: [{ name: 'y', dims: [1, 3, 'd', 'h', 'w'] }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] } },
      { op: 'Erf', inputs: ['c'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'w', dims: [3, 1, 3, 3, 3], data: w },
      { name: 'b', dims: [3], data: [0.05, -0.1, 0] },
    ],
    opset: 17,
  });
}

export function erfCard(version: string): ModelCard {
  return volumeCard({
    name: 'tiny-erf',
    version,
    licence: 'MIT',
    normalisation: { kind: 'zscore' },
    classes: [
      ['background', '#000000'],
      ['low', '#ffa000'],
      ['high', '#8000ff'],
    ],
    minInstanceVoxels: 5,
  });
}

/** POST /api/models (multipart: model + card) → { id, unsupportedOps }. */
export async function registerModel(bytes: Uint8Array, card: ModelCard): Promise<{ id: string; sha256: string; unsupportedOps: string[] }> {
  const form = new FormData();
  form.append('model', new Blob([bytes as BlobPart], { type: 'application/octet-stream' }), `${card.name}.onnx`);
  form.append('card', JSON.stringify(card));
  const r = await fetch(`${E2E_BASE_URL}/api/models`, { method: 'POST', body: form });
  const body = (await r.json()) as { id?: string; sha256?: string; unsupportedOps?: string[]; error?: { message?: string } };
  if (r.status !== 201 || !body.id) throw new Error(`POST /api/models: HTTP ${r.status} ${body.error?.message ?? JSON.stringify(body)}`);
  return body as { id: string; sha256: string; unsupportedOps: string[] };
}

/**
 * A `n`³ crop of the brainchop T1 (uint8, 1 mm) starting at `start`, as a gzipped NIfTI whose
 * affine is the original's with the origin moved to the crop's first voxel (same spacing, same
 * orientation), so world coordinates of every voxel are unchanged.
 */
export function t1Crop(n: number, start: Vec3): { bytes: Uint8Array; volume: Volume } {
  const img = readNifti(readFileSync(T1_PATH));
  const v = img.volume;
  const [nx, ny] = v.shape;
  const src = v.data as Uint8Array;
  const data = new Uint8Array(n * n * n);
  for (let z = 0; z < n; z++)
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++) data[x + n * (y + n * z)] = src[start[0] + x + nx * (start[1] + y + ny * (start[2] + z))];
  const a = v.affine!;
  const affine = a.map((row) => [...row]) as Affine;
  for (let r = 0; r < 3; r++) affine[r][3] = a[r][3] + a[r][0] * start[0] + a[r][1] * start[1] + a[r][2] * start[2];
  const volume: Volume = { data, shape: [n, n, n], spacing: [...v.spacing] as Vec3, affine, ...(v.units !== undefined ? { units: v.units } : {}) };
  return { bytes: writeNifti({ volume }, { gzip: true }), volume };
}

/**
 * The class map onnxruntime-node gives for `volumeBytes` (read back from the NIfTI bytes the study
 * was uploaded with), prepared by lib/model/prepare.ts with `card` — the reference a run's stored
 * labels are compared with.
 */
export async function ortNodeClassMap(modelBytes: Uint8Array, card: ModelCard, volumeBytes: Uint8Array): Promise<Uint8Array | Uint16Array> {
  const img = readNifti(volumeBytes);
  const prepared = prepareModelInput(img.volume, card);
  const session = await ort.InferenceSession.create(freeSpatialDims(modelBytes), ortOptions());
  try {
    const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', prepared.input.data, prepared.input.dims) });
    const o = res[session.outputNames[0]];
    const dims = Array.from(o.dims as readonly number[]);
    const out =
      o.type === 'float32'
        ? { data: o.data as Float32Array, dims, type: 'float32' as const }
        : { data: Int32Array.from(o.data as ArrayLike<number | bigint>, Number), dims, type: 'int32' as const };
    return labelsFromOutput(out, prepared.mapping);
  } finally {
    await session.release();
  }
}

/** The GWM ONNX bytes. */
export function gwmBytes(): Uint8Array {
  return new Uint8Array(readFileSync(GWM_PATH));
}

/** Fraction of equal values. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Voxel count per value. */
export function histogram(a: ArrayLike<number>): Map<number, number> {
  const h = new Map<number, number>();
  for (let i = 0; i < a.length; i++) h.set(a[i], (h.get(a[i]) ?? 0) + 1);
  return h;
}
