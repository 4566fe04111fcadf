import { describe, expect, it } from 'vitest';
import { fps, fpsBruteForce } from '../../../lib/pointnet/fps';
import { testContext } from '../../test-setup';
import { latticeCloud, uniformCloud } from '../testing';
import { fpsGpu } from './fps';

describe('fpsGpu', () => {
  it('equals the CPU twin exactly on a hand-made line (ties to the lowest index)', async () => {
    const ctx = await testContext();
    const p = new Float32Array([0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0]);
    expect(Array.from(await fpsGpu(ctx, p, 5, 3, 2))).toEqual([2, 0, 4]);
    expect(await fpsGpu(ctx, p, 5, 5)).toEqual(fps(p, 5, 5));
  });

  it('equals the twin from several starts beyond one workgroup, and on lattices with ties and duplicates', async () => {
    const ctx = await testContext();
    const wg = ctx.workgroupSize1D(1024);
    for (const [n, count, seed] of [[wg * 3 + 17, 256, 1], [5000, 600, 2], [100, 100, 3]]) {
      const p = uniformCloud(n, seed);
      const copy = p.slice();
      for (const start of [0, n - 1]) {
        const got = await fpsGpu(ctx, p, n, count, start);
        expect(got).toEqual(fps(p, n, count, start));
      }
      expect(p).toEqual(copy);
    }
    const { positions, n } = latticeCloud(13, 5, 4); // 2197 + 440 duplicates: ties everywhere
    for (const start of [0, 1234]) {
      const want = fpsBruteForce(positions, n, n, start);
      expect(await fpsGpu(ctx, positions, n, n, start)).toEqual(want);
      expect(fps(positions, n, n, start)).toEqual(want);
    }
  });

  it('validates like the twin', async () => {
    const ctx = await testContext();
    const p = uniformCloud(8, 5);
    await expect(fpsGpu(ctx, p, 8, 9)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(fpsGpu(ctx, p, 9, 2)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    expect(await fpsGpu(ctx, p, 8, 0)).toEqual(new Uint32Array(0));
  });
});
