/**
 * Voxel agreement of two label volumes after matching labels: each nonzero label of `a` is mapped
 * to the label of `b` it overlaps most (ties: the first such label of `b` met in voxel order), and
 * the result is the fraction of voxels foreground in either volume where the mapped label of `a`
 * (0 for background) equals `b`'s label. 1 when neither volume has any foreground. Not symmetric:
 * use `Math.min(f(a, b), f(b, a))` for a two-sided check.
 */
export function matchedVoxelAgreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const overlap = new Map<number, Map<number, number>>();
  for (let i = 0; i < a.length; i++) {
    if (!a[i]) continue;
    let m = overlap.get(a[i]);
    if (!m) overlap.set(a[i], (m = new Map()));
    m.set(b[i], (m.get(b[i]) ?? 0) + 1);
  }
  const map = new Map<number, number>();
  for (const [la, m] of overlap) map.set(la, [...m].sort((x, y) => y[1] - x[1])[0][0]);
  let agree = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (!a[i] && !b[i]) continue;
    n++;
    if ((a[i] ? map.get(a[i]) : 0) === b[i]) agree++;
  }
  return n === 0 ? 1 : agree / n;
}
