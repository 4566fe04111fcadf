import { describe, expect, it } from 'vitest';
import { edt } from '../../lib/segmentation/edt';
import type { Vec3, Volume } from '../../lib/volume';
import { BENCH_N, randomBlobs, rng, testContext } from '../test-setup';
import { edtGpu, planSlabs, type GpuEdtStats } from './edt';

function bruteForce(mask: Uint8Array, shape: Vec3, sp: Vec3): Float64Array {
  const [nx, ny, nz] = shape;
  const bg: Vec3[] = [];
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) if (!mask[x + nx * (y + ny * z)]) bg.push([x, y, z]);
  const out = new Float64Array(mask.length);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (y + ny * z);
        if (!mask[i]) continue;
        let best = Infinity;
        for (const [bx, by, bz] of bg) best = Math.min(best, ((x - bx) * sp[0]) ** 2 + ((y - by) * sp[1]) ** 2 + ((z - bz) * sp[2]) ** 2);
        out[i] = Math.sqrt(best);
      }
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-4): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1e-6, Math.abs(want[i]));
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `worst relative error at ${at}: got ${got[at]} want ${want[at]}`).toBeLessThanOrEqual(rel);
}

function randomMask(shape: Vec3, pFg: number, seed: number): Uint8Array {
  const r = rng(seed);
  const m = new Uint8Array(shape[0] * shape[1] * shape[2]).map(() => (r() < pFg ? 1 : 0));
  m[0] = 0;
  return m;
}

describe('edtGpu', () => {
  it('equals brute force on tiny volumes, isotropic and anisotropic', async () => {
    const ctx = await testContext();
    for (const [shape, sp, seed] of [
      [[7, 6, 5], [1, 1, 1], 1],
      [[9, 4, 6], [0.5, 1.25, 3], 2],
      [[1, 8, 9], [2, 1, 0.7], 3],
      [[11, 1, 1], [1.5, 1, 1], 4],
    ] as [Vec3, Vec3, number][]) {
      const mask = randomMask(shape, 0.85, seed);
      const got = await edtGpu(ctx, { data: mask, shape, spacing: sp });
      expectClose(got.data, bruteForce(mask, shape, sp));
    }
  });

  it('equals the CPU twin on blob volumes (isotropic and anisotropic) and keeps inputs intact', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [40, 33, 21];
    const data = randomBlobs(shape, 12, 7, 11);
    const copy = data.slice();
    for (const spacing of [
      [1, 1, 1],
      [0.3, 0.3, 1.2],
    ] as Vec3[]) {
      const mask: Volume<Uint8Array> = { data, shape, spacing, units: 'um' };
      const got = await edtGpu(ctx, mask);
      const want = edt(mask);
      expectClose(got.data, want.data);
      expect(got.shape).toEqual(shape);
      expect(got.spacing).toEqual(spacing);
      expect(got.units).toBe('um');
      for (let i = 0; i < data.length; i++) if (!data[i]) expect(got.data[i]).toBe(0);
    }
    expect(data).toEqual(copy);
  });

  it('slab path (artificial binding limit) equals the whole-volume result', async () => {
    const base = await testContext();
    const shape: Vec3 = [20, 17, 13];
    const mask: Volume<Uint8Array> = { data: randomBlobs(shape, 6, 5, 5), shape, spacing: [0.7, 1, 2.1] };
    const whole = await edtGpu(base, mask);
    for (const limit of [4096, 256]) {
      const stats: GpuEdtStats = { slabs: [0, 0, 0] };
      const tiled = await edtGpu(base.withLimits({ maxStorageBufferBindingSize: limit }), mask, stats);
      expect(stats.slabs.every((s) => s > 1)).toBe(true);
      expect(Array.from(tiled.data)).toEqual(Array.from(whole.data));
    }
    expectClose(whole.data, edt(mask).data);
  });

  it('plans slabs that cover the volume with whole lines', () => {
    const shape: Vec3 = [10, 7, 5];
    for (const axis of [0, 1, 2] as const) {
      for (const max of [350, 64, 12]) {
        const seen = new Uint8Array(350);
        for (const b of planSlabs(shape, axis, max)) {
          expect(b.size[axis]).toBe(shape[axis]);
          expect(b.size[0] * b.size[1] * b.size[2]).toBeLessThanOrEqual(max);
          for (let z = 0; z < b.size[2]; z++)
            for (let y = 0; y < b.size[1]; y++)
              for (let x = 0; x < b.size[0]; x++) seen[b.origin[0] + x + 10 * (b.origin[1] + y + 7 * (b.origin[2] + z))]++;
        }
        expect(seen.every((s) => s === 1)).toBe(true);
      }
    }
    expect(() => planSlabs(shape, 0, 9)).toThrow(expect.objectContaining({ code: 'GPU_LIMITS' }));
  });

  it('rejects masks without background and lines longer than a binding', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [4, 4, 4];
    await expect(edtGpu(ctx, { data: new Uint8Array(64).fill(1), shape, spacing: [1, 1, 1] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(edtGpu(ctx, { data: new Uint8Array(10), shape, spacing: [1, 1, 1] })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    const tiny = ctx.withLimits({ maxStorageBufferBindingSize: 8 });
    await expect(edtGpu(tiny, { data: new Uint8Array(64), shape, spacing: [1, 1, 1] })).rejects.toMatchObject({ code: 'GPU_LIMITS' });
  });

  it('times GPU vs CPU twin on N³ (TESSERA_GPU_BENCH_N, default 64) blobs', async () => {
    const ctx = await testContext();
    const shape: Vec3 = [BENCH_N, BENCH_N, BENCH_N];
    const mask: Volume<Uint8Array> = { data: randomBlobs(shape, 60, 9, 7), shape, spacing: [0.5, 0.5, 1] };
    await edtGpu(ctx, mask); // warm (pipelines, pool)
    let t = performance.now();
    const got = await edtGpu(ctx, mask);
    const gpuMs = performance.now() - t;
    t = performance.now();
    const want = edt(mask);
    const cpuMs = performance.now() - t;
    console.log(`[edt ${BENCH_N}³] ${ctx.adapterInfo.name}: GPU ${gpuMs.toFixed(1)} ms, CPU twin ${cpuMs.toFixed(1)} ms`);
    expectClose(got.data, want.data);
  });
});
