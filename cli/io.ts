/**
 * File I/O for the CLI: read an image volume or label map from NIfTI (.nii, .nii.gz) or a TIFF
 * stack (.tif, .tiff: ImageJ / OME / plain z stacks, lib/formats/tiff), write label NIfTIs on the
 * input's grid, write bytes (gzip chosen by `.gz`).
 *
 * Outputs are always NIfTI. A label map computed on a NIfTI keeps that file's header (grid, pixdim,
 * qform/sform, units: `writeLabelNifti(labels, header)`). One computed on a TIFF has no header to
 * copy: it is written from the TIFF's voxel size with a diagonal affine diag(sx, sy, sz, 1) (origin
 * 0, qform = sform code 1) and the TIFF's units; spacings in nm / cm / Å (which a NIfTI header cannot
 * name) are converted to µm when the TIFF is read, so the pipelines' physical-unit parameters see µm.
 * Multi-channel TIFFs and hyperstacks with several time points AND several z slices are refused
 * (the reader decodes only channel 0 / frame 0): split them in Fiji first.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ArgumentError, FormatError, TesseraError } from '../lib/errors';
import { readNifti, writeLabelNifti, type NiftiHeader } from '../lib/formats/nifti';
import { readTiffStack, singleStackVolume, type TiffStackMeta } from '../lib/formats/tiff';
import { identityAffine, type LabelVolume, type Volume } from '../lib/volume';

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

export function isTiffPath(path: string): boolean {
  return /\.tiff?$/i.test(path);
}

export function wantsGzip(path: string): boolean {
  return /\.gz$/i.test(path);
}

const INPUT_HINT = 'Give a NIfTI file (.nii, .nii.gz) or a TIFF stack (.tif, .tiff).';

/** An image read by the CLI: the volume, and the NIfTI header when it came from a NIfTI. */
export interface ImageFile {
  format: 'nifti' | 'tiff';
  volume: Volume;
  /** The NIfTI header (label outputs copy it); null for a TIFF (outputs use volume.spacing/affine/units). */
  header: NiftiHeader | null;
  /** The TIFF's layout and metadata (format 'tiff' only). */
  tiff?: TiffStackMeta;
}

function readTiffFile(path: string): ImageFile {
  const stack = readTiffStack(readBytes(path), path);
  return { format: 'tiff', volume: singleStackVolume(stack, path), header: null, tiff: stack.meta };
}

/**
 * Read a single-component 3-D image: NIfTI (.nii, .nii.gz) or TIFF stack (.tif, .tiff), chosen by
 * the extension. Other extensions: ArgumentError (exit 2) naming the file and the accepted formats.
 */
export function readImageFile(path: string): ImageFile {
  if (isTiffPath(path)) return readTiffFile(path);
  if (!isNiftiPath(path)) {
    const ext = /(\.[^./\\]+)$/.exec(path)?.[1];
    throw new ArgumentError(`unsupported input format${ext ? ` '${ext}'` : ' (no extension)'}`, { where: path, hint: INPUT_HINT });
  }
  const img = readNifti(readBytes(path), path);
  if (img.components !== 1) {
    throw new ArgumentError('RGB images cannot be segmented', { where: path, hint: 'Give a single-channel image.' });
  }
  return { format: 'nifti', volume: img.volume, header: img.header };
}

/**
 * The label NIfTI bytes of `labels` (Uint32, on `img`'s grid): the NIfTI input's header kept, or for
 * a TIFF input its spacing on a diagonal affine with its units (see the file comment).
 */
export function labelNiftiFor(img: ImageFile, labels: Uint32Array, opts: { gzip: boolean }): Uint8Array {
  const v = img.volume;
  const vol: LabelVolume = { data: labels, shape: v.shape, spacing: v.spacing, affine: v.affine ?? identityAffine(v.spacing), ...(v.units ? { units: v.units } : {}) };
  return writeLabelNifti(vol, img.header, { gzip: opts.gzip });
}

/** Read a label map (NIfTI or TIFF) as Uint32 labels (values must be non-negative integers). */
export function readLabelFile(path: string): LabelVolume {
  const { volume } = readImageFile(path);
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
