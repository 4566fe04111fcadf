/**
 * Crops of a volume along x, for the train/validation halves of the real crops.
 *
 * `cropX(v, x0, x1)` keeps the voxels x0 ≤ x < x1 (all y, z): same spacing and units, the affine
 * moved so that every kept voxel keeps its world position (voxel (0, y, z) of the crop is voxel
 * (x0, y, z) of the input). Label values are copied as they are: an instance cut by the split
 * keeps its id, and its part inside the crop is that instance's ground truth there.
 * `validationHalf` is x ≥ floor(nx / 2) (x ≥ 50 of 100, x ≥ 64 of 128); `trainingHalf` the rest.
 * Pure: the input is not mutated.
 */
import { ArgumentError } from '../errors';
import { type NumericArray, type Vec3, type Volume, validateVolume } from '../volume';

export function cropX<T extends NumericArray>(v: Volume<T>, x0: number, x1: number = v.shape[0]): Volume<T> {
  validateVolume(v, 'cropX');
  const [nx, ny, nz] = v.shape;
  if (!Number.isInteger(x0) || !Number.isInteger(x1) || x0 < 0 || x1 > nx || x0 >= x1) {
    throw new ArgumentError(`crop [${x0}, ${x1}) is not inside x = [0, ${nx})`, { where: 'cropX', hint: 'Give integers 0 ≤ x0 < x1 ≤ nx.' });
  }
  const w = x1 - x0;
  const Ctor = v.data.constructor as new (n: number) => T;
  const data = new Ctor(w * ny * nz);
  for (let zy = 0; zy < ny * nz; zy++) data.set(v.data.subarray(zy * nx + x0, zy * nx + x1) as unknown as ArrayLike<number>, zy * w);
  const out: Volume<T> = { data, shape: [w, ny, nz] as Vec3, spacing: [...v.spacing] as Vec3 };
  if (v.affine) {
    const a = v.affine.map((row) => [...row]) as NonNullable<Volume['affine']>;
    for (let r = 0; r < 3; r++) a[r][3] += a[r][0] * x0;
    out.affine = a;
  }
  if (v.units !== undefined) out.units = v.units;
  return out;
}

/** First x of the validation half: floor(nx / 2). */
export function validationHalfStart(nx: number): number {
  return Math.floor(nx / 2);
}

/** The validation half x ≥ floor(nx / 2). */
export function validationHalf<T extends NumericArray>(v: Volume<T>): Volume<T> {
  return cropX(v, validationHalfStart(v.shape[0]));
}

/** The training half x < floor(nx / 2). */
export function trainingHalf<T extends NumericArray>(v: Volume<T>): Volume<T> {
  return cropX(v, 0, validationHalfStart(v.shape[0]));
}
