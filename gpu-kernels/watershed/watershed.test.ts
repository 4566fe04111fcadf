
import { describe, expect, it } from 'vitest';
import { edt } from '../../lib/segmentation/edt';
import { findSeeds, seedsToMarkers } from '../../lib/segmentation/seeds';
import { watershed } from '../../lib/segmentation/watershed';
import type { Vec3 } from '../../lib/volume';
import { goldenIndex, loadF32, loadU32, loadU8 } from '../../tests/goldens/segmentation-goldens';
import { BENCH_N, randomBlobs, testContext } from '../test-setup';
import { type GpuWatershedStats, watershedGpu } from './watershed';

/** Agreement on mask voxels, label sets, and labels outside the mask. */
function compare(got: Uint32Array, ref: Uint32Array, mask: Uint8Array): { agree: number; fg: number; outside: number; nGot: number; nRef: number } {
  let agree = 0;
  let fg = 0;
  let outside = 0;
  const a = new Set<number>();
  const b = new Set<number>();
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) {
      if (got[i] !== 0) outside++;
      continue;
    }
    fg++;
    if (got[i] === ref[i]) agree++;
    a.add(got[i]);
    b.add(ref[i]);
  }
  return { agree: agree / fg, fg, outside, nGot: a.size, nRef: b.size };
}

/** Touching balls: mask, −EDT and the pipeline's markers. */
function touchingBalls(shape: Vec3, spacing: Vec3, count: number, radius: number, seed: number, md: Vec3) {
  const mask = randomBlobs(shape, count, radius, seed);
  const dist = edt({ data: mask, shape, spacing });
  const seeds = findSeeds(dist, mask, { minDistance: md, excludeBorder: false });
  return { mask, image: dist.data.map((v) => -v), markers: seedsToMarkers(seeds, shape), seeds: seeds.length };
}

