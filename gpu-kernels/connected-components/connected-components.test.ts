import { describe, expect, it } from 'vitest';
import { connectedComponents, type Connectivity } from '../../lib/segmentation/connected-components';
import type { Vec3 } from '../../lib/volume';
import { BENCH_N, randomBlobs, rng, testContext } from '../test-setup';
import { connectedComponentsGpu, type GpuCcStats } from './connected-components';

function randomMask(shape: Vec3, p: number, seed: number): Uint8Array {
  const r = rng(seed);
  return new Uint8Array(shape[0] * shape[1] * shape[2]).map(() => (r() < p ? 1 : 0));
}

describe('connectedComponentsGpu', () => {
  it('equals the CPU twin exactly (labels and count) for 6/18/26 connectivity', async () => {
    const ctx = await testContext();
    const cases: [Vec3, number, number][] = [
      [[13, 11, 9], 0.35, 1],
      [[30, 20, 10], 0.3, 2],
      [[1, 1, 40], 0.5, 3],
      [[64, 1, 1], 0.6, 4],
    ];
    for (const [shape, p, seed] of cases) {
      const mask = randomMask(shape, p, seed);
      const copy = mask.slice();
      for (const c of [6, 18, 26] as Connectivity[]) {
        const want = connectedComponents(mask, shape, c);
        const stats: GpuCcStats = { rounds: 0, slabs: 0 };
        const got = await connectedComponentsGpu(ctx, mask, shape, c, stats);
        expect(got.count, `shape ${shape} c${c}`).toBe(want.count);
        expect(got.labels).toEqual(want.labels);
        expect(stats.rounds).toBeGreaterThanOrEqual(1);
      }
      expect(mask).toEqual(copy);
    }
  });

  it('labels a large snake-shaped component and blobs (long union chains)', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [48, 40, 24];
    const mask = randomBlobs(shape, 25, 5, 9);
    // a serpentine through plane z=0
    for (let y = 0; y < 40; y += 2) for (let x = 0; x < 48; x++) mask[x + 48 * y] = 1;
    for (let y = 1; y < 40; y += 4) mask[47 + 48 * y] = 1;
    for (let y = 3; y < 40; y += 4) mask[48 * y] = 1;
    for (const c of [6, 26] as Connectivity[]) {
      const want = connectedComponents(mask, shape, c);
      const got = await connectedComponentsGpu(ctx, mask, shape, c);
      expect(got.count).toBe(want.count);
      expect(got.labels).toEqual(want.labels);
    }
  });

  it('slab path with an artificial binding limit equals the CPU twin', async () => {
    const base = await testContext();
    const shape: Vec3 = [17, 13, 15];
    const mask = randomMask(shape, 0.4, 21);
    for (const [limit, slabs] of [
      [17 * 13 * 4 * 4, 4],
      [17 * 13 * 4, 15],
    ] as [number, number][]) {
      for (const c of [6, 18, 26] as Connectivity[]) {
        const want = connectedComponents(mask, shape, c);
        const stats: GpuCcStats = { rounds: 0, slabs: 0 };
        const got = await connectedComponentsGpu(base.withLimits({ maxStorageBufferBindingSize: limit }), mask, shape, c, stats);
        expect(stats.slabs).toBe(slabs);
        expect(got.count).toBe(want.count);
        expect(got.labels).toEqual(want.labels);
      }
    }
  });

  it('handles empty and full masks and rejects bad input', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [5, 4, 3];
    expect(await connectedComponentsGpu(ctx, new Uint8Array(60), shape)).toEqual({ labels: new Uint32Array(60), count: 0 });
    expect(await connectedComponentsGpu(ctx, new Uint8Array(60).fill(1), shape)).toEqual({ labels: new Uint32Array(60).fill(1), count: 1 });
    await expect(connectedComponentsGpu(ctx, new Uint8Array(7), shape)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(connectedComponentsGpu(ctx, new Uint8Array(60), shape, 8 as Connectivity)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(connectedComponentsGpu(ctx.withLimits({ maxStorageBufferBindingSize: 40 }), new Uint8Array(60), shape)).rejects.toMatchObject({
      code: 'GPU_LIMITS',
    });
  });

  it('times GPU vs CPU twin on N³ (TESSERA_GPU_BENCH_N, default 64) blobs (26-connectivity)', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [BENCH_N, BENCH_N, BENCH_N];
    const mask = randomBlobs(shape, 80, 7, 3);
    await connectedComponentsGpu(ctx, mask, shape, 26);
    let t = performance.now();
    const got = await connectedComponentsGpu(ctx, mask, shape, 26);
    const gpuMs = performance.now() - t;
    t = performance.now();
    const want = connectedComponents(mask, shape, 26);
    const cpuMs = performance.now() - t;
    console.log(`[cc ${BENCH_N}³ c26] ${ctx.adapterInfo.name}: GPU ${gpuMs.toFixed(1)} ms, CPU twin ${cpuMs.toFixed(1)} ms, ${want.count} components`);
    expect(got.count).toBe(want.count);
    expect(got.labels).toEqual(want.labels);
  });
});
