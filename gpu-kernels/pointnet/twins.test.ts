/** CPU twins (lib/pointnet) against brute-force oracles written out here. */
import { describe, expect, it } from 'vitest';
import {
  compactValid,
  ballQuery,
  ballQueryBruteForce,
  featurePropagation,
  fps,
  fpsBruteForce,
  gatherPoints,
  group,
  interpolate,
  maxPool,
  randomLayer,
  setAbstraction,
  sharedMlp,
  threeNN,
} from '../../lib/pointnet';
import { finishCloud } from '../../lib/formats/pointcloud/types';
import { rng } from '../test-setup';
import { latticeCloud, maxAbsDiff, uniformCloud } from './testing';

const d2 = (p: Float32Array, i: number, c: ArrayLike<number>, j: number) => {
  const f = Math.fround;
  const dx = f(p[3 * i] - c[3 * j]), dy = f(p[3 * i + 1] - c[3 * j + 1]), dz = f(p[3 * i + 2] - c[3 * j + 2]);
  return f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz));
};

describe('fps (CPU twin)', () => {
  it('hand-made line: picks the far end, then the middle, ties to the lowest index', () => {
    const p = new Float32Array([0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0]);
    expect(Array.from(fps(p, 5, 3))).toEqual([0, 4, 2]);
    // From the middle: 0 and 4 tie at distance 4 → 0; then 4.
    expect(Array.from(fps(p, 5, 3, 2))).toEqual([2, 0, 4]);
  });

  it('equals brute force on uniform and lattice clouds (ties, duplicates), any start', () => {
    for (const [seed, n, count] of [[1, 2000, 300], [2, 5000, 700], [3, 33, 33]]) {
      const p = uniformCloud(n, seed);
      for (const start of [0, 7, n - 1]) expect(fps(p, n, count, start)).toEqual(fpsBruteForce(p, n, count, start));
    }
    const { positions, n } = latticeCloud(12, 7, 4);
    for (const start of [0, 100]) expect(fps(positions, n, n, start)).toEqual(fpsBruteForce(positions, n, n, start));
  });

  it('validates and keeps the input', () => {
    const p = uniformCloud(10, 5);
    const copy = p.slice();
    fps(p, 10, 5);
    expect(p).toEqual(copy);
    expect(() => fps(p, 10, 11)).toThrow(/count/);
    expect(() => fps(p, 10, 3, 10)).toThrow(/start/);
    expect(() => fps(p, 11, 3)).toThrow(/points/);
    p[4] = NaN;
    expect(() => fps(p, 10, 3)).toThrow(/non-finite/);
    expect(fps(p, 0, 0)).toEqual(new Uint32Array(0));
  });
});