describe('watershedGpu', () => {
  it('agrees with skimage watershed(-dist, markers, mask) on the goldens (≥ 99.5 %, same regions), c6 and c26', async () => {
    const ctx = await testContext();
    for (const c of goldenIndex.cases) {
      const mask = loadU8(`${c.name}_mask`);
      const dist = loadF32(`${c.name}_edt`);
      const markers = seedsToMarkers(loadU32(`${c.name}_peaks_md2`), goldenIndex.shape);
      const image = dist.map((v) => -v);
      const copies = [mask.slice(), image.slice(), markers.slice()];
      for (const [conn, sk] of [[6, 1], [26, 3]] as const) {
        const ref = loadU32(`${c.name}_ws_c${sk}`);
        const got = await watershedGpu(ctx, image, markers, mask, goldenIndex.shape, { connectivity: conn });
        const r = compare(got, ref, mask);
        const what = `${c.name} c${conn}: ${(100 * r.agree).toFixed(3)} %`;
        console.log(`[watershed golden] ${what}`);
        expect(r.outside, what).toBe(0);
        expect(r.agree, what).toBeGreaterThanOrEqual(0.995);
        expect(r.nGot, what).toBe(r.nRef);
      }
      expect([mask, image, markers]).toEqual(copies);
    }
  });

  it('agrees with the CPU twin on random touching-ball volumes (≥ 99.5 %), connectivity 6, 18, 26', async () => {
    const ctx = await testContext();
    const cases: [Vec3, Vec3, number, Vec3, 6 | 18 | 26][] = [
      [[40, 36, 30], [1, 1, 1], 6, [3, 3, 3], 6],
      [[40, 36, 20], [0.5, 0.5, 1], 7, [6, 6, 3], 18],
      [[32, 32, 32], [1, 1, 1], 6, [4, 4, 4], 26],
    ];
    for (const [k, [shape, spacing, radius, md, connectivity]] of cases.entries()) {
      const t = touchingBalls(shape, spacing, 25, radius, 300 + k, md);
      const want = watershed(t.image, t.markers, t.mask, shape, { connectivity });
      const got = await watershedGpu(ctx, t.image, t.markers, t.mask, shape, { connectivity });
      const r = compare(got, want, t.mask);
      const what = `case ${k} (${t.seeds} seeds, c${connectivity}): ${(100 * r.agree).toFixed(3)} %`;
      console.log(`[watershed random] ${what}`);
      expect(r.outside, what).toBe(0);
      expect(r.agree, what).toBeGreaterThanOrEqual(0.995);
      expect(r.nGot, what).toBe(r.nRef);
    }
  });

  it('leaves unreachable voxels 0, keeps markers, floods everywhere with mask null, validates inputs', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [7, 1, 1];
    const img = Float32Array.from([0, 1, 2, 1, 0, 5, 5]);
    const markers = Uint32Array.from([1, 0, 0, 0, 2, 0, 0]);
    const mask = Uint8Array.from([1, 1, 1, 1, 1, 0, 1]);
    expect(Array.from(await watershedGpu(ctx, img, markers, mask, shape))).toEqual(Array.from(watershed(img, markers, mask, shape)));
    expect(Array.from(await watershedGpu(ctx, img, markers, null, shape))).toEqual(Array.from(watershed(img, markers, null, shape)));
    const img2 = Float32Array.from([0, 1, 2, 0.5, 0, -1, 3]);
    expect(Array.from(await watershedGpu(ctx, img2, markers, null, shape))).toEqual([1, 1, 2, 2, 2, 2, 2]);
    await expect(watershedGpu(ctx, img, markers, new Uint8Array(3), shape)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(watershedGpu(ctx, img, markers, mask, shape, { connectivity: 8 as 6 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const nan = img.slice();
    nan[2] = NaN;
    await expect(watershedGpu(ctx, nan, markers, mask, shape)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('z-slabs with halos (artificial binding limit) flood correctly and agree with the twin', async () => {
    const base = await testContext();
    const shape: Vec3 = [24, 20, 18];
    const t = touchingBalls(shape, [1, 1, 1], 8, 5, 41, [3, 3, 3]);
    const want = watershed(t.image, t.markers, t.mask, shape);
    const stats: GpuWatershedStats = { slabs: 0, waves: 0, batches: 0, rounds: 0 };
    const got = await watershedGpu(base.withLimits({ maxStorageBufferBindingSize: 24 * 20 * 8 * 7 }), t.image, t.markers, t.mask, shape, {}, stats);
    expect(stats.slabs).toBeGreaterThan(2);
    const r = compare(got, want, t.mask);
    console.log(`[watershed slabs] ${stats.slabs} slabs, ${stats.rounds} rounds: ${(100 * r.agree).toFixed(3)} %`);
    expect(r.outside).toBe(0);
    expect(r.agree).toBeGreaterThanOrEqual(0.995);
    expect(r.nGot).toBe(r.nRef);
    // Every mask voxel connected to a marker is labelled.
    for (let i = 0; i < t.mask.length; i++) if (t.mask[i] && want[i]) expect(got[i]).not.toBe(0);
  });

  it('times GPU vs CPU twin on N³ (TESSERA_GPU_BENCH_N, default 64) touching balls', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [BENCH_N, BENCH_N, BENCH_N];
    // Isotropic spacing (fewer distinct distance levels than 0.5,0.5,1; the pipeline test covers that).
    const t = touchingBalls(shape, [1, 1, 1], 60, 8, 7, [4, 4, 4]);
    await watershedGpu(ctx, t.image, t.markers, t.mask, shape);
    const stats: GpuWatershedStats = { slabs: 0, waves: 0, batches: 0, rounds: 0 };
    let t0 = performance.now();
    const got = await watershedGpu(ctx, t.image, t.markers, t.mask, shape, {}, stats);
    const gpuMs = performance.now() - t0;
    t0 = performance.now();
    const want = watershed(t.image, t.markers, t.mask, shape);
    const cpuMs = performance.now() - t0;
    const r = compare(got, want, t.mask);
    console.log(
      `[watershed ${BENCH_N}³] ${ctx.adapterInfo.name}: GPU ${gpuMs.toFixed(1)} ms (${stats.waves} waves, ${stats.batches} batches), CPU twin ${cpuMs.toFixed(1)} ms, agreement ${(100 * r.agree).toFixed(3)} %`,
    );
    expect(r.agree).toBeGreaterThanOrEqual(0.995);
  });
});
