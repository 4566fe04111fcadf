/**
 * Sliding-window inference with overlap + blending (U-Nets, which cannot be tiled exactly): checked
 * against an independent reference — onnxruntime-node run on the same windows, blended here with
 * plainly written Gaussian weights — and against one whole-volume pass when a window covers it.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { extractBox } from '../../lib/tensor/box';
import { testContext } from '../test-setup';
import { type ModelSpec, buildModel } from './build-model';
import { prepareModel, runModel } from './executor';
import { freeSpatialDims } from './meshnet-data';
import { ortOptions, randomInput } from './ort-compare';
import { blendWeights, runSlidingWindow, windowStarts } from './sliding-window';
import { TINY_UNET as unet } from './tiny-unet';

/**
 * Reference blending: for every voxel, Σ_windows g(v − start) · logits / Σ g, with g a plain Gaussian (σ = w/8).
 * `mirror` (spatial axes 0 = z, 1 = y, 2 = x): each window's logits are the mean over every subset F of
 * those axes of onnxruntime run on the window read reversed along F, written back reversed along F.
 */
async function reference(x: { data: Float32Array; dims: number[] }, w: number[], starts: number[][], mirror: number[] = []): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(freeSpatialDims(buildModel(unet)), ortOptions(1));
  const [, , Z, Y, X] = x.dims;
  const num = new Float64Array(3 * Z * Y * X), den = new Float64Array(Z * Y * X);
  const g = (i: number, n: number) => Math.exp(-((i - (n - 1) / 2) ** 2) / (2 * (n / 8) ** 2));
  for (const z0 of starts[0]) for (const y0 of starts[1]) for (const x0 of starts[2]) {
    const win = extractBox(x.data, x.dims, [z0, y0, x0], w);
    const n = w[0] * w[1] * w[2];
    const out = new Float32Array(3 * n);
    const subsets = Array.from({ length: 2 ** mirror.length }, (_, m) => mirror.filter((_, b) => (m >> b) & 1));
    for (const f of subsets) {
      // position (k, j, i) of the flipped window holds the voxel at r(k, j, i) of the window
      const r = (k: number, j: number, i: number) =>
        ((f.includes(0) ? w[0] - 1 - k : k) * w[1] + (f.includes(1) ? w[1] - 1 - j : j)) * w[2] + (f.includes(2) ? w[2] - 1 - i : i);
      const flipped = new Float32Array(n);
      for (let k = 0; k < w[0]; k++) for (let j = 0; j < w[1]; j++) for (let i = 0; i < w[2]; i++) flipped[(k * w[1] + j) * w[2] + i] = win[r(k, j, i)];
      const y = (await s.run({ x: new ort.Tensor('float32', flipped, [1, 1, ...w]) })).y.data as Float32Array;
      for (let c = 0; c < 3; c++) for (let k = 0; k < w[0]; k++) for (let j = 0; j < w[1]; j++) for (let i = 0; i < w[2]; i++) {
        out[c * n + r(k, j, i)] += y[c * n + (k * w[1] + j) * w[2] + i] / subsets.length;
      }
    }
    for (let k = 0; k < w[0]; k++) for (let j = 0; j < w[1]; j++) for (let i = 0; i < w[2]; i++) {
      const wt = g(k, w[0]) * g(j, w[1]) * g(i, w[2]);
      const v = ((z0 + k) * Y + (y0 + j)) * X + (x0 + i);
      den[v] += wt;
      for (let c = 0; c < 3; c++) num[c * Z * Y * X + v] += wt * out[((c * w[0] + k) * w[1] + j) * w[2] + i];
    }
  }
  await s.release();
  return Float32Array.from(num, (v, i) => v / den[i % (Z * Y * X)]);
}

