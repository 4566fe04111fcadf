/**
 * Public types of the NIfTI reader and writer.
 *
 * Field names in `NiftiHeader` follow the C structs of nifti1.h / nifti2.h so they can be looked up
 * in the standard; NIfTI-1 and NIfTI-2 are parsed into the same shape (NIfTI-2's 64-bit fields become
 * JS numbers).
 */
import type { Affine, NumericArray, Vec3, Volume } from '../../volume';
import type { NiftiDatatypeName } from './datatypes';

export type Vec4 = [number, number, number, number];

export interface NiftiHeader {
  version: 1 | 2;
  /** Byte order of the file (detected from sizeof_hdr). */
  littleEndian: boolean;
  /** 348 (NIfTI-1) or 540 (NIfTI-2). */
  sizeof_hdr: number;
  /** 'n+1' or 'n+2' (single-file NIfTI; pairs are rejected). */
  magic: string;
  dim_info: number;
  /** dim[0] = number of dimensions (1..7), dim[1..7] sizes. Entries past dim[0] are as stored. */
  dim: number[];
  intent_p1: number;
  intent_p2: number;
  intent_p3: number;
  intent_code: number;
  intent_name: string;
  /** Datatype code (e.g. 4 = int16) and its name. */
  datatype: number;
  datatypeName: NiftiDatatypeName;
  bitpix: number;
  slice_start: number;
  slice_end: number;
  slice_code: number;
  slice_duration: number;
  /** pixdim[0] = qfac (sign of the qform's third axis), pixdim[1..7] voxel sizes, as stored. */
  pixdim: number[];
  /** Byte offset of the voxel data (0 in a single file is read as 352 / 544, like nibabel). */
  vox_offset: number;
  scl_slope: number;
  scl_inter: number;
  cal_max: number;
  cal_min: number;
  toffset: number;
  /** Units code: bits 0-2 space (1 m, 2 mm, 3 µm), bits 3-5 time (8 s, 16 ms, 24 µs). */
  xyzt_units: number;
  descrip: string;
  aux_file: string;
  qform_code: number;
  sform_code: number;
  quatern_b: number;
  quatern_c: number;
  quatern_d: number;
  qoffset_x: number;
  qoffset_y: number;
  qoffset_z: number;
  srow_x: Vec4;
  srow_y: Vec4;
  srow_z: Vec4;
}

/**
 * A decoded NIfTI image. `volume` holds the first 3D volume only (for 4D+ files `header.dim[4..]`
 * still tell the full size). `volume.data` is the raw stored type unless scl_slope/scl_inter rescale
 * it (slope not 0 or 1, or inter not 0), in which case it is Float32Array (Float64Array when the
 * stored type is float64, int64 or uint64). int64/uint64 always read into Float64Array.
 * RGB24: `data` is a Uint8Array of 3 × voxels interleaved r,g,b and `components` is 3 (so
 * `data.length` is 3 × shape product).
 */
export interface NiftiImage {
  header: NiftiHeader;
  volume: Volume;
  components: 1 | 3;
}

/** Cheap description of a NIfTI file (from the header, no voxel decoding). */
export interface NiftiSummary {
  version: 1 | 2;
  gzip: boolean;
  littleEndian: boolean;
  /** Sizes of all dimensions, dim[1..dim[0]]. */
  dims: number[];
  /** Shape of the 3D volume the reader returns. */
  shape: Vec3;
  spacing: Vec3;
  datatype: NiftiDatatypeName;
  components: 1 | 3;
  affine: Affine;
  /** Axis codes such as 'RAS' or 'LIA' (nibabel aff2axcodes). */
  orientation: string;
  units?: string;
  /** Which transform gave the affine. */
  affineSource: 'sform' | 'qform' | 'pixdim';
}

export interface NiftiWriteOptions {
  /** gzip the output (default false). */
  gzip?: boolean;
  /** 1 (348-byte header, default) or 2 (540-byte header, 64-bit dims). */
  version?: 1 | 2;
  /** Byte order (default true = little-endian). */
  littleEndian?: boolean;
}

/**
 * What `writeNifti` writes. `volume.data` holds the *stored* values (they are written as they are:
 * scaling given here is recorded in the header, not applied). `volume.spacing` becomes pixdim[1..3];
 * `volume.affine` (default: diag(spacing)) becomes the sform and, through its rotation, the qform;
 * `volume.units` ('m' | 'mm' | 'um' | 'µm', default unknown) becomes xyzt_units.
 */
export interface NiftiWriteInput {
  volume: Volume<NumericArray>;
  /** Stored datatype; default from the array type (Uint8Array → uint8, ...; rgb24 when components = 3). */
  datatype?: NiftiDatatypeName;
  /** 3 for RGB24 data (Uint8Array, r,g,b interleaved). Default 1. */
  components?: 1 | 3;
  /** Default 1 and 0. */
  scl_slope?: number;
  scl_inter?: number;
  /** Default 1 (NIFTI_XFORM_SCANNER_ANAT) each; 0 leaves that transform out. */
  qform_code?: number;
  sform_code?: number;
  descrip?: string;
  intent_code?: number;
  intent_name?: string;
  cal_min?: number;
  cal_max?: number;
}
