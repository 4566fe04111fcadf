import { describe, expect, it } from 'vitest';
import { edt } from '../../lib/segmentation/edt';
import { type FindSeedsOptions, findSeeds } from '../../lib/segmentation/seeds';
import type { Vec3, Volume } from '../../lib/volume';
import { goldenIndex, loadF32, loadU32, loadU8 } from '../../tests/goldens/segmentation-goldens';
import { BENCH_N, randomBlobs, rng, testContext } from '../test-setup';
import { f32Above, findSeedsGpu, type GpuSeedsStats } from './seeds';

const fvol = (data: Float32Array, shape: Vec3, spacing: Vec3 = [1, 1, 1]): Volume<Float32Array> => ({ data, shape, spacing });

describe('findSeedsGpu', () => {
  it('equals skimage peak_local_max on the goldens (md 1, 2, 3), in order, inputs unchanged', async () => {
    const ctx = await testContext();
    for (const c of goldenIndex.cases) {
      const mask = loadU8(`${c.name}_mask`);
      const dist = loadF32(`${c.name}_edt`);
      const maskCopy = mask.slice();
      const distCopy = dist.slice();
      for (const md of [1, 2, 3]) {
        const ref = loadU32(`${c.name}_peaks_md${md}`);
        const got = await findSeedsGpu(ctx, fvol(dist, goldenIndex.shape), mask, { minDistance: [md, md, md] });
        expect(Array.from(got), `${c.name} md=${md}`).toEqual(Array.from(ref));
      }
      expect(mask).toEqual(maskCopy);
      expect(dist).toEqual(distCopy);
    }
  });

  it('equals the CPU twin on random blob volumes: anisotropic md, borders, thresholds, plateaus', async () => {
    const ctx = await testContext();
    const cases: [Vec3, Vec3, FindSeedsOptions][] = [
      [[30, 27, 19], [1, 1, 1], { minDistance: [2, 2, 2] }],
      [[30, 27, 19], [0.5, 0.5, 1], { minDistance: [4, 4, 2], excludeBorder: false }],
      [[25, 31, 17], [1, 1, 2], { minDistance: [3, 3, 1], excludeBorder: [1, 0, 2] }],
      [[25, 31, 17], [1, 1, 1], { minDistance: [0, 2, 3], excludeBorder: false }],
      [[25, 31, 17], [1, 1, 1], { minDistance: [0, 0, 0], excludeBorder: false, thresholdAbs: 3.3 }],
      [[22, 20, 18], [0.7, 0.7, 0.7], { minDistance: [1, 1, 1], thresholdAbs: 1.0000001 }],
    ];
    for (const [k, [shape, spacing, opts]] of cases.entries()) {
      const mask = randomBlobs(shape, 10, 5, 100 + k);
      const d = edt({ data: mask, shape, spacing });
      // Quantised distances: many equal-valued neighbours (plateaus, argsort ties).
      const q = k % 2 === 1 ? d.data.map((v) => Math.round(v * 2) / 2) : d.data;
      const dist = fvol(q, shape, spacing);
      const want = findSeeds(dist, mask, opts);
      const got = await findSeedsGpu(ctx, dist, mask, opts);
      expect(want.length, `case ${k}`).toBeGreaterThan(0);
      expect(Array.from(got), `case ${k}`).toEqual(Array.from(want));
    }
  });

  it('handles the trivial image (isolated voxels), empty masks and bad arguments like the twin', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [9, 8, 7];
    const n = 504;
    const r = rng(4);
    const mask = Uint8Array.from({ length: n }, () => (r() < 0.3 ? 1 : 0));
    const flat = fvol(new Float32Array(n).fill(2), shape);
    for (const opts of [{ minDistance: [1, 1, 1] }, { minDistance: [2, 1, 1], excludeBorder: false }] as FindSeedsOptions[]) {
      const want = findSeeds(flat, mask, opts);
      expect(Array.from(await findSeedsGpu(ctx, flat, mask, opts))).toEqual(Array.from(want));
    }
    expect((await findSeedsGpu(ctx, flat, new Uint8Array(n), { minDistance: [1, 1, 1] })).length).toBe(0);
    await expect(findSeedsGpu(ctx, flat, new Uint8Array(5), { minDistance: [1, 1, 1] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(findSeedsGpu(ctx, flat, mask, { minDistance: [1.5, 1, 1] as Vec3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(f32Above(1)).toBeGreaterThan(1);
    expect(Math.fround(f32Above(0.1))).toBe(f32Above(0.1));
    expect(f32Above(0.1)).toBeGreaterThan(0.1);
  });

  it('z-slabs with halos (artificial binding limit) give the same seeds', async () => {
    const base = await testContext();
    const shape: Vec3 = [24, 21, 26];
    const mask = randomBlobs(shape, 9, 5, 77);
    const dist = edt({ data: mask, shape, spacing: [1, 1, 1] });
    for (const md of [[2, 2, 2], [3, 2, 4]] as Vec3[]) {
      const want = findSeeds(dist, mask, { minDistance: md, excludeBorder: false });
      const stats: GpuSeedsStats = { slabs: 0, candidates: 0 };
      const got = await findSeedsGpu(base.withLimits({ maxStorageBufferBindingSize: 24 * 21 * 4 * 11 }), dist, mask, { minDistance: md, excludeBorder: false }, stats);
      expect(stats.slabs).toBeGreaterThan(1);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('times GPU vs CPU twin on N³ (TESSERA_GPU_BENCH_N, default 64) blobs', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [BENCH_N, BENCH_N, BENCH_N];
    const mask = randomBlobs(shape, 60, 9, 7);
    const dist = edt({ data: mask, shape, spacing: [0.5, 0.5, 1] });
    const opts: FindSeedsOptions = { minDistance: [6, 6, 3], excludeBorder: false };
    await findSeedsGpu(ctx, dist, mask, opts);
    let t = performance.now();
    const got = await findSeedsGpu(ctx, dist, mask, opts);
    const gpuMs = performance.now() - t;
    t = performance.now();
    const want = findSeeds(dist, mask, opts);
    const cpuMs = performance.now() - t;
    console.log(`[seeds ${BENCH_N}³ md 6,6,3] ${ctx.adapterInfo.name}: GPU ${gpuMs.toFixed(1)} ms, CPU twin ${cpuMs.toFixed(1)} ms (${got.length} seeds)`);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
