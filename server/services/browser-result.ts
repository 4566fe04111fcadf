/**
 * Checks shared by the two kinds of browser result (POST /api/runs/:id/result): the classical
 * pipeline's label volume (browser-runs.ts) and a model's class map (model-runs.ts). Each caller
 * passes its own `bad` (an ArgumentError with its hint), so the messages say what to upload.
 */
import type { z } from 'zod';
import { readNifti, type NiftiImage } from '@/lib/formats/nifti';

/**
 * The columns of a new browser Run (classical or model): location 'browser', running from now,
 * stage 'loading'; the adapter is kept only for 'webgpu' (a CPU / wasm run has none).
 */
export function browserRunColumns(runner: string, device: 'webgpu' | 'cpu', adapter: string | null | undefined) {
  return {
    location: 'browser',
    runner,
    device,
    adapter: device === 'webgpu' ? (adapter ?? null) : null,
    status: 'running' as const,
    stage: 'loading',
    progress: 0,
    startedAt: new Date(),
  };
}

/** Builds the caller's INVALID_ARGUMENT error (message, where, optional hint). */
export type BadResult = (message: string, where: string, hint?: string) => Error;

/** The "result" field (JSON text or an already parsed value) checked with `schema`. */
export function parseResultJson<S extends z.ZodType>(schema: S, raw: unknown, bad: BadResult, invalidHint?: string): z.infer<S> {
  let json: unknown = raw;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch {
      throw bad('the "result" field is not valid JSON', 'result');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(`invalid result: ${issue.message}`, `result.${issue.path.join('.')}`, invalidHint);
  }
  return parsed.data;
}

/**
 * Reads the uploaded label NIfTI and checks it holds integers, one component, on the study's shape
 * and spacing (relative tolerance 1e-4). `noun` names it in the messages ('class map', 'label
 * volume'), `values` says what its voxels hold ('class ids', 'labels').
 */
export function readLabelsOnStudyGrid(bytes: Uint8Array, original: NiftiImage, bad: BadResult, noun: string, values: string): NiftiImage {
  const img = readNifti(bytes, 'labels');
  const data = img.volume.data;
  const integer =
    data instanceof Uint8Array || data instanceof Uint16Array || data instanceof Uint32Array || data instanceof Int8Array || data instanceof Int16Array || data instanceof Int32Array;
  if (!integer || img.components !== 1) throw bad(`the ${noun} must hold integer ${values} (got ${img.header.datatypeName})`, 'labels');
  const o = original.volume;
  if (img.volume.shape.some((n, i) => n !== o.shape[i])) {
    throw bad(`the ${noun} is ${img.volume.shape.join('×')} voxels but the study is ${o.shape.join('×')}`, 'labels.shape');
  }
  for (let a = 0; a < 3; a++) {
    if (!(Math.abs(img.volume.spacing[a] - o.spacing[a]) <= 1e-4 * Math.max(1, Math.abs(o.spacing[a])))) {
      throw bad(`the ${noun}'s spacing ${img.volume.spacing.join(' × ')} differs from the study's ${o.spacing.join(' × ')}`, 'labels.spacing');
    }
  }
  return img;
}
