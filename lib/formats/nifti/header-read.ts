/**
 * Parses a NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header from the start of an uncompressed file.
 *
 * Byte order is detected from sizeof_hdr (348/540 read either way). The header is validated:
 * magic, dim[0] in 1..7, dims ≥ 1, total voxels ≤ 2^31, known datatype, vox_offset inside the header
 * rules. Data size against the file length is checked by the reader, not here.
 */
import { FormatError, TruncatedError, UnsupportedFormatError } from '../../errors';
import { readFixedString } from './bytes';
import { datatypeFromCode } from './datatypes';
import type { NiftiHeader, Vec4 } from './types';

export const NIFTI1_HEADER_BYTES = 348;
export const NIFTI2_HEADER_BYTES = 540;
/** Largest voxel count accepted (all dimensions together). */
export const MAX_NIFTI_VOXELS = 2 ** 31;

function detectVersion(bytes: Uint8Array, where: string): { version: 1 | 2; littleEndian: boolean } {
  if (bytes.length < 4) {
    throw new TruncatedError(`file is ${bytes.length} bytes; a NIfTI header needs at least 348`, {
      where,
      hint: 'The upload or download was cut short; send the whole .nii or .nii.gz file.',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const le of [true, false]) {
    const n = view.getInt32(0, le);
    if (n === NIFTI1_HEADER_BYTES) return { version: 1, littleEndian: le };
    if (n === NIFTI2_HEADER_BYTES) return { version: 2, littleEndian: le };
  }
  throw new FormatError(
    `not a NIfTI file: sizeof_hdr is ${view.getInt32(0, true)} (little-endian) / ${view.getInt32(0, false)} (big-endian), expected 348 or 540`,
    { where: `${where}: sizeof_hdr (byte 0)`, hint: 'Upload a NIfTI-1 or NIfTI-2 image (.nii or .nii.gz).' },
  );
}

function checkMagic(bytes: Uint8Array, version: 1 | 2, where: string): string {
  const at = version === 1 ? 344 : 4;
  const magic = readFixedString(bytes, at, 4);
  const fieldWhere = `${where}: magic (byte ${at})`;
  if (magic === `n+${version}`) {
    if (version === 2) {
      const tail = [bytes[8], bytes[9], bytes[10], bytes[11]];
      if (tail[0] !== 0x0d || tail[1] !== 0x0a || tail[2] !== 0x1a || tail[3] !== 0x0a) {
        throw new FormatError('NIfTI-2 magic is followed by damaged bytes (expected \\r\\n\\x1a\\n)', {
          where: fieldWhere,
          hint: 'The file was probably transferred in text mode; re-transfer it as binary.',
        });
      }
    }
    return magic;
  }
  if (magic === `ni${version}`) {
    throw new UnsupportedFormatError(`this is the header of a NIfTI-${version} .hdr/.img pair (magic 'ni${version}'); only single-file NIfTI is read`, {
      where: fieldWhere,
      hint: 'Convert the pair to a single .nii file (e.g. nibabel: nib.save(nib.load("x.hdr"), "x.nii")).',
    });
  }
  if (version === 1 && magic === '') {
    throw new UnsupportedFormatError('this is an Analyze 7.5 header (no NIfTI magic); Analyze is not supported', {
      where: fieldWhere,
      hint: 'Convert it to NIfTI (.nii), e.g. with nibabel or FSL, checking its orientation.',
    });
  }
  throw new FormatError(`bad NIfTI-${version} magic ${JSON.stringify(magic)}, expected 'n+${version}'`, {
    where: fieldWhere,
    hint: 'The file is not NIfTI or its header is corrupt.',
  });
}

/** Little helper over DataView that knows the byte order and converts 64-bit fields to numbers. */
class Reader {
  private readonly view: DataView;
  constructor(
    bytes: Uint8Array,
    private readonly le: boolean,
    private readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8 = (o: number) => this.view.getUint8(o);
  i16 = (o: number) => this.view.getInt16(o, this.le);
  i32 = (o: number) => this.view.getInt32(o, this.le);
  f32 = (o: number) => this.view.getFloat32(o, this.le);
  f64 = (o: number) => this.view.getFloat64(o, this.le);
  i64 = (o: number, field: string): number => {
    const v = this.view.getBigInt64(o, this.le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FormatError(`${field} is ${v}, beyond any plausible size`, {
        where: `${this.where}: ${field}`,
        hint: 'The header is corrupt.',
      });
    }
    return Number(v);
  };
  arr = (o: number, n: number, get: (o: number) => number, width: number) => Array.from({ length: n }, (_, i) => get(o + i * width));
}

function parseV1(bytes: Uint8Array, le: boolean, where: string): Omit<NiftiHeader, 'datatypeName' | 'magic'> {
  const r = new Reader(bytes, le, where);
  return {
    version: 1,
    littleEndian: le,
    sizeof_hdr: NIFTI1_HEADER_BYTES,
    dim_info: r.u8(39),
    dim: r.arr(40, 8, r.i16, 2),
    intent_p1: r.f32(56),
    intent_p2: r.f32(60),
    intent_p3: r.f32(64),
    intent_code: r.i16(68),
    datatype: r.i16(70),
    bitpix: r.i16(72),
    slice_start: r.i16(74),
    pixdim: r.arr(76, 8, r.f32, 4),
    vox_offset: r.f32(108),
    scl_slope: r.f32(112),
    scl_inter: r.f32(116),
    slice_end: r.i16(120),
    slice_code: r.u8(122),
    xyzt_units: r.u8(123),
    cal_max: r.f32(124),
    cal_min: r.f32(128),
    slice_duration: r.f32(132),
    toffset: r.f32(136),
    descrip: readFixedString(bytes, 148, 80),
    aux_file: readFixedString(bytes, 228, 24),
    qform_code: r.i16(252),
    sform_code: r.i16(254),
    quatern_b: r.f32(256),
    quatern_c: r.f32(260),
    quatern_d: r.f32(264),
    qoffset_x: r.f32(268),
    qoffset_y: r.f32(272),
    qoffset_z: r.f32(276),
    srow_x: r.arr(280, 4, r.f32, 4) as Vec4,
    srow_y: r.arr(296, 4, r.f32, 4) as Vec4,
    srow_z: r.arr(312, 4, r.f32, 4) as Vec4,
    intent_name: readFixedString(bytes, 328, 16),
  };
}

function parseV2(bytes: Uint8Array, le: boolean, where: string): Omit<NiftiHeader, 'datatypeName' | 'magic'> {
  const r = new Reader(bytes, le, where);
  return {
    version: 2,
    littleEndian: le,
    sizeof_hdr: NIFTI2_HEADER_BYTES,
    datatype: r.i16(12),
    bitpix: r.i16(14),
    dim: Array.from({ length: 8 }, (_, i) => r.i64(16 + 8 * i, `dim[${i}]`)),
    intent_p1: r.f64(80),
    intent_p2: r.f64(88),
    intent_p3: r.f64(96),
    pixdim: r.arr(104, 8, r.f64, 8),
    vox_offset: r.i64(168, 'vox_offset'),
    scl_slope: r.f64(176),
    scl_inter: r.f64(184),
    cal_max: r.f64(192),
    cal_min: r.f64(200),
    slice_duration: r.f64(208),
    toffset: r.f64(216),
    slice_start: r.i64(224, 'slice_start'),
    slice_end: r.i64(232, 'slice_end'),
    descrip: readFixedString(bytes, 240, 80),
    aux_file: readFixedString(bytes, 320, 24),
    qform_code: r.i32(344),
    sform_code: r.i32(348),
    quatern_b: r.f64(352),
    quatern_c: r.f64(360),
    quatern_d: r.f64(368),
    qoffset_x: r.f64(376),
    qoffset_y: r.f64(384),
    qoffset_z: r.f64(392),
    srow_x: r.arr(400, 4, r.f64, 8) as Vec4,
    srow_y: r.arr(432, 4, r.f64, 8) as Vec4,
    srow_z: r.arr(464, 4, r.f64, 8) as Vec4,
    slice_code: r.i32(496),
    xyzt_units: r.i32(500),
    intent_code: r.i32(504),
    intent_name: readFixedString(bytes, 508, 16),
    dim_info: r.u8(524),
  };
}

function checkDims(dim: number[], where: string): void {
  const n = dim[0];
  if (!Number.isInteger(n) || n < 1 || n > 7) {
    throw new FormatError(`dim[0] (number of dimensions) is ${n}, must be 1..7`, {
      where: `${where}: dim[0]`,
      hint: 'The header is corrupt or not NIfTI.',
    });
  }
  let total = 1;
  for (let i = 1; i <= n; i++) {
    if (dim[i] < 1) {
      throw new FormatError(`dim[${i}] is ${dim[i]}, every used dimension must be ≥ 1`, {
        where: `${where}: dim[${i}]`,
        hint: 'The header is corrupt, or the image is empty; re-export it with its real size.',
      });
    }
    total *= dim[i];
  }
  if (total > MAX_NIFTI_VOXELS) {
    throw new FormatError(`dims ${dim.slice(1, n + 1).join('×')} give ${total} voxels, more than the 2^31 this reader accepts`, {
      where: `${where}: dim`,
      hint: 'The header is probably corrupt; if the image really is this large, crop or downsample it before upload.',
    });
  }
}

/**
 * Parses and validates the header of an uncompressed single-file NIfTI-1/2 image.
 * Throws TruncatedError (too short), FormatError (not NIfTI, bad dims), UnsupportedFormatError
 * (pair / Analyze / datatype). Never returns null.
 */
export function parseNiftiHeader(bytes: Uint8Array, where = 'nifti'): NiftiHeader {
  const { version, littleEndian } = detectVersion(bytes, where);
  const size = version === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES;
  if (bytes.length < size) {
    throw new TruncatedError(`NIfTI-${version} header needs ${size} bytes but the file has ${bytes.length}`, {
      where: `${where}: header`,
      hint: 'The file was cut short; send the whole file.',
    });
  }
  const magic = checkMagic(bytes, version, where);
  const raw = version === 1 ? parseV1(bytes, littleEndian, where) : parseV2(bytes, littleEndian, where);
  checkDims(raw.dim, where);
  const dt = datatypeFromCode(raw.datatype, `${where}: datatype`);
  let voxOffset = Math.floor(raw.vox_offset);
  if (voxOffset === 0) voxOffset = size + 4; // nibabel's fix for single files written with 0
  if (!Number.isFinite(voxOffset) || voxOffset < size) {
    throw new FormatError(`vox_offset is ${raw.vox_offset}, inside the ${size}-byte header`, {
      where: `${where}: vox_offset`,
      hint: `A single-file NIfTI-${version} stores voxels at byte ${size + 4} or later; the header is corrupt.`,
    });
  }
  return { ...raw, magic, datatypeName: dt.name, vox_offset: voxOffset };
}