describe('ballQuery (CPU twin)', () => {
  it('reference padding: first found fills the unfilled slots; none found → own index / 0', () => {
    const p = new Float32Array([0, 0, 0, 5, 0, 0, 0.05, 0, 0, 10, 0, 0]);
    const r = ballQuery(p, 4, new Uint32Array([2, 1]), 0.1, 4);
    expect(Array.from(r.idx)).toEqual([0, 2, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(r.counts)).toEqual([2, 1]);
    const far = ballQuery(p, 4, new Float32Array([100, 0, 0, 0.04, 0, 0]), 0.1, 2);
    expect(Array.from(far.idx)).toEqual([0, 0, 0, 2]);
    expect(Array.from(far.counts)).toEqual([0, 2]);
    // Strict <: a point exactly at the radius is out.
    const q = new Float32Array([0, 0, 0, 0.5, 0, 0]);
    expect(Array.from(ballQuery(q, 2, new Uint32Array([0]), 0.5, 2).idx)).toEqual([0, 0]);
  });

  it('grid search equals the brute-force reference loop (index and coordinate centres, huge and tiny radii)', () => {
    const n = 4000;
    const p = uniformCloud(n, 11);
    const cidx = fps(p, n, 200);
    const r = rng(12);
    const coords = new Float32Array(3 * 150).map(() => r() * 1.6 - 0.3);
    for (const [radius, k] of [[0.1, 32], [0.2, 64], [0.03, 8], [5, 16], [1e-4, 4]] as const) {
      expect(ballQuery(p, n, cidx, radius, k)).toEqual(ballQueryBruteForce(p, n, cidx, radius, k));
      expect(ballQuery(p, n, coords, radius, k)).toEqual(ballQueryBruteForce(p, n, coords, radius, k));
    }
    const { positions, n: ln } = latticeCloud(10, 5, 13);
    const lc = fps(positions, ln, 50);
    for (const radius of [0.25, 0.2500001, 0.5]) expect(ballQuery(positions, ln, lc, radius, 20)).toEqual(ballQueryBruteForce(positions, ln, lc, radius, 20));
    // The oracle itself: every listed index is within the radius, first k in index order.
    const bf = ballQueryBruteForce(p, n, cidx, 0.1, 16);
    for (let j = 0; j < 200; j++) {
      const inside: number[] = [];
      for (let i = 0; i < n; i++) if (d2(p, i, p, cidx[j]) < Math.fround(0.01)) inside.push(i);
      const want = inside.slice(0, 16);
      while (want.length < 16) want.push(inside[0]);
      expect(Array.from(bf.idx.subarray(16 * j, 16 * j + 16))).toEqual(want);
    }
  });
});

describe('group, 3-NN interpolation, shared MLP, max-pool (CPU twins)', () => {
  it('group gathers relative xyz and features', () => {
    const p = new Float32Array([0, 0, 0, 1, 2, 3, 4, 5, 6]);
    const f = new Float32Array([10, 11, 20, 21, 30, 31]);
    const out = group(p, 3, new Uint32Array([1, 2, 0, 0]), new Float32Array([1, 1, 1, 0, 0, 0]), { k: 2, features: f, channels: 2 });
    expect(Array.from(out)).toEqual([0, 1, 2, 20, 21, 3, 4, 5, 30, 31, 0, 0, 0, 10, 11, 0, 0, 0, 10, 11]);
    expect(() => group(p, 3, new Uint32Array([3, 0]), new Float32Array([0, 0, 0]), { k: 2 })).toThrow(/out of range/);
  });

  it('threeNN equals a sort of all distances (stable, ties to lower index); weights sum to 1', () => {
    const { positions: known, n: m } = latticeCloud(5, 4, 21);
    const unknown = uniformCloud(300, 22).map((v) => v * 1.2);
    const { idx, dist2 } = threeNN(unknown, 300, known, m);
    for (let u = 0; u < 300; u++) {
      const order = Array.from({ length: m }, (_, q) => q).sort((a, b) => d2(known, a, unknown, u) - d2(known, b, unknown, u) || a - b);
      expect(Array.from(idx.subarray(3 * u, 3 * u + 3))).toEqual(order.slice(0, 3));
      expect(dist2[3 * u]).toBe(d2(known, order[0], unknown, u));
    }
    const ones = new Float32Array(m).fill(1);
    const out = interpolate(unknown, 300, known, m, ones, 1);
    expect(maxAbsDiff(out, new Float32Array(300).fill(1))).toBeLessThan(1e-6);
    // A dense point on a known point takes its feature.
    const uk = uniformCloud(50, 23);
    const feats = new Float32Array(50).map((_, q) => q);
    expect(interpolate(uk.subarray(30, 33), 1, uk, 50, feats, 1)[0]).toBeCloseTo(10, 5);
  });

  it('shared MLP equals a naive matrix product with ReLU; max-pool takes group maxima', () => {
    const rows = 37;
    const layers = [randomLayer(5, 8, 1), randomLayer(8, 3, 2)];
    const r = rng(3);
    const x = new Float32Array(rows * 5).map(() => r() * 2 - 1);
    const y = sharedMlp(x, rows, layers);
    for (let row = 0; row < rows; row++) {
      let h = Array.from(x.subarray(row * 5, row * 5 + 5));
      for (const l of layers) {
        h = Array.from({ length: l.cout }, (_, o) => Math.max(0, l.bias[o] + h.reduce((s, v, i) => s + l.weight[o * l.cin + i] * v, 0)));
        h = h.map(Math.fround);
      }
      for (let o = 0; o < 3; o++) expect(y[row * 3 + o]).toBeCloseTo(h[o], 5);
    }
    const pooled = maxPool(new Float32Array([1, -5, 3, 2, -1, -7, 0, -9]), 2, 2, 2);
    expect(Array.from(pooled)).toEqual([3, 2, 0, -7]);
  });

  it('set abstraction (SSG, MSG) composes the twins; feature propagation concatenates skip features', () => {
    const n = 1500;
    const p = uniformCloud(n, 31);
    const feats = uniformCloud(n, 32).subarray(0, 2 * n);
    const scales = [
      { radius: 0.1, nsample: 8, mlp: [randomLayer(5, 16, 1), randomLayer(16, 16, 2)] },
      { radius: 0.2, nsample: 16, mlp: [randomLayer(5, 8, 3)] },
    ];
    const sa = setAbstraction(p, n, { npoint: 64, scales, features: feats, channels: 2 });
    expect(sa.channels).toBe(24);
    expect(sa.indices).toEqual(fps(p, n, 64));
    expect(sa.centres).toEqual(gatherPoints(p, sa.indices));
    // Scale 2 by hand.
    const q = ballQuery(p, n, sa.indices, 0.2, 16);
    const g = group(p, n, q.idx, sa.centres, { k: 16, features: feats, channels: 2 });
    const want = maxPool(sharedMlp(g, 64 * 16, scales[1].mlp), 64, 16, 8);
    for (let j = 0; j < 64; j++) expect(Array.from(sa.features.subarray(j * 24 + 16, j * 24 + 24))).toEqual(Array.from(want.subarray(j * 8, j * 8 + 8)));
    const fp = featurePropagation(p, n, sa.centres, 64, sa.features, 24, [randomLayer(26, 4, 9)], { features: feats, channels: 2 });
    expect(fp.length).toBe(4 * n);
    expect(fp.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
  });
});

describe('compactValid', () => {
  it('drops invalid points and maps back to cloud indices', () => {
    const cloud = finishCloud({ positions: new Float32Array([0, 0, 0, NaN, 1, 1, 2, 2, 2, 3, 3, 3]), count: 4 });
    const c = compactValid(cloud);
    expect(c.n).toBe(3);
    expect(Array.from(c.index)).toEqual([0, 2, 3]);
    expect(Array.from(c.positions)).toEqual([0, 0, 0, 2, 2, 2, 3, 3, 3]);
    expect(Array.from(fps(c.positions, c.n, 2)).map((i) => c.index[i])).toEqual([0, 3]);
  });
});
