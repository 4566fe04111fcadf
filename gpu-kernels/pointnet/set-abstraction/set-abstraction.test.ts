import { describe, expect, it } from 'vitest';
import { randomLayer } from '../../../lib/pointnet/mlp';
import { setAbstraction } from '../../../lib/pointnet/set-abstraction';
import { testContext } from '../../test-setup';
import { maxAbsDiff, uniformCloud } from '../testing';
import { setAbstractionGpu } from './set-abstraction';

describe('setAbstractionGpu', () => {
  it('MSG layer with features equals the twin (indices exact, features ≤ 1e-5)', async () => {
    const ctx = await testContext();
    const n = 4096;
    const p = uniformCloud(n, 71);
    const f = uniformCloud(n, 72).subarray(0, 3 * n);
    const opts = {
      npoint: 256,
      features: f,
      channels: 3,
      scales: [
        { radius: 0.1, nsample: 16, mlp: [randomLayer(6, 32, 1), randomLayer(32, 64, 2)] },
        { radius: 0.2, nsample: 32, mlp: [randomLayer(6, 16, 3)] },
      ],
    };
    const want = setAbstraction(p, n, opts);
    const got = await setAbstractionGpu(ctx, p, n, opts);
    expect(got.indices).toEqual(want.indices);
    expect(got.centres).toEqual(want.centres);
    expect(got.channels).toBe(80);
    expect(maxAbsDiff(got.features, want.features)).toBeLessThanOrEqual(1e-5);
  });
});
