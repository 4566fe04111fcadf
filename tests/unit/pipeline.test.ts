import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLASSICAL_PARAMS, PIPELINE_STAGES, segmentCells, type PipelineStage } from '@/lib/segmentation/pipeline';
import { generateNuclei } from '@/lib/synth';
import { instanceAP } from '@/lib/metrics';
import type { Vec3, Volume } from '@/lib/volume';
import { ArgumentError } from '@/lib/errors';

interface GoldenCase { smooth: number; minDistanceVoxels: Vec3; minVoxels: number; threshold: number; seeds: number; labels_u16_b64: string }
const golden = JSON.parse(readFileSync(new URL('../goldens/pipeline/pipeline.json', import.meta.url), 'utf8')) as {
  shape: Vec3; spacing: Vec3; image_u16_b64: string; cases: GoldenCase[];
};
const u16 = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** True when a and b are the same partition (same background, a bijection between labels). */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((a[i] === 0) !== (b[i] === 0)) return false;
    if (a[i] === 0) continue;
    if ((ab.get(a[i]) ?? b[i]) !== b[i] || (ba.get(b[i]) ?? a[i]) !== a[i]) return false;
    ab.set(a[i], b[i]);
    ba.set(b[i], a[i]);
  }
  return true;
}

describe('segmentCells', () => {
  const image: Volume<Uint16Array> = { data: u16(golden.image_u16_b64), shape: golden.shape, spacing: golden.spacing };

  it('reproduces the scipy/skimage peer exactly on a golden volume (3 parameter sets)', () => {
    expect(golden.cases.length).toBe(3);
    for (const c of golden.cases) {
      // physical min distance that maps to the golden's per-axis voxel values
      const minDistance = c.minDistanceVoxels[0] * golden.spacing[0];
      const r = segmentCells(image, { smoothSigma: c.smooth, minDistance, minVoxels: c.minVoxels });
      expect(r.params.minDistanceVoxels).toEqual(c.minDistanceVoxels);
      expect(r.threshold).toBe(c.threshold);
      expect(r.seedCount).toBe(c.seeds);
      const want = u16(c.labels_u16_b64);
      expect(r.instances.length).toBe(new Set(want).size - 1);
      expect(samePartition(r.labels.data, want), `smooth ${c.smooth}`).toBe(true);
    }
  });

  it('reports resolved parameters, per-stage timings, progress, geometry; input untouched', () => {
    const copy = image.data.slice();
    const calls: [PipelineStage, number][] = [];
    const affine: Volume['affine'] = [[0.5, 0, 0, 3], [0, 0.5, 0, 0], [0, 0, 1, -2], [0, 0, 0, 1]];
    const r = segmentCells({ ...image, affine, units: 'um' }, { minDistance: 2.2 }, (s, f) => calls.push([s, f]));
    expect(r.params).toMatchObject({ ...DEFAULT_CLASSICAL_PARAMS, minDistance: 2.2, minDistanceVoxels: [4, 4, 2], smoothSigmaVoxels: [1, 1, 0.5] });
    expect(Object.keys(r.timings)).toEqual([...PIPELINE_STAGES]);
    for (const ms of Object.values(r.timings)) expect(ms).toBeGreaterThanOrEqual(0);
    expect(calls.map((c) => c[0])).toEqual([...PIPELINE_STAGES, 'stats']);
    expect(calls.map((c) => c[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => i / 7));
    expect(r.labels.affine).toEqual(affine);
    expect(r.labels.units).toBe('um');
    expect(r.instances[0].centroidWorld[0]).toBeCloseTo(0.5 * r.instances[0].centroid[0] + 3, 10);
    expect(Array.from(image.data)).toEqual(Array.from(copy));
    // labels are 1..N and only where the smoothed image is above the threshold
    const ids = new Set(r.labels.data);
    expect(Math.max(...ids)).toBe(ids.size - 1);
  });

  it('a given threshold is used as is; minVoxels removes small instances', () => {
    const r = segmentCells(image, { threshold: 350, minVoxels: 0 });
    expect(r.threshold).toBe(350);
    const big = segmentCells(image, { threshold: 350, minVoxels: 1e6 });
    expect(big.instances.length).toBe(0);
    expect(big.labels.data.every((v) => v === 0)).toBe(true);
  });

  it('segments the 64³ synthetic volume with AP@0.5 ≥ 0.8', () => {
    const g = generateNuclei({ shape: [64, 64, 64], seed: 4 });
    const r = segmentCells(g.image);
    expect(instanceAP(r.labels.data, g.labels.data).ap50).toBeGreaterThanOrEqual(0.8);
  });

  it('rejects invalid parameters with typed errors', () => {
    expect(() => segmentCells(image, { smoothSigma: -1 })).toThrow(ArgumentError);
    expect(() => segmentCells(image, { minDistance: 0 })).toThrow(ArgumentError);
    expect(() => segmentCells(image, { minVoxels: Number.NaN })).toThrow(ArgumentError);
    expect(() => segmentCells(image, { threshold: Number.POSITIVE_INFINITY })).toThrow(ArgumentError);
    expect(() => segmentCells(image, { connectivity: 5 as 6 })).toThrow(ArgumentError);
  });
});
