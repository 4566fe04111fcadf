/**
 * Volume ⇄ tensor layouts for segmentation networks (pure functions; inputs never mutated).
 *
 * Volumes are x fastest (`x + nx*(y + ny*z)`, lib/volume.ts). Tensors are C-order (last axis fastest).
 * - 'file': tensor [1,C,nz,ny,nx] — the NIfTI memory order unchanged (x is the last tensor axis).
 * - 'xyz': tensor [1,C,nx,ny,nz] — x first, z fastest (model18cls and other torch exports of
 *   brainchop's MeshNets): a transpose.
 * - 'zyx': the volume is first reoriented to the closest canonical RAS+ orientation (axis
 *   permutation + flips read from the affine, nibabel `aff2axcodes` / `as_closest_canonical`
 *   semantics; no resampling), then laid out like 'file' ([1,C,S,A,R], R fastest).
 * The inverses bring a per-voxel result (labels) back to the native grid exactly.
 */
import { ArgumentError, ShapeError } from '../errors';
import { axisCodes } from '../formats/nifti/affine';
import type { Affine, NumericArray, Vec3 } from '../volume';
import type { AxisOrder } from './card';

/** How a volume's voxel axes map to RAS+: new axis i (0 = R, 1 = A, 2 = S) is old axis perm[i], reversed when flip[i]. */
export interface Orientation {
  /** Axis codes of the source ('LIA', 'RAS', ...). */
  codes: string;
  perm: Vec3;
  flip: [boolean, boolean, boolean];
}

type Ctor<T extends NumericArray> = { new (n: number): T };
function alloc<T extends NumericArray>(like: T, n: number): T {
  return new (like.constructor as Ctor<T>)(n);
}

function checkLength(data: ArrayLike<number>, shape: Vec3, where: string): void {
  const n = shape[0] * shape[1] * shape[2];
  if (data.length !== n) throw new ShapeError(`data has ${data.length} voxels but shape ${shape.join('×')} needs ${n}`, { where });
}

/** The RAS+ orientation transform of a volume with `affine` (diag(spacing) when absent → identity). */
export function orientationOf(affine: Affine | undefined): Orientation {
  if (!affine) return { codes: 'RAS', perm: [0, 1, 2], flip: [false, false, false] };
  const codes = axisCodes(affine);
  const world: Record<string, [number, boolean]> = { R: [0, false], L: [0, true], A: [1, false], P: [1, true], S: [2, false], I: [2, true] };
  const perm: number[] = [-1, -1, -1];
  const flip = [false, false, false];
  for (let j = 0; j < 3; j++) {
    const w = world[codes[j]];
    if (!w) {
      throw new ArgumentError(`the affine's voxel axis ${j} has no dominant world direction (axis codes '${codes}')`, {
        where: 'orientationOf',
        hint: "Fix the image's sform/qform, or use axis order 'file' or 'xyz'.",
      });
    }
    perm[w[0]] = j;
    flip[w[0]] = w[1];
  }
  return { codes, perm: perm as Vec3, flip: flip as [boolean, boolean, boolean] };
}

/** True when the orientation is the identity (already RAS+). */
export function isIdentityOrientation(o: Orientation): boolean {
  return o.perm[0] === 0 && o.perm[1] === 1 && o.perm[2] === 2 && !o.flip[0] && !o.flip[1] && !o.flip[2];
}

/** Shape after reorientation. */
export function orientedShape(shape: Vec3, o: Orientation): Vec3 {
  return [shape[o.perm[0]], shape[o.perm[1]], shape[o.perm[2]]];
}

/**
 * Visits every voxel of the reoriented grid (x fastest) with its index there and the index of the
 * same voxel in the source grid.
 */
function forEachOriented(shape: Vec3, o: Orientation, f: (newIndex: number, oldIndex: number) => void): void {
  const ns = orientedShape(shape, o);
  const oldStride = [1, shape[0], shape[0] * shape[1]];
  // old index = base + Σ_i step[i]·u_i
  const step = [0, 1, 2].map((i) => (o.flip[i] ? -1 : 1) * oldStride[o.perm[i]]);
  const base = [0, 1, 2].reduce((b, i) => b + (o.flip[i] ? (shape[o.perm[i]] - 1) * oldStride[o.perm[i]] : 0), 0);
  let n = 0;
  for (let w = 0; w < ns[2]; w++) {
    for (let v = 0; v < ns[1]; v++) {
      let k = base + v * step[1] + w * step[2];
      for (let u = 0; u < ns[0]; u++, k += step[0]) f(n++, k);
    }
  }
}

