/**
 * NIfTI-1/2 reader for single files (.nii, .nii.gz; gzip detected by its 1f 8b magic).
 *
 * Only the first 3D volume is decoded (for 4D+ files header.dim[4..7] report the full size); the file
 * must still hold every voxel its header announces. Input bytes are never modified.
 */
import { TruncatedError } from '../../errors';
import type { NumericArray, Vec3 } from '../../volume';
import { axisCodes, headerAffine, headerSpacing, spatialUnits } from './affine';
import { HOST_LITTLE_ENDIAN, maybeGunzip, swapInPlace } from './bytes';
import { NIFTI_DATATYPES, type NiftiDatatypeInfo } from './datatypes';
import { parseNiftiHeader } from './header-read';
import type { NiftiHeader, NiftiImage, NiftiSummary } from './types';

function volumeShape(h: NiftiHeader): Vec3 {
  return [1, 2, 3].map((i) => (i <= h.dim[0] ? h.dim[i] : 1)) as Vec3;
}

/** Number of voxels over all dimensions dim[1..dim[0]]. */
function totalVoxels(h: NiftiHeader): number {
  let n = 1;
  for (let i = 1; i <= h.dim[0]; i++) n *= h.dim[i];
  return n;
}

/** Throws TruncatedError unless `length` bytes hold every voxel the header announces. */
function checkDataLength(h: NiftiHeader, length: number, where: string): void {
  const dt = NIFTI_DATATYPES[h.datatypeName];
  const need = h.vox_offset + totalVoxels(h) * dt.elementBytes * dt.components;
  if (length < need) {
    const dims = h.dim.slice(1, h.dim[0] + 1).join('×');
    throw new TruncatedError(
      `voxel data is cut short: header (${dims} ${dt.name} from byte ${h.vox_offset}) needs ${need} bytes, file has ${length}`,
      { where: `${where}: voxel data`, hint: 'The file was cut short or its dim/datatype fields are wrong; re-export or re-upload it.' },
    );
  }
}

/** Decodes `count` stored scalars at `offset` into a fresh typed array in host byte order. */
function decodeScalars(bytes: Uint8Array, offset: number, count: number, dt: NiftiDatatypeInfo, littleEndian: boolean): NumericArray {
  const copy = bytes.slice(offset, offset + count * dt.elementBytes); // fresh, aligned buffer
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapInPlace(copy, dt.elementBytes);
  const buf = copy.buffer;
  switch (dt.name) {
    case 'uint8':
    case 'rgb24':
      return copy;
    case 'int8':
      return new Int8Array(buf);
    case 'int16':
      return new Int16Array(buf);
    case 'uint16':
      return new Uint16Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'uint32':
      return new Uint32Array(buf);
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'int64':
    case 'uint64': {
      const big = dt.name === 'int64' ? new BigInt64Array(buf) : new BigUint64Array(buf);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(big[i]);
      return out;
    }
  }
}

/** slope/inter as applied: null when they leave values unchanged (slope 0 or non-finite means none). */
export function effectiveScaling(h: NiftiHeader): { slope: number; inter: number } | null {
  const slope = h.scl_slope;
  if (!Number.isFinite(slope) || slope === 0) return null;
  const inter = Number.isFinite(h.scl_inter) ? h.scl_inter : 0;
  if (slope === 1 && inter === 0) return null;
  return { slope, inter };
}

function applyScaling(raw: NumericArray, dt: NiftiDatatypeInfo, slope: number, inter: number): Float32Array | Float64Array {
  const wide = dt.name === 'float64' || dt.name === 'int64' || dt.name === 'uint64';
  const out = wide ? new Float64Array(raw.length) : new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i] * slope + inter;
  return out;
}

function decompressAndParse(bytes: Uint8Array, where: string): { data: Uint8Array; header: NiftiHeader; gzip: boolean } {
  const { bytes: data, gzip } = maybeGunzip(bytes, where);
  const header = parseNiftiHeader(data, where);
  checkDataLength(header, data.length, where);
  return { data, header, gzip };
}

/**
 * Reads a single-file NIfTI-1 or NIfTI-2 image (.nii or .nii.gz), either byte order.
 *
 * - `volume.shape` = dim[1..3] (1 for missing dims); only the first volume of a 4D+ file is decoded.
 * - `volume.spacing` = |pixdim[1..3]| (1 where missing or 0).
 * - `volume.affine`: sform if sform_code > 0, else qform if qform_code > 0, else diag(spacing).
 * - `volume.units` from xyzt_units ('m' | 'mm' | 'um'; undefined when unknown).
 * - `volume.data`: see `NiftiImage` (raw type, or scaled Float32/Float64 when scl_slope/inter apply).
 *
 * @param where names the file in error messages (e.g. the upload's file name).
 */
export function readNifti(bytes: Uint8Array, where = 'nifti'): NiftiImage {
  const { data, header } = decompressAndParse(bytes, where);
  const dt = NIFTI_DATATYPES[header.datatypeName];
  const shape = volumeShape(header);
  const count = shape[0] * shape[1] * shape[2] * dt.components;
  const raw = decodeScalars(data, header.vox_offset, count, dt, header.littleEndian);
  const scaling = dt.components === 1 ? effectiveScaling(header) : null;
  const values = scaling ? applyScaling(raw, dt, scaling.slope, scaling.inter) : raw;
  const units = spatialUnits(header.xyzt_units);
  return {
    header,
    components: dt.components,
    volume: {
      data: values,
      shape,
      spacing: headerSpacing(header),
      affine: headerAffine(header).affine,
      ...(units === undefined ? {} : { units }),
    },
  };
}

/** Summary of a parsed header (shape, spacing, datatype, affine, orientation, units). */
export function summarizeNiftiHeader(header: NiftiHeader, gzip = false): NiftiSummary {
  const { affine, source } = headerAffine(header);
  const dt = NIFTI_DATATYPES[header.datatypeName];
  const units = spatialUnits(header.xyzt_units);
  return {
    version: header.version,
    gzip,
    littleEndian: header.littleEndian,
    dims: header.dim.slice(1, header.dim[0] + 1),
    shape: volumeShape(header),
    spacing: headerSpacing(header),
    datatype: dt.name,
    components: dt.components,
    affine,
    orientation: axisCodes(affine),
    affineSource: source,
    ...(units === undefined ? {} : { units }),
  };
}

/**
 * Cheap check for an upload route: decompresses if gzipped, parses and validates the header and
 * checks the file holds all announced voxel data, without decoding voxels. Throws the same typed
 * errors as `readNifti`.
 */
export function validateNiftiBytes(bytes: Uint8Array, where = 'nifti'): NiftiSummary {
  const { header, gzip } = decompressAndParse(bytes, where);
  return summarizeNiftiHeader(header, gzip);
}
