/**
 * Shared pieces of the PointNet++ CPU twins: the one f32 squared-distance formula every twin and
 * GPU kernel uses, and input validation.
 *
 * Squared distance, exactly as the WGSL kernels compute it (f32 throughout, no fused multiply-add):
 *   dx = f32(px − cx), …;  d = f32(f32(f32(dx·dx) + f32(dy·dy)) + f32(dz·dz)).
 * `Math.fround` of an f64 sum/product of two f32 values equals the f32 operation (53 ≥ 2·24 + 2, so
 * double rounding is innocuous), so the CPU twin reproduces the GPU bit for bit.
 */
import { ArgumentError, ShapeError } from '../errors';

/** Largest finite f32: the "not reached yet" distance of FPS (the GPU uses the same value). */
export const F32_MAX = Math.fround(3.4028234663852886e38);

const fr = Math.fround;

/** f32 squared distance between point i of `a` and point j of `b` (xyz interleaved). */
export function dist2(a: Float32Array, i: number, b: Float32Array, j: number): number {
  const dx = fr(a[3 * i] - b[3 * j]);
  const dy = fr(a[3 * i + 1] - b[3 * j + 1]);
  const dz = fr(a[3 * i + 2] - b[3 * j + 2]);
  return fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
}

/** Checks `positions` holds `n` finite xyz triples. */
export function checkPositions(positions: Float32Array, n: number, where: string, name = 'positions'): void {
  if (!(positions instanceof Float32Array)) throw new ArgumentError(`${name} must be a Float32Array (xyz interleaved)`, { where: `${where}.${name}` });
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`point count must be an integer ≥ 0, got ${n}`, { where: `${where}.n` });
  if (positions.length < 3 * n) {
    throw new ShapeError(`${name} holds ${positions.length / 3} points, ${n} expected`, { where: `${where}.${name}`, hint: 'Pass xyz interleaved, length 3·n.' });
  }
  for (let i = 0; i < 3 * n; i++) {
    if (!Number.isFinite(positions[i])) {
      throw new ArgumentError(`${name} has a non-finite coordinate at point ${Math.floor(i / 3)}`, {
        where: `${where}.${name}`,
        hint: 'Drop invalid points first (PointCloud.valid).',
      });
    }
  }
}

export function checkInt(v: number, name: string, where: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ArgumentError(`${name} must be an integer in [${min}, ${max}], got ${v}`, { where: `${where}.${name}` });
  }
}
