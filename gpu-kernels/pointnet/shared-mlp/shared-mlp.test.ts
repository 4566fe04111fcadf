import { describe, expect, it } from 'vitest';
import { maxPool, randomLayer, sharedMlp } from '../../../lib/pointnet/mlp';
import { rng, testContext } from '../../test-setup';
import { maxAbsDiff } from '../testing';
import { sharedMlpGpu, sharedMlpMaxPoolGpu } from './shared-mlp';

describe('sharedMlpGpu / sharedMlpMaxPoolGpu', () => {
  const layers = [randomLayer(3, 64, 1), randomLayer(64, 64, 2), randomLayer(64, 128, 3)];
  const m = 96, k = 16;
  const r = rng(7);
  const x = new Float32Array(m * k * 3).map(() => r() * 0.4 - 0.2);

  it('equals the twin within f32 tolerance (3→64→64→128, ReLU, max-pool)', async () => {
    const ctx = await testContext();
    const h = sharedMlp(x, m * k, layers);
    const got = await sharedMlpGpu(ctx, x, m * k, layers);
    expect(maxAbsDiff(got, h)).toBeLessThanOrEqual(1e-5);
    const pooled = await sharedMlpMaxPoolGpu(ctx, x, m, k, layers);
    expect(maxAbsDiff(pooled, maxPool(h, m, k, 128))).toBeLessThanOrEqual(1e-5);
    const lin = await sharedMlpGpu(ctx, x, m * k, layers.slice(0, 1), { relu: false });
    expect(lin.some((v) => v < 0)).toBe(true);
    expect(maxAbsDiff(lin, sharedMlp(x, m * k, layers.slice(0, 1), { relu: false }))).toBeLessThanOrEqual(1e-5);
  });

  it('chunks groups under a small binding limit with identical results', async () => {
    const ctx = await testContext();
    const whole = await sharedMlpMaxPoolGpu(ctx, x, m, k, layers);
    const small = ctx.withLimits({ maxStorageBufferBindingSize: 4 * k * 128 * 7 }); // 7 groups per chunk
    expect(await sharedMlpMaxPoolGpu(small, x, m, k, layers)).toEqual(whole);
    await expect(sharedMlpMaxPoolGpu(ctx.withLimits({ maxStorageBufferBindingSize: 1024 }), x, m, k, layers)).rejects.toMatchObject({ code: 'GPU_LIMITS' });
  });
});
