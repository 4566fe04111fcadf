/**
 * NIfTI-1/2 writer (single file, optional gzip, either byte order, any supported datatype).
 *
 * Voxels start right after the header and the 4-byte (empty) extension flag: byte 352 (NIfTI-1) or
 * 544 (NIfTI-2). Inputs are never modified.
 */
import { ArgumentError, ShapeError } from '../../errors';
import { type Affine, type LabelVolume, type NumericArray, type Vec3, validateVolume } from '../../volume';
import { affineToQuaternion, spatialUnitsCode } from './affine';
import { HOST_LITTLE_ENDIAN, gzip, swapInPlace } from './bytes';
import { NIFTI_DATATYPES, type NiftiDatatypeInfo, type NiftiDatatypeName } from './datatypes';
import { encodeNiftiHeader } from './header-write';
import type { NiftiHeader, NiftiWriteInput, NiftiWriteOptions, Vec4 } from './types';

/** NIFTI_INTENT_LABEL: voxel values are indices into a label set. */
export const NIFTI_INTENT_LABEL = 1002;

const ARRAY_DATATYPE: ReadonlyArray<[new (n: number) => NumericArray, NiftiDatatypeName]> = [
  [Uint8Array, 'uint8'],
  [Int8Array, 'int8'],
  [Int16Array, 'int16'],
  [Uint16Array, 'uint16'],
  [Int32Array, 'int32'],
  [Uint32Array, 'uint32'],
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
];

function datatypeOfArray(data: NumericArray): NiftiDatatypeName {
  for (const [ctor, name] of ARRAY_DATATYPE) if (data instanceof ctor) return name;
  throw new ArgumentError('volume.data is not a supported typed array', {
    where: 'volume.data',
    hint: 'Use a Uint8/Int8/Uint16/Int16/Uint32/Int32/Float32/Float64Array.',
  });
}

/** Stored bytes of `data` as datatype `dt` in the requested byte order (always a fresh buffer). */
function encodeScalars(data: NumericArray, dt: NiftiDatatypeInfo, littleEndian: boolean, where: string): Uint8Array {
  const n = data.length;
  const sameType = datatypeOfArray(data) === (dt.name === 'rgb24' ? 'uint8' : dt.name);
  if (dt.integer && !sameType) {
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < dt.min || v > dt.max) {
        throw new ArgumentError(`value ${v} cannot be stored as ${dt.name} (integers ${dt.min}..${dt.max})`, {
          where: `${where}[${i}]`,
          hint: `Round/clip the data first or write it as float32/float64.`,
        });
      }
    }
  }
  let out: Uint8Array;
  switch (dt.name) {
    case 'int64':
    case 'uint64': {
      const big = dt.name === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) big[i] = BigInt(data[i]);
      out = new Uint8Array(big.buffer);
      break;
    }
    default: {
      const ctor = {
        uint8: Uint8Array,
        rgb24: Uint8Array,
        int8: Int8Array,
        int16: Int16Array,
        uint16: Uint16Array,
        int32: Int32Array,
        uint32: Uint32Array,
        float32: Float32Array,
        float64: Float64Array,
      }[dt.name];
      const typed = new ctor(n);
      typed.set(data);
      out = new Uint8Array(typed.buffer);
    }
  }
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapInPlace(out, dt.elementBytes);
  return out;
}

function checkOptions(opts: NiftiWriteOptions): { version: 1 | 2; littleEndian: boolean; gzip: boolean } {
  const version = opts.version ?? 1;
  if (version !== 1 && version !== 2) {
    throw new ArgumentError(`NIfTI version must be 1 or 2, got ${String(version)}`, { where: 'opts.version', hint: 'Pass 1 or 2.' });
  }
  return { version, littleEndian: opts.littleEndian ?? true, gzip: opts.gzip ?? false };
}

function checkDimsFit(shape: Vec3, version: 1 | 2, where: string): void {
  if (version === 1 && shape.some((d) => d > 32767)) {
    throw new ArgumentError(`shape ${shape.join('×')} does not fit NIfTI-1's 16-bit dims`, { where, hint: 'Write NIfTI-2 (version: 2).' });
  }
}

