import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instanceStats } from '@/lib/segmentation/stats';
import type { Affine, Vec3 } from '@/lib/volume';
import { ShapeError } from '@/lib/errors';

interface Prop { labelId: number; voxels: number; volume: number; centroid: Vec3; centroidWorld: Vec3; bboxMin: Vec3; bboxMaxExclusive: Vec3 }
interface Case { kind: string; shape: Vec3; spacing: Vec3; affine: Affine; input: number[]; expected: Prop[] }
const golden = JSON.parse(readFileSync(new URL('../goldens/pipeline/relabel_stats.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('instanceStats', () => {
  it('matches skimage regionprops (area, centroid, bbox) and the affine', () => {
    const c = golden.cases.find((k) => k.kind === 'stats')!;
    const s = instanceStats({ data: Uint32Array.from(c.input), shape: c.shape, spacing: c.spacing, affine: c.affine });
    expect(s.map((x) => x.labelId)).toEqual(c.expected.map((p) => p.labelId));
    for (const [i, p] of c.expected.entries()) {
      expect(s[i].voxels).toBe(p.voxels);
      expect(s[i].volume).toBeCloseTo(p.volume, 10);
      for (let k = 0; k < 3; k++) {
        expect(s[i].centroid[k]).toBeCloseTo(p.centroid[k], 10);
        expect(s[i].centroidWorld[k]).toBeCloseTo(p.centroidWorld[k], 10);
        expect(s[i].bbox.min[k]).toBe(p.bboxMin[k]);
        expect(s[i].bbox.max[k]).toBe(p.bboxMaxExclusive[k] - 1);
      }
    }
  });

  it('hand-computed: two objects, diag(spacing) world when no affine', () => {
    // 3×2×2, x fastest
    const data = Uint32Array.from([2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
    const s = instanceStats({ data, shape: [3, 2, 2], spacing: [2, 3, 4] });
    expect(s).toEqual([
      { labelId: 2, voxels: 2, volume: 48, centroid: [0.5, 0, 0], centroidWorld: [1, 0, 0], bbox: { min: [0, 0, 0], max: [1, 0, 0] } },
      { labelId: 5, voxels: 1, volume: 24, centroid: [2, 1, 1], centroidWorld: [4, 3, 4], bbox: { min: [2, 1, 1], max: [2, 1, 1] } },
    ]);
  });

  it('empty volume gives no instances; mismatched shape throws', () => {
    expect(instanceStats({ data: new Uint32Array(8), shape: [2, 2, 2], spacing: [1, 1, 1] })).toEqual([]);
    expect(() => instanceStats({ data: new Uint32Array(7), shape: [2, 2, 2], spacing: [1, 1, 1] })).toThrow(ShapeError);
  });
});
