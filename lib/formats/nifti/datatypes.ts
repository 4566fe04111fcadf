/**
 * NIfTI datatype codes this build reads and writes, with their storage sizes.
 *
 * `elementBytes` is the size of one stored scalar; `components` is how many scalars one voxel holds
 * (3 for RGB24, whose voxels are stored as interleaved r, g, b bytes).
 */
import { UnsupportedFormatError } from '../../errors';

export type NiftiDatatypeName =
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'float32'
  | 'float64'
  | 'int64'
  | 'uint64'
  | 'rgb24';

export interface NiftiDatatypeInfo {
  name: NiftiDatatypeName;
  code: number;
  /** Header bitpix: bits per voxel (24 for RGB24). */
  bitpix: number;
  elementBytes: 1 | 2 | 4 | 8;
  components: 1 | 3;
  integer: boolean;
  /** Range of a stored scalar (int64/uint64: the range exactly representable as a JS number). */
  min: number;
  max: number;
}

function info(
  name: NiftiDatatypeName,
  code: number,
  elementBytes: 1 | 2 | 4 | 8,
  integer: boolean,
  min: number,
  max: number,
  components: 1 | 3 = 1,
): NiftiDatatypeInfo {
  return { name, code, bitpix: elementBytes * 8 * components, elementBytes, components, integer, min, max };
}

export const NIFTI_DATATYPES: Readonly<Record<NiftiDatatypeName, NiftiDatatypeInfo>> = {
  uint8: info('uint8', 2, 1, true, 0, 255),
  int16: info('int16', 4, 2, true, -32768, 32767),
  int32: info('int32', 8, 4, true, -2147483648, 2147483647),
  float32: info('float32', 16, 4, false, -3.4028234663852886e38, 3.4028234663852886e38),
  float64: info('float64', 64, 8, false, -Number.MAX_VALUE, Number.MAX_VALUE),
  rgb24: info('rgb24', 128, 1, true, 0, 255, 3),
  int8: info('int8', 256, 1, true, -128, 127),
  uint16: info('uint16', 512, 2, true, 0, 65535),
  uint32: info('uint32', 768, 4, true, 0, 4294967295),
  int64: info('int64', 1024, 8, true, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  uint64: info('uint64', 1280, 8, true, 0, Number.MAX_SAFE_INTEGER),
};

/** Codes defined by the NIfTI standard that this build does not decode. */
const UNSUPPORTED_CODES: Readonly<Record<number, string>> = {
  0: 'DT_UNKNOWN',
  1: 'DT_BINARY (1 bit)',
  32: 'DT_COMPLEX64',
  1536: 'DT_FLOAT128',
  1792: 'DT_COMPLEX128',
  2048: 'DT_COMPLEX256',
  2304: 'DT_RGBA32',
};

const BY_CODE = new Map<number, NiftiDatatypeInfo>(Object.values(NIFTI_DATATYPES).map((d) => [d.code, d]));

/** The datatype for a header code; throws UnsupportedFormatError naming the code otherwise. */
export function datatypeFromCode(code: number, where = 'datatype'): NiftiDatatypeInfo {
  const d = BY_CODE.get(code);
  if (d) return d;
  const known = UNSUPPORTED_CODES[code];
  throw new UnsupportedFormatError(
    `NIfTI datatype ${code}${known ? ` (${known})` : ' (not a NIfTI datatype code)'} is not supported`,
    {
      where,
      hint: `Convert the image to one of ${Object.keys(NIFTI_DATATYPES).join(', ')} (e.g. with nibabel or fslmaths -odt).`,
    },
  );
}
