import { describe, expect, it } from 'vitest';
import { interpolate, threeNN } from '../../../lib/pointnet/interpolate';
import { testContext } from '../../test-setup';
import { latticeCloud, maxAbsDiff, uniformCloud } from '../testing';
import { interpolateGpu, threeInterpolateGpu } from './interpolate';

describe('interpolateGpu', () => {
  it('3-NN equals the twin exactly, features within 1e-5 (many workgroups, lattice ties)', async () => {
    const ctx = await testContext();
    for (const [known, m, seed] of [
      [uniformCloud(700, 61), 700, 62],
      [latticeCloud(6, 5, 63).positions, latticeCloud(6, 5, 63).n, 64],
    ] as const) {
      const n = 2500;
      const unknown = uniformCloud(n, seed).map((v) => v * 1.5);
      const C = 5;
      const feats = uniformCloud(m * C, seed + 1).subarray(0, m * C).map((v) => v * 2 - 1);
      const got = await threeInterpolateGpu(ctx, unknown, n, known, m, feats, C);
      const nn = threeNN(unknown, n, known, m);
      expect(got.idx).toEqual(nn.idx);
      expect(got.dist2).toEqual(nn.dist2);
      expect(maxAbsDiff(got.features, interpolate(unknown, n, known, m, feats, C))).toBeLessThanOrEqual(1e-5);
      // Dense points on known points (exact hits, duplicates in the lattice).
      expect(maxAbsDiff(await interpolateGpu(ctx, known, m, known, m, feats, C), interpolate(known, m, known, m, feats, C))).toBeLessThanOrEqual(1e-5);
    }
  });
});