/** Serialises a header and the stored voxel bytes into a (possibly gzipped) file. */
function assemble(header: NiftiHeader, voxels: Uint8Array, o: { version: 1 | 2; littleEndian: boolean; gzip: boolean }): Uint8Array {
  const head = encodeNiftiHeader(header, o.version, o.littleEndian);
  const file = new Uint8Array(head.length + voxels.length);
  file.set(head, 0);
  file.set(voxels, head.length);
  return o.gzip ? gzip(file) : file;
}

function finiteAffine(a: Affine, where: string): void {
  if (a.length !== 4 || a.some((row) => row.length !== 4 || row.some((x) => !Number.isFinite(x)))) {
    throw new ArgumentError('affine must be a 4×4 matrix of finite numbers', { where, hint: 'Pass a row-major 4×4 voxel → world matrix.' });
  }
}

/** A blank header (every field zero/empty) with the given geometry. */
function baseHeader(shape: Vec3, dt: NiftiDatatypeInfo, spacing: Vec3): NiftiHeader {
  return {
    version: 1,
    littleEndian: true,
    sizeof_hdr: 348,
    magic: 'n+1',
    dim_info: 0,
    dim: [3, shape[0], shape[1], shape[2], 1, 1, 1, 1],
    intent_p1: 0,
    intent_p2: 0,
    intent_p3: 0,
    intent_code: 0,
    intent_name: '',
    datatype: dt.code,
    datatypeName: dt.name,
    bitpix: dt.bitpix,
    slice_start: 0,
    slice_end: 0,
    slice_code: 0,
    slice_duration: 0,
    pixdim: [1, spacing[0], spacing[1], spacing[2], 1, 1, 1, 1],
    vox_offset: 352,
    scl_slope: 1,
    scl_inter: 0,
    cal_max: 0,
    cal_min: 0,
    toffset: 0,
    xyzt_units: 0,
    descrip: '',
    aux_file: '',
    qform_code: 0,
    sform_code: 0,
    quatern_b: 0,
    quatern_c: 0,
    quatern_d: 0,
    qoffset_x: 0,
    qoffset_y: 0,
    qoffset_z: 0,
    srow_x: [0, 0, 0, 0],
    srow_y: [0, 0, 0, 0],
    srow_z: [0, 0, 0, 0],
  };
}

/**
 * Writes a 3D image as a single-file NIfTI (see `NiftiWriteInput` for what goes where).
 * Defaults: NIfTI-1, little-endian, no gzip, qform_code = sform_code = 1, scl_slope 1, scl_inter 0.
 * The sform rows are the affine's first three rows; the qform holds its rotation (pixdim[0] = qfac
 * = -1 for a left-handed affine) and translation, with pixdim[1..3] = volume.spacing.
 * Throws ArgumentError/ShapeError for inconsistent input (e.g. values that do not fit the datatype).
 */
export function writeNifti(input: NiftiWriteInput, opts: NiftiWriteOptions = {}): Uint8Array {
  const o = checkOptions(opts);
  const { volume } = input;
  const components = input.components ?? (input.datatype === 'rgb24' ? 3 : 1);
  const dtName = input.datatype ?? (components === 3 ? 'rgb24' : datatypeOfArray(volume.data));
  const dt = NIFTI_DATATYPES[dtName];
  if (!dt) {
    throw new ArgumentError(`unknown datatype '${String(dtName)}'`, { where: 'input.datatype', hint: `Use one of ${Object.keys(NIFTI_DATATYPES).join(', ')}.` });
  }
  if (dt.components !== components) {
    throw new ArgumentError(`datatype ${dt.name} has ${dt.components} component(s) but components is ${components}`, {
      where: 'input.components',
      hint: "Use components: 3 only with datatype 'rgb24'.",
    });
  }
  // validateVolume checks shape and spacing; the data length check allows for RGB components.
  validateVolume({ ...volume, data: volume.data.subarray(0, volume.shape[0] * volume.shape[1] * volume.shape[2]) }, 'volume');
  const voxels = volume.shape[0] * volume.shape[1] * volume.shape[2];
  if (volume.data.length !== voxels * components) {
    throw new ShapeError(`data has ${volume.data.length} values but shape ${volume.shape.join('×')} × ${components} component(s) needs ${voxels * components}`, {
      where: 'volume.data',
    });
  }
  checkDimsFit(volume.shape, o.version, 'volume.shape');
  const spacing = volume.spacing;
  const affine: Affine = volume.affine ?? [
    [spacing[0], 0, 0, 0],
    [0, spacing[1], 0, 0],
    [0, 0, spacing[2], 0],
    [0, 0, 0, 1],
  ];
  finiteAffine(affine, 'volume.affine');
  const header = baseHeader(volume.shape, dt, spacing);
  header.qform_code = input.qform_code ?? 1;
  header.sform_code = input.sform_code ?? 1;
  if (header.qform_code > 0) {
    const q = affineToQuaternion(affine, 'volume.affine');
    Object.assign(header, { quatern_b: q.b, quatern_c: q.c, quatern_d: q.d, qoffset_x: q.offset[0], qoffset_y: q.offset[1], qoffset_z: q.offset[2] });
    header.pixdim[0] = q.qfac;
  }
  if (header.sform_code > 0) {
    header.srow_x = [...affine[0]] as Vec4;
    header.srow_y = [...affine[1]] as Vec4;
    header.srow_z = [...affine[2]] as Vec4;
  }
  header.xyzt_units = spatialUnitsCode(volume.units);
  header.scl_slope = input.scl_slope ?? 1;
  header.scl_inter = input.scl_inter ?? 0;
  header.descrip = input.descrip ?? '';
  header.intent_code = input.intent_code ?? 0;
  header.intent_name = input.intent_name ?? '';
  header.cal_min = input.cal_min ?? 0;
  header.cal_max = input.cal_max ?? 0;
  return assemble(header, encodeScalars(volume.data, dt, o.littleEndian, 'volume.data'), o);
}

