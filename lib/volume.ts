/**
 * The one volume type every reader returns and every algorithm takes.
 *
 * Memory order is NIfTI's: x fastest, then y, then z. The voxel (x, y, z) lives at
 * `data[x + nx * (y + ny * z)]`. `spacing` is the physical size of a voxel along x, y, z, in the
 * volume's `units` (mm for scans, µm for microscopy). `affine` maps voxel indices (x, y, z, 1) to
 * world coordinates, row-major 4×4.
 */
import { ArgumentError, ShapeError } from './errors';

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

export type Vec3 = [number, number, number];
/** Row-major 4×4 voxel → world matrix. */
export type Affine = [
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
];

export interface Volume<T extends NumericArray = NumericArray> {
  data: T;
  shape: Vec3;
  spacing: Vec3;
  affine?: Affine;
  /** Spatial units of spacing/affine, e.g. 'mm' or 'um'. */
  units?: string;
}

/** Label volume: 0 is background, 1..N instances. */
export type LabelVolume = Volume<Uint32Array>;

export function voxelCount(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

export function identityAffine(spacing: Vec3): Affine {
  return [
    [spacing[0], 0, 0, 0],
    [0, spacing[1], 0, 0],
    [0, 0, spacing[2], 0],
    [0, 0, 0, 1],
  ];
}

/** Throws a typed error unless shape, spacing and data agree. */
export function validateVolume(v: Volume, where = 'volume'): void {
  const [nx, ny, nz] = v.shape;
  for (const [i, n] of [nx, ny, nz].entries()) {
    if (!Number.isInteger(n) || n < 1) {
      throw new ShapeError(`shape[${i}] must be a positive integer, got ${n}`, { where, hint: 'Check the volume header.' });
    }
  }
  for (const [i, s] of v.spacing.entries()) {
    if (!Number.isFinite(s) || s <= 0) {
      throw new ArgumentError(`spacing[${i}] must be a finite positive number, got ${s}`, {
        where,
        hint: 'Set the voxel size (pixdim) in the file header.',
      });
    }
  }
  if (v.data.length !== nx * ny * nz) {
    throw new ShapeError(`data has ${v.data.length} voxels but shape ${nx}×${ny}×${nz} needs ${nx * ny * nz}`, { where });
  }
}

export function sameShape(a: Vec3, b: Vec3): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}
