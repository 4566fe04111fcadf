import { describe, expect, it } from 'vitest';
import { instancesFromClasses } from '@/lib/model/instances';

describe('instancesFromClasses', () => {
  // 6×3×1, class ids: two class-1 blobs, one class-2 blob, one single class-2 voxel.
  const map = Uint8Array.from([
    0, 2, 2, 0, 1, 1,
    1, 0, 2, 0, 0, 1,
    1, 1, 0, 0, 2, 0,
  ]);
  const classes = [{ id: 0, name: 'background' }, { id: 1, name: 'nucleus' }, { id: 2, name: 'cell' }];

  it('components per class, small ones dropped, ids 1..N in first-appearance order', () => {
    const r = instancesFromClasses(map, [6, 3, 1], [0.5, 0.5, 2], { classes, minVoxels: 2 });
    expect(Array.from(r.labels)).toEqual([
      0, 1, 1, 0, 2, 2,
      3, 0, 1, 0, 0, 2,
      3, 3, 0, 0, 0, 0,
    ]);
    expect(r.instances.map((i) => [i.labelId, i.classId, i.className, i.voxels])).toEqual([
      [1, 2, 'cell', 3],
      [2, 1, 'nucleus', 3],
      [3, 1, 'nucleus', 3],
    ]);
    expect(r.instances[0].volume).toBe(1.5);
    expect(r.instances[0].centroid).toEqual([5 / 3, 1 / 3, 0]);
    expect(r.instances[2].bbox).toEqual({ min: [0, 1, 0], max: [1, 2, 0] });
    expect(Array.from(map.slice(0, 6))).toEqual([0, 2, 2, 0, 1, 1]); // input untouched
  });

  it('connectivity 26 joins diagonal neighbours; minVoxels 0 keeps singletons; unnamed ids get class<id>', () => {
    const r = instancesFromClasses(map, [6, 3, 1], [1, 1, 1], { classes: [], minVoxels: 0, connectivity: 26 });
    // the class-2 voxel at (4,2) has no class-2 neighbour even diagonally: a fourth instance.
    expect(r.instances.map((i) => [i.labelId, i.className, i.voxels])).toEqual([
      [1, 'class2', 3],
      [2, 'class1', 3],
      [3, 'class1', 3],
      [4, 'class2', 1],
    ]);
    const diag = Uint8Array.from([1, 0, 0, 1]);
    expect(instancesFromClasses(diag, [2, 2, 1], [1, 1, 1], { classes, minVoxels: 0, connectivity: 6 }).instances).toHaveLength(2);
    expect(instancesFromClasses(diag, [2, 2, 1], [1, 1, 1], { classes, minVoxels: 0, connectivity: 18 }).instances).toHaveLength(1);
  });
});
