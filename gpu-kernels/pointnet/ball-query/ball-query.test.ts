import { describe, expect, it } from 'vitest';
import { ballQuery, ballQueryBruteForce } from '../../../lib/pointnet/ball-query';
import { fps } from '../../../lib/pointnet/fps';
import { rng, testContext } from '../../test-setup';
import { latticeCloud, uniformCloud } from '../testing';
import { ballQueryGpu } from './ball-query';

describe('ballQueryGpu', () => {
  it('reference padding and fallbacks on a hand-made cloud', async () => {
    const ctx = await testContext();
    const p = new Float32Array([0, 0, 0, 5, 0, 0, 0.05, 0, 0, 10, 0, 0]);
    const r = await ballQueryGpu(ctx, p, 4, new Uint32Array([2, 1]), 0.1, 4);
    expect(Array.from(r.idx)).toEqual([0, 2, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(r.counts)).toEqual([2, 1]);
    const far = await ballQueryGpu(ctx, p, 4, new Float32Array([100, 0, 0, 0.04, 0, 0]), 0.1, 2);
    expect(Array.from(far.idx)).toEqual([0, 0, 0, 2]);
  });

  it('equals brute force and the grid twin exactly: index and coordinate centres, many workgroups, lattice ties', async () => {
    const ctx = await testContext();
    const n = 6000;
    const p = uniformCloud(n, 41);
    const cidx = fps(p, n, 700);
    const r = rng(42);
    const coords = new Float32Array(3 * 300).map(() => r() * 1.4 - 0.2);
    for (const [radius, k] of [[0.1, 32], [0.05, 16], [0.3, 64]] as const) {
      const want = ballQueryBruteForce(p, n, cidx, radius, k);
      expect(await ballQueryGpu(ctx, p, n, cidx, radius, k)).toEqual(want);
      expect(ballQuery(p, n, cidx, radius, k)).toEqual(want);
      const wantC = ballQueryBruteForce(p, n, coords, radius, k);
      expect(await ballQueryGpu(ctx, p, n, coords, radius, k)).toEqual(wantC);
    }
    const { positions, n: ln } = latticeCloud(10, 3, 43);
    const lc = fps(positions, ln, 120);
    for (const radius of [0.25, 0.2500001, 0.6]) {
      expect(await ballQueryGpu(ctx, positions, ln, lc, radius, 24)).toEqual(ballQueryBruteForce(positions, ln, lc, radius, 24));
    }
  });
});
