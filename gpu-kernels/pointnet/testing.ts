/** Test helpers for the PointNet++ kernels: seeded clouds, including clouds with exact ties. */
import { rng } from '../test-setup';

/** n uniform points in [0, 1)³ (f32). */
export function uniformCloud(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return new Float32Array(3 * n).map(() => r());
}

/** Points on an integer lattice (many exactly equal distances), with duplicates, shuffled. */
export function latticeCloud(side: number, dupEvery: number, seed: number): { positions: Float32Array; n: number } {
  const pts: number[][] = [];
  for (let z = 0; z < side; z++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) pts.push([x * 0.25, y * 0.25, z * 0.25]);
  for (let i = 0; i < pts.length; i += dupEvery) pts.push([...pts[i]]);
  const r = rng(seed);
  for (let i = pts.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [pts[i], pts[j]] = [pts[j], pts[i]];
  }
  return { positions: new Float32Array(pts.flat()), n: pts.length };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}
