/**
 * File I/O for the CLI: read a NIfTI volume or label map, write bytes (gzip chosen by `.gz`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ArgumentError, FormatError, TesseraError } from '../lib/errors';
import { readNifti, type NiftiImage } from '../lib/formats/nifti';
import type { LabelVolume } from '../lib/volume';

export function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TesseraError('NOT_FOUND', code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'error'})`, {
      where: path,
      hint: 'Check the path.',
      cause: e,
    });
  }
}

export function writeBytes(path: string, bytes: Uint8Array | string): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TesseraError('NOT_FOUND', `cannot write file (${code ?? 'error'})`, { where: path, hint: 'Check that the folder exists and is writable.', cause: e });
  }
}

export function isNiftiPath(path: string): boolean {
  return /\.nii(\.gz)?$/i.test(path);
}

export function wantsGzip(path: string): boolean {
  return /\.gz$/i.test(path);
}

/** Read a single-component 3-D NIfTI image. */
export function readNiftiFile(path: string): NiftiImage {
  if (!isNiftiPath(path)) {
    throw new ArgumentError('unsupported input format', { where: path, hint: 'Give a NIfTI file (.nii or .nii.gz).' });
  }
  const img = readNifti(readBytes(path), path);
  if (img.components !== 1) {
    throw new ArgumentError('RGB images cannot be segmented', { where: path, hint: 'Give a single-channel image.' });
  }
  return img;
}

/** Read a label map as Uint32 labels (values must be non-negative integers). */
export function readLabelFile(path: string): LabelVolume {
  const { volume } = readNiftiFile(path);
  const src = volume.data;
  const data = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!(v >= 0 && Number.isInteger(v) && v <= 0xffffffff)) {
      throw new FormatError(`voxel ${i} has value ${v}, not a label`, { where: path, hint: 'Give an integer label map (0 = background).' });
    }
    data[i] = v;
  }
  return { ...volume, data };
}
