/**
 * Per-instance statistics of a labelled point cloud (pure, typed arrays in, plain rows out).
 *
 * Instance id ≤ 0 means "no instance" (background / unlabelled), as in label volumes and in the
 * synthetic scenes (lib/synth/scenes). Invalid points (non-finite xyz) are ignored: they belong to no
 * instance's count, centroid or extent.
 */

export type Vec3 = [number, number, number];

export interface PointInstanceStats {
  /** Instance id (≥ 1). */
  id: number;
  /** Majority class id of its points (ties → the lowest id); null when no class labels are given. */
  classId: number | null;
  /** Number of valid points with this id. */
  points: number;
  /** Mean position of its points. */
  centroid: Vec3;
  /** Axis-aligned bounds of its points. */
  min: Vec3;
  max: Vec3;
  /** max − min per axis. */
  extent: Vec3;
}

/**
 * One row per instance id > 0 present among the valid points, sorted by id.
 * `positions` is xyz interleaved (3·count); `instance` and `classIds` hold one value per point.
 */
export function pointInstanceStats(
  positions: Float32Array,
  instance: Int32Array,
  classIds?: Int32Array | null,
): PointInstanceStats[] {
  const n = instance.length;
  if (positions.length !== 3 * n) throw new RangeError(`positions has ${positions.length} values for ${n} labels`);
  if (classIds && classIds.length !== n) throw new RangeError(`classIds has ${classIds.length} values for ${n} points`);
  const slotOf = new Map<number, number>();
  const ids: number[] = [];
  let sum = new Float64Array(3 * 64);
  let lo = new Float64Array(3 * 64);
  let hi = new Float64Array(3 * 64);
  let cnt = new Float64Array(64);
  const classCounts: Map<number, number>[] = [];
  const grow = () => {
    const cap = cnt.length * 2;
    const g = (a: Float64Array, per: number) => {
      const b = new Float64Array(cap * per);
      b.set(a);
      return b;
    };
    sum = g(sum, 3);
    lo = g(lo, 3);
    hi = g(hi, 3);
    cnt = g(cnt, 1);
  };
  for (let i = 0; i < n; i++) {
    const id = instance[i];
    if (id <= 0) continue;
    const x = positions[3 * i];
    const y = positions[3 * i + 1];
    const z = positions[3 * i + 2];
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) continue;
    let s = slotOf.get(id);
    if (s === undefined) {
      s = ids.length;
      if (s >= cnt.length) grow();
      slotOf.set(id, s);
      ids.push(id);
      lo[3 * s] = lo[3 * s + 1] = lo[3 * s + 2] = Infinity;
      hi[3 * s] = hi[3 * s + 1] = hi[3 * s + 2] = -Infinity;
      classCounts.push(new Map());
    }
    cnt[s]++;
    sum[3 * s] += x;
    sum[3 * s + 1] += y;
    sum[3 * s + 2] += z;
    if (x < lo[3 * s]) lo[3 * s] = x;
    if (y < lo[3 * s + 1]) lo[3 * s + 1] = y;
    if (z < lo[3 * s + 2]) lo[3 * s + 2] = z;
    if (x > hi[3 * s]) hi[3 * s] = x;
    if (y > hi[3 * s + 1]) hi[3 * s + 1] = y;
    if (z > hi[3 * s + 2]) hi[3 * s + 2] = z;
    if (classIds) {
      const m = classCounts[s];
      const c = classIds[i];
      m.set(c, (m.get(c) ?? 0) + 1);
    }
  }
  const rows: PointInstanceStats[] = ids.map((id, s) => {
    let classId: number | null = null;
    if (classIds) {
      let best = -1;
      for (const [c, k] of classCounts[s]) {
        if (k > best || (k === best && classId !== null && c < classId)) {
          best = k;
          classId = c;
        }
      }
    }
    const k = cnt[s];
    const min: Vec3 = [lo[3 * s], lo[3 * s + 1], lo[3 * s + 2]];
    const max: Vec3 = [hi[3 * s], hi[3 * s + 1], hi[3 * s + 2]];
    return {
      id,
      classId,
      points: k,
      centroid: [sum[3 * s] / k, sum[3 * s + 1] / k, sum[3 * s + 2] / k],
      min,
      max,
      extent: [max[0] - min[0], max[1] - min[1], max[2] - min[2]],
    };
  });
  rows.sort((a, b) => a.id - b.id);
  return rows;
}
