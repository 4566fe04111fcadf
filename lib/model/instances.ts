/**
 * Instances from a semantic class map: connected components of each non-background class
 * (lib/segmentation `connectedComponents`, 6/18/26-connectivity), components smaller than
 * `minVoxels` dropped (their voxels become 0), the rest numbered 1..N in order of their first voxel
 * in memory order (x fastest) across all classes, with `instanceStats` per instance plus its class.
 * Pure; the class map is not modified.
 */
import { ArgumentError, ShapeError } from '../errors';
import { type Connectivity, connectedComponents } from '../segmentation/connected-components';
import { type InstanceStats, instanceStats } from '../segmentation/stats';
import type { Affine, Vec3 } from '../volume';

export interface ClassInstance extends InstanceStats {
  classId: number;
  className: string;
}

export interface InstancesFromClassesOptions {
  /** Names of the class ids (id 0 = background, never an instance); unnamed ids become `class<id>`. */
  classes: { id: number; name: string }[];
  /** Components with fewer voxels are dropped. */
  minVoxels: number;
  /** Default 6 (face neighbours: scipy `ndimage.label`'s default structure, and connectedComponents'). */
  connectivity?: Connectivity;
  affine?: Affine;
}

export function instancesFromClasses(
  classMap: Uint8Array | Uint16Array | Uint32Array,
  shape: Vec3,
  spacing: Vec3,
  opts: InstancesFromClassesOptions,
): { labels: Uint32Array; instances: ClassInstance[] } {
  const where = 'instancesFromClasses';
  const n = shape[0] * shape[1] * shape[2];
  if (classMap.length !== n) throw new ShapeError(`class map has ${classMap.length} voxels but shape ${shape.join('×')} needs ${n}`, { where });
  if (!(opts.minVoxels >= 0)) throw new ArgumentError(`minVoxels must be ≥ 0, got ${opts.minVoxels}`, { where });
  const conn = opts.connectivity ?? 6;
  const names = new Map(opts.classes.map((c) => [c.id, c.name]));
  const present = new Set<number>();
  for (let i = 0; i < n; i++) if (classMap[i] !== 0) present.add(classMap[i]);
  // Provisional ids: class components concatenated; then sizes, first voxels and renumbering.
  const prov = new Uint32Array(n);
  const classOf: number[] = [0];
  const mask = new Uint8Array(n);
  let base = 0;
  for (const id of [...present].sort((a, b) => a - b)) {
    for (let i = 0; i < n; i++) mask[i] = classMap[i] === id ? 1 : 0;
    const { labels, count } = connectedComponents(mask, shape, conn);
    for (let i = 0; i < n; i++) if (labels[i] !== 0) prov[i] = labels[i] + base;
    for (let k = 0; k < count; k++) classOf.push(id);
    base += count;
  }
  const size = new Float64Array(base + 1);
  for (let i = 0; i < n; i++) size[prov[i]]++;
  const final = new Uint32Array(base + 1);
  const finalClass: number[] = [0];
  let next = 0;
  const labels = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const p = prov[i];
    if (p === 0 || size[p] < opts.minVoxels) continue;
    if (final[p] === 0) {
      final[p] = ++next;
      finalClass.push(classOf[p]);
    }
    labels[i] = final[p];
  }
  const stats = instanceStats({ data: labels, shape, spacing, affine: opts.affine });
  const instances = stats.map((s) => {
    const classId = finalClass[s.labelId];
    return { ...s, classId, className: names.get(classId) ?? `class${classId}` };
  });
  return { labels, instances };
}