/**
 * Writes an instance label volume (0 = background) as NIfTI: uint16 when the largest label is
 * ≤ 65535, else uint32; intent NIFTI_INTENT_LABEL, no scaling, cal_max = largest label.
 *
 * With `like` (the header of the image the labels were computed on) the output keeps its version,
 * grid, pixdim, qform/sform (codes and parameters copied verbatim), xyzt_units, dim_info and slice
 * fields, so viewers overlay it exactly; `labels.shape` must equal like's dim[1..3] (ShapeError
 * otherwise). With `like = null` it is written like `writeNifti` from `labels.spacing/affine/units`.
 * Always little-endian.
 */
export function writeLabelNifti(labels: LabelVolume, like: NiftiHeader | null, opts: { gzip?: boolean } = {}): Uint8Array {
  validateVolume(labels, 'labels');
  if (!(labels.data instanceof Uint32Array)) {
    throw new ArgumentError('labels.data must be a Uint32Array', { where: 'labels.data', hint: 'Convert the label map to Uint32Array.' });
  }
  let max = 0;
  for (let i = 0; i < labels.data.length; i++) if (labels.data[i] > max) max = labels.data[i];
  const dt = NIFTI_DATATYPES[max <= 65535 ? 'uint16' : 'uint32'];
  if (like === null) {
    return writeNifti(
      { volume: labels, datatype: dt.name, intent_code: NIFTI_INTENT_LABEL, cal_max: max, descrip: 'labels' },
      { gzip: opts.gzip },
    );
  }
  const likeShape = [1, 2, 3].map((i) => (i <= like.dim[0] ? like.dim[i] : 1));
  if (likeShape.some((d, i) => d !== labels.shape[i])) {
    throw new ShapeError(`labels shape ${labels.shape.join('×')} differs from the reference image's ${likeShape.join('×')}`, {
      where: 'labels.shape',
      hint: 'Write labels on the grid of the image they were computed from, or pass like = null.',
    });
  }
  const o = { version: like.version, littleEndian: true, gzip: opts.gzip ?? false };
  checkDimsFit(labels.shape, o.version, 'labels.shape');
  const header: NiftiHeader = {
    ...like,
    dim: [3, labels.shape[0], labels.shape[1], labels.shape[2], 1, 1, 1, 1],
    pixdim: [...like.pixdim.slice(0, 4), 1, 1, 1, 1],
    datatype: dt.code,
    datatypeName: dt.name,
    bitpix: dt.bitpix,
    scl_slope: 1,
    scl_inter: 0,
    cal_min: 0,
    cal_max: max,
    intent_code: NIFTI_INTENT_LABEL,
    intent_p1: 0,
    intent_p2: 0,
    intent_p3: 0,
    intent_name: 'labels',
    descrip: 'labels',
  };
  return assemble(header, encodeScalars(labels.data, dt, true, 'labels.data'), o);
}