describe('sliding-window inference with Gaussian blending', () => {
  it('window starts cover the axis with the requested overlap; weights peak at the centre', () => {
    expect(windowStarts(16, 16, 0.5)).toEqual([0]);
    expect(windowStarts(10, 16, 0.5)).toEqual([0]);
    expect(windowStarts(40, 16, 0.5)).toEqual([0, 8, 16, 24]);
    expect(windowStarts(36, 16, 0.5)).toEqual([0, 7, 13, 20]);
    const s = windowStarts(37, 16, 0.25);
    expect(s[0]).toBe(0);
    expect(s.at(-1)).toBe(21);
    for (let i = 1; i < s.length; i++) expect(16 - (s[i] - s[i - 1])).toBeGreaterThanOrEqual(4);
    const wt = blendWeights([4, 4], 'gaussian');
    expect(Math.max(...wt)).toBeLessThanOrEqual(1);
    expect(wt[5]).toBeCloseTo(wt[10], 6); // symmetric about the centre
    expect(wt[0]).toBeLessThan(wt[5]);
    expect(Math.min(...wt)).toBeGreaterThan(0);
  });

  it('a U-Net over a 24×28×40 volume in 16³ windows (overlap 0.5) equals onnxruntime windows blended independently', async () => {
    const ctx = await testContext();
    const x = { data: randomInput([24 * 28 * 40], 21, 0, 1), dims: [1, 1, 24, 28, 40] };
    const w = [16, 16, 16];
    const stats: { windows?: number; windowStarts?: number[][] } = {};
    const ours = await runSlidingWindow(ctx, buildModel(unet), x, { window: w, overlap: 0.5 }, stats);
    expect(ours.dims).toEqual([1, 3, 24, 28, 40]);
    expect(stats.windowStarts).toEqual([[0, 8], [0, 6, 12], [0, 8, 16, 24]]);
    expect(stats.windows).toBe(24);
    const ref = await reference(x, w, stats.windowStarts!);
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(ref[i] - ours.data[i]));
    expect(maxErr).toBeLessThanOrEqual(1e-4);
  });

  it('test-time mirroring (y and x: 4 runs per window) equals onnxruntime on mirrored windows, averaged and blended independently', async () => {
    const ctx = await testContext();
    const x = { data: randomInput([20 * 24 * 28], 24, 0, 1), dims: [1, 1, 20, 24, 28] };
    const w = [16, 16, 16];
    const stats: { windows?: number; windowStarts?: number[][] } = {};
    const ours = await runSlidingWindow(ctx, buildModel(unet), x, { window: w, overlap: 0.5, mirror: [2, 1] }, stats);
    const ref = await reference(x, w, stats.windowStarts!, [1, 2]);
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(ref[i] - ours.data[i]));
    expect(maxErr).toBeLessThanOrEqual(1e-4);
    // and it is not the plain blend: the U-Net is not mirror-symmetric
    const plain = await runSlidingWindow(ctx, buildModel(unet), x, { window: w, overlap: 0.5 });
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(plain.data[i] - ours.data[i]));
    expect(diff).toBeGreaterThan(1e-3);
  });

  it('one window covering the volume equals a whole-volume pass; a smaller volume is zero-padded and cropped', async () => {
    const ctx = await testContext();
    const model = prepareModel(buildModel(unet));
    const x = { data: randomInput([16 ** 3], 22, 0, 1), dims: [1, 1, 16, 16, 16] };
    const whole = (await runModel(ctx, model, { x })).y;
    const one = await runSlidingWindow(ctx, model, x, { window: [16, 16, 16] });
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
    expect(one.data.length).toBe(whole.data.length);
    expect(maxDiff(one.data, whole.data)).toBeLessThanOrEqual(1e-6); // w·v / w rounding only
    // 12×16×10 → padded to 16³ with zeros at the end of z and x, result cropped back
    const small = { data: randomInput([12 * 16 * 10], 23, 0, 1), dims: [1, 1, 12, 16, 10] };
    const padded = new Float32Array(16 ** 3);
    for (let z = 0; z < 12; z++) for (let y = 0; y < 16; y++) for (let i = 0; i < 10; i++) padded[(z * 16 + y) * 16 + i] = small.data[(z * 16 + y) * 10 + i];
    const full = (await runModel(ctx, model, { x: { data: padded, dims: [1, 1, 16, 16, 16] } })).y;
    const cropped = await runSlidingWindow(ctx, model, small, { window: [16, 16, 16] });
    expect(cropped.dims).toEqual([1, 3, 12, 16, 10]);
    const ref = extractBox(full.data as Float32Array, full.dims, [0, 0, 0], [12, 16, 10]);
    expect(cropped.data.length).toBe(ref.length);
    expect(maxDiff(cropped.data, ref)).toBeLessThanOrEqual(1e-6);
  });

  it('rejects ArgMax outputs, wrong window ranks and overlaps with typed errors', async () => {
    const ctx = await testContext();
    const argmaxNet: ModelSpec = { ...unet, outputs: [{ name: 'k', type: 'int64' }], nodes: [...unet.nodes, { op: 'ArgMax', inputs: ['y'], outputs: ['k'], attrs: { axis: 1 } }] };
    const x = { data: new Float32Array(16 ** 3), dims: [1, 1, 16, 16, 16] };
    await expect(runSlidingWindow(ctx, buildModel(argmaxNet), x, { window: [16, 16, 16] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(runSlidingWindow(ctx, buildModel(unet), x, { window: [16, 16] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(runSlidingWindow(ctx, buildModel(unet), x, { window: [16, 16, 16], overlap: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(runSlidingWindow(ctx, buildModel(unet), x, { window: [16, 16, 16], mirror: [3] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
