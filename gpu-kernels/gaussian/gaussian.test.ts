import { describe, expect, it } from 'vitest';
import { type BoundaryMode, gaussianSmooth } from '../../lib/segmentation/gaussian';
import type { Vec3, Volume } from '../../lib/volume';
import { BENCH_N, rng, testContext } from '../test-setup';
import { type GpuGaussianStats, gaussianSmoothGpu } from './gaussian';

/** max |got − want| / max(|want|, 1e-3·max|want|) — relative, guarded near zero. */
function worstRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-3 * scale, 1e-30));
  return worst;
}

function randomVolume(shape: Vec3, spacing: Vec3, seed: number): Volume<Float32Array> {
  const r = rng(seed);
  const data = new Float32Array(shape[0] * shape[1] * shape[2]).map(() => 100 + 400 * r());
  return { data, shape, spacing };
}

describe('gaussianSmoothGpu', () => {
  it('equals the CPU twin within 1e-5 relative for every boundary mode, isotropic and anisotropic', async () => {
    const ctx = await testContext();
    const cases: [Vec3, Vec3, number, BoundaryMode][] = [
      [[17, 13, 11], [1, 1, 1], 1.3, 'reflect'],
      [[17, 13, 11], [0.5, 0.5, 1], 1, 'nearest'],
      [[9, 7, 12], [1, 2, 0.7], 1.5, 'mirror'],
      [[9, 7, 12], [1, 1, 1], 0.8, 'constant'],
      [[3, 2, 20], [0.3, 1, 1], 1.2, 'reflect'], // radius longer than the short axes
      [[1, 1, 9], [1, 1, 1], 1, 'mirror'],
    ];
    for (const [shape, spacing, sigma, mode] of cases) {
      const v = randomVolume(shape, spacing, shape[0] + shape[2]);
      const copy = v.data.slice();
      const got = await gaussianSmoothGpu(ctx, v, sigma, { mode, cval: 7 });
      const want = gaussianSmooth(v, sigma, { mode, cval: 7 });
      expect(worstRel(got.data, want.data), `${shape} ${mode}`).toBeLessThanOrEqual(1e-5);
      expect(got.shape).toEqual(shape);
      expect(v.data).toEqual(copy);
    }
  });

  it('accepts integer volumes, per-axis sigmaVoxels, skips zero-sigma axes and returns a copy for sigma 0', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [12, 10, 8];
    const r = rng(3);
    const v: Volume = { data: Uint16Array.from({ length: 960 }, () => Math.floor(r() * 1000)), shape, spacing: [1, 1, 2], units: 'um' };
    for (const sigmaVoxels of [[1.2, 0, 0.7], [0, 0, 2], [0, 0, 0]] as Vec3[]) {
      const got = await gaussianSmoothGpu(ctx, v, 1, { sigmaVoxels });
      expect(worstRel(got.data, gaussianSmooth(v, 1, { sigmaVoxels }).data)).toBeLessThanOrEqual(1e-5);
      expect(got.units).toBe('um');
    }
    const zero = await gaussianSmoothGpu(ctx, v, 0);
    expect(Array.from(zero.data)).toEqual(Array.from(v.data));
    await expect(gaussianSmoothGpu(ctx, v, -1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(gaussianSmoothGpu(ctx, v, 1, { mode: 'wrap' as BoundaryMode })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('halo z-slabs and line boxes (artificial binding limits) equal the whole-volume result', async () => {
    const base = await testContext();
    const shape: Vec3 = [16, 12, 19];
    const v = randomVolume(shape, [0.7, 1, 1.4], 9);
    for (const mode of ['reflect', 'constant'] as BoundaryMode[]) {
      const whole = await gaussianSmoothGpu(base, v, 1.5, { mode });
      // halo: r_z = floor(4·1.5/1.4 + 0.5) = 4 → 9 planes of 192 voxels at least
      for (const [limit, path] of [[192 * 4 * 11, 'halo'], [192 * 4 * 9, 'halo'], [192 * 4, 'lines'], [400, 'lines']] as const) {
        const stats: GpuGaussianStats = { path: 'whole', slabs: 0 };
        const tiled = await gaussianSmoothGpu(base.withLimits({ maxStorageBufferBindingSize: limit }), v, 1.5, { mode }, stats);
        expect(stats.path).toBe(path);
        expect(stats.slabs).toBeGreaterThan(1);
        expect(Array.from(tiled.data)).toEqual(Array.from(whole.data));
      }
      expect(worstRel(whole.data, gaussianSmooth(v, 1.5, { mode }).data)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('times GPU vs CPU twin on N³ (TESSERA_GPU_BENCH_N, default 64)', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [BENCH_N, BENCH_N, BENCH_N];
    const v = randomVolume(shape, [0.5, 0.5, 1], 5);
    await gaussianSmoothGpu(ctx, v, 1);
    let t = performance.now();
    const got = await gaussianSmoothGpu(ctx, v, 1);
    const gpuMs = performance.now() - t;
    t = performance.now();
    const want = gaussianSmooth(v, 1);
    const cpuMs = performance.now() - t;
    console.log(`[gaussian ${BENCH_N}³ σ=1 (r 8,8,4)] ${ctx.adapterInfo.name}: GPU ${gpuMs.toFixed(1)} ms, CPU twin ${cpuMs.toFixed(1)} ms`);
    expect(worstRel(got.data, want.data)).toBeLessThanOrEqual(1e-5);
  });
});
