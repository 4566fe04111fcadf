import { describe, expect, it } from 'vitest';
import { connectedComponents } from '../../lib/segmentation/connected-components';
import { removeSmallAndRelabel } from '../../lib/segmentation/relabel';
import { instanceStats, type InstanceStats } from '../../lib/segmentation/stats';
import type { LabelVolume, Vec3 } from '../../lib/volume';
import { BENCH_N, randomBlobs, rng, testContext } from '../test-setup';
import { instanceStatsGpu, removeSmallAndRelabelGpu } from './stats';

function expectStatsEqual(got: InstanceStats[], want: InstanceStats[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    expect(g.labelId).toBe(w.labelId);
    expect(g.voxels).toBe(w.voxels);
    expect(g.bbox).toEqual(w.bbox);
    expect(g.volume).toBeCloseTo(w.volume, 9);
    for (let a = 0; a < 3; a++) {
      expect(Math.abs(g.centroid[a] - w.centroid[a])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w.centroid[a])));
      expect(Math.abs(g.centroidWorld[a] - w.centroidWorld[a])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w.centroidWorld[a])));
    }
  }
}

function blobLabels(shape: Vec3, seed: number): Uint32Array {
  return connectedComponents(randomBlobs(shape, 30, 4, seed), shape, 6).labels;
}

describe('instanceStatsGpu', () => {
  it('equals the CPU twin (counts and boxes exactly, centroids within 1e-6) with an affine', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [37, 29, 23];
    const data = blobLabels(shape, 4);
    const copy = data.slice();
    const vol: LabelVolume = {
      data,
      shape,
      spacing: [0.4, 0.4, 1.5],
      affine: [
        [0, 0.4, 0, -10],
        [-0.4, 0, 0, 5],
        [0, 0, 1.5, 2],
        [0, 0, 0, 1],
      ],
    };
    expectStatsEqual(await instanceStatsGpu(ctx, vol), instanceStats(vol));
    expect(data).toEqual(copy);
  });

  it('handles sparse label values (host compaction), empty volumes and z-slabs', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [16, 12, 10];
    const r = rng(3);
    const data = new Uint32Array(16 * 12 * 10).map(() => (r() < 0.5 ? 0 : [7, 4000000000, 123456, 9][Math.floor(r() * 4)]));
    const vol: LabelVolume = { data, shape, spacing: [1, 2, 3] };
    expectStatsEqual(await instanceStatsGpu(ctx, vol), instanceStats(vol));
    const dense: LabelVolume = { data: blobLabels(shape, 8), shape, spacing: [1, 1, 1] };
    expectStatsEqual(await instanceStatsGpu(ctx.withLimits({ maxStorageBufferBindingSize: 16 * 12 * 3 * 4 }), dense), instanceStats(dense));
    expect(await instanceStatsGpu(ctx, { data: new Uint32Array(8), shape: [2, 2, 2], spacing: [1, 1, 1] })).toEqual([]);
  });

  it('keeps centroid sums exact beyond 2^32 (64-bit carry)', async () => {
    const ctx = await testContext();
    // 1 label on a 131072-voxel line: sum of x = 131072·131071/2 ≈ 8.6e9 > 2^32
    const n = 131072;
    const vol: LabelVolume = { data: new Uint32Array(n).fill(1), shape: [n, 1, 1], spacing: [1, 1, 1] };
    const [g] = await instanceStatsGpu(ctx, vol);
    expect(g.voxels).toBe(n);
    expect(g.centroid).toEqual([65535.5, 0, 0]);
    expect(g.bbox).toEqual({ min: [0, 0, 0], max: [n - 1, 0, 0] });
  });
});

describe('removeSmallAndRelabelGpu', () => {
  it('equals the CPU twin exactly', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [31, 27, 19];
    // shuffle label values so first-appearance order differs from label order
    const base = blobLabels(shape, 12);
    const r = rng(5);
    const perm = Array.from({ length: 200 }, (_, i) => i + 1).sort(() => r() - 0.5);
    const labels = base.map((l) => (l === 0 ? 0 : perm[l - 1]));
    for (const minVoxels of [0, 1, 30, 200, 1e9]) {
      const want = removeSmallAndRelabel(labels, minVoxels);
      const got = await removeSmallAndRelabelGpu(ctx, labels, minVoxels, shape);
      expect(got.count).toBe(want.count);
      expect(got.labels).toEqual(want.labels);
    }
    const sl = await removeSmallAndRelabelGpu(ctx.withLimits({ maxStorageBufferBindingSize: 31 * 27 * 4 * 2 }), labels, 30, shape);
    expect(sl).toEqual(removeSmallAndRelabel(labels, 30));
    await expect(removeSmallAndRelabelGpu(ctx, labels, -1, shape)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('times GPU vs CPU twins on N³ (TESSERA_GPU_BENCH_N, default 64) labels', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [BENCH_N, BENCH_N, BENCH_N];
    const vol: LabelVolume = { data: connectedComponents(randomBlobs(shape, 80, 7, 3), shape, 6).labels, shape, spacing: [0.5, 0.5, 1] };
    await instanceStatsGpu(ctx, vol);
    await removeSmallAndRelabelGpu(ctx, vol.data, 50, shape);
    let t = performance.now();
    const g = await instanceStatsGpu(ctx, vol);
    const gpuStats = performance.now() - t;
    t = performance.now();
    const w = instanceStats(vol);
    const cpuStats = performance.now() - t;
    t = performance.now();
    const gr = await removeSmallAndRelabelGpu(ctx, vol.data, 50, shape);
    const gpuRel = performance.now() - t;
    t = performance.now();
    const wr = removeSmallAndRelabel(vol.data, 50);
    const cpuRel = performance.now() - t;
    console.log(
      `[stats ${BENCH_N}³] ${ctx.adapterInfo.name}: stats GPU ${gpuStats.toFixed(1)} ms vs CPU ${cpuStats.toFixed(1)} ms; relabel GPU ${gpuRel.toFixed(1)} ms vs CPU ${cpuRel.toFixed(1)} ms`,
    );
    expectStatsEqual(g, w);
    expect(gr).toEqual(wr);
  });
});
