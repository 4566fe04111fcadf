import { describe, expect, it } from 'vitest';
import { meanShiftClusters } from '../../../lib/pointnet/model/mean-shift';
import { rng, testContext } from '../../test-setup';
import { maxAbsDiff } from '../testing';
import { meanShiftClustersGpu, meanShiftModesGpu } from './mean-shift';

/** Gaussian blobs (σ in metres) around random centres in a 0.6 m box offset by `origin`, plus uniform noise points. */
function blobs(k: number, perBlob: number, sigma: number, noise: number, origin: number, seed: number): { p: Float32Array; n: number } {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const pts: number[] = [];
  for (let b = 0; b < k; b++) {
    const c = [origin + 0.6 * r(), origin + 0.6 * r(), origin + 0.2 * r()];
    for (let i = 0; i < perBlob; i++) pts.push(c[0] + sigma * gauss(), c[1] + sigma * gauss(), c[2] + sigma * gauss());
  }
  for (let i = 0; i < noise; i++) pts.push(origin + 0.6 * r(), origin + 0.6 * r(), origin + 0.2 * r());
  // shuffle so clusters interleave in index order
  const n = pts.length / 3;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    for (let a = 0; a < 3; a++) [pts[3 * i + a], pts[3 * j + a]] = [pts[3 * j + a], pts[3 * i + a]];
  }
  return { p: new Float32Array(pts), n };
}

describe('meanShiftModesGpu / meanShiftClustersGpu', () => {
  it('hand-made: isolated points stay, a pair meets at its midpoint in one step', async () => {
    const ctx = await testContext();
    // points 0,1 within the bandwidth (0.1) of each other; point 2 alone
    const p = new Float32Array([0, 0, 0, 0.05, 0, 0, 1, 1, 1]);
    const { modes, iterations } = await meanShiftModesGpu(ctx, p, 3, 0.1);
    const h = Math.fround(0.025); // f32(0.05) / 2, exact
    expect(Array.from(modes)).toEqual([h, 0, 0, h, 0, 0, 1, 1, 1]);
    // step 1 moves the pair to the midpoint, step 2 does not move it (converged); the lone point stops after step 1
    expect(Array.from(iterations)).toEqual([2, 2, 1]);
    const c = await meanShiftClustersGpu(ctx, p, 3, 0.1, 1);
    expect(Array.from(c.labels)).toEqual([1, 1, 2]);
    expect(c.count).toBe(2);
    expect((await meanShiftClustersGpu(ctx, p, 3, 0.1, 2)).labels).toEqual(new Int32Array([1, 1, 0]));
  });

  it('equals the CPU twin on random clustered points: modes ≤ 1e-4, identical clusters', async () => {
    const ctx = await testContext();
    const wg = ctx.workgroupSize1D(64);
    const cases: [number, number, number, number, number, number, number][] = [
      // k blobs, per blob, σ, noise, origin, seed, bandwidth
      [8, 180, 0.01, 120, 0, 1, 0.035],
      [6, 250, 0.015, 60, 1.5, 2, 0.035],
      [12, 40, 0.006, 30, -0.7, 3, 0.02],
      [3, wg + 7, 0.02, 0, 0, 4, 0.05],
    ];
    for (const [k, per, sigma, noise, origin, seed, bw] of cases) {
      const { p, n } = blobs(k, per, sigma, noise, origin, seed);
      const copy = p.slice();
      const cpu = meanShiftClusters(p, n, bw, 5);
      const gpu = await meanShiftClustersGpu(ctx, p, n, bw, 5);
      expect(p).toEqual(copy);
      const d = maxAbsDiff(gpu.modes, cpu.modes);
      console.log(`mean shift n=${n} bw=${bw}: ${cpu.count} clusters, max |mode GPU − twin| ${d.toExponential(2)}`);
      expect(d).toBeLessThanOrEqual(1e-4);
      expect(gpu.count).toBe(cpu.count);
      expect(gpu.count).toBeGreaterThanOrEqual(2);
      expect(gpu.labels).toEqual(cpu.labels);
    }
  });

  it('respects maxIter and validates like the twin', async () => {
    const ctx = await testContext();
    const { p, n } = blobs(2, 50, 0.01, 0, 0, 5);
    const one = await meanShiftModesGpu(ctx, p, n, 0.035, 1);
    expect(Math.max(...one.iterations)).toBe(1);
    expect(maxAbsDiff(one.modes, meanShiftClusters(p, n, 0.035, 1, 1).modes)).toBeLessThanOrEqual(1e-6);
    await expect(meanShiftModesGpu(ctx, p, n, 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(meanShiftModesGpu(ctx, p, n, 0.03, 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(meanShiftModesGpu(ctx, p, n + 1, 0.03)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(meanShiftClustersGpu(ctx, p, n, 0.03, 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const empty = await meanShiftClustersGpu(ctx, new Float32Array(0), 0, 0.03);
    expect(empty.count).toBe(0);
    expect(empty.labels).toEqual(new Int32Array(0));
  });
});