/** The volume reoriented to RAS+ (a permuted/flipped copy) with its spacing and affine. */
export function reorient<T extends NumericArray>(
  data: T,
  shape: Vec3,
  spacing: Vec3,
  affine: Affine | undefined,
  o: Orientation,
): { data: T; shape: Vec3; spacing: Vec3; affine: Affine | undefined } {
  checkLength(data, shape, 'reorient');
  const out = alloc(data, data.length);
  forEachOriented(shape, o, (ni, oi) => {
    out[ni] = data[oi];
  });
  const sp: Vec3 = [spacing[o.perm[0]], spacing[o.perm[1]], spacing[o.perm[2]]];
  let aff: Affine | undefined;
  if (affine) {
    // new index u → old index x: x[perm[i]] = flip[i] ? n−1−u[i] : u[i]; newAffine = A · [M t; 0 1].
    const m = [0, 1, 2].map(() => [0, 0, 0, 0]);
    for (let i = 0; i < 3; i++) {
      m[o.perm[i]][i] = o.flip[i] ? -1 : 1;
      m[o.perm[i]][3] = o.flip[i] ? shape[o.perm[i]] - 1 : 0;
    }
    aff = [0, 1, 2, 3].map((r) =>
      [0, 1, 2, 3].map((c) => {
        let s = c === 3 ? affine[r][3] : 0;
        for (let k = 0; k < 3; k++) s += affine[r][k] * m[k][c];
        return s;
      }),
    ) as Affine;
  }
  return { data: out, shape: orientedShape(shape, o), spacing: sp, affine: aff };
}

/** Inverse of `reorient` for per-voxel data (labels): back to the source grid of `shape`. */
export function unorient<T extends NumericArray>(data: T, shape: Vec3, o: Orientation): T {
  checkLength(data, orientedShape(shape, o), 'unorient');
  const out = alloc(data, data.length);
  forEachOriented(shape, o, (ni, oi) => {
    out[oi] = data[ni];
  });
  return out;
}

/** x-fastest [nx,ny,nz] ⇄ z-fastest (C-order [nx,ny,nz]) transpose. */
function transposeXZ<T extends NumericArray>(data: T, shape: Vec3, toZFastest: boolean): T {
  const [nx, ny, nz] = shape;
  const out = alloc(data, data.length);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const j = (x * ny + y) * nz + z;
        if (toZFastest) out[j] = data[i];
        else out[i] = data[j];
      }
    }
  }
  return out;
}

/**
 * A single-channel volume (x fastest, `shape` [nx,ny,nz], already reoriented for 'zyx') as a
 * tensor: 'file'/'zyx' → [1,1,nz,ny,nx] (the same data; may share memory with the input),
 * 'xyz' → [1,1,nx,ny,nz] (a transposed copy).
 */
export function volumeToTensor(data: Float32Array, shape: Vec3, order: AxisOrder): { data: Float32Array; dims: number[] } {
  checkLength(data, shape, 'volumeToTensor');
  const [nx, ny, nz] = shape;
  if (order === 'xyz') return { data: transposeXZ(data, shape, true), dims: [1, 1, nx, ny, nz] };
  return { data, dims: [1, 1, nz, ny, nx] };
}

/** The tensor spatial dims (last three) a volume of `shape` gets in `order`. */
export function tensorSpatialDims(shape: Vec3, order: AxisOrder): Vec3 {
  return order === 'xyz' ? [shape[0], shape[1], shape[2]] : [shape[2], shape[1], shape[0]];
}

/**
 * Inverse of `volumeToTensor` for one spatial map (e.g. class labels) in tensor order: back to an
 * x-fastest volume of `shape` (a copy).
 */
export function tensorToVolume<T extends NumericArray>(data: T, shape: Vec3, order: AxisOrder): T {
  checkLength(data, shape, 'tensorToVolume');
  if (order === 'xyz') return transposeXZ(data, shape, false);
  return data.slice() as T;
}
