/**
 * f16 conformance: MeshNet GWM (centre 64³ crop) and model18cls (48³ crop, (x,y,z) C-order) run
 * with `precision: 'f16'` (f16 weights and input tiles, f32 accumulation; needs `shader-f16`)
 * vs onnxruntime-node (CPU, f32): channel argmax equal on ≥ 99.9 % of voxels. Also logs the f32
 * vs f16 wall time of GWM 96³ on this adapter (informational: a software Vulkan driver says
 * nothing about f16 speed on a GPU; no timed assertion).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testContext } from '../test-setup';
import { type RunStats, prepareModel, runModel } from './executor';
import { GWM, M18, agreement, argmaxC, centreCrop, ortRun, reverseAxes, t1 } from './meshnet-fixtures';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('f16 conv precision on MeshNet vs onnxruntime-node', () => {
  const vol = t1();

  it('the test adapter has shader-f16 (the f16 path below is really exercised)', async () => {
    const ctx = await testContext();
    expect(ctx.hasF16).toBe(true);
    expect(ctx.device.features.has('shader-f16')).toBe(true);
  });

  it('GWM, centre 64³, f16: ≥ 99.9 % argmax agreement; f16 arithmetic visible in the logits', async () => {
    const ctx = await testContext();
    const model = prepareModel(readFileSync(GWM));
    const x = centreCrop(vol, 64);
    const stats: Partial<RunStats> = {};
    const got = (await runModel(ctx, model, { input: x }, { precision: 'f16' }, stats)).output;
    const f32 = (await runModel(ctx, model, { input: x }, { precision: 'f32' })).output;
    const want = await ortRun(GWM, x);
    expect(stats.precision).toBe('f16');
    expect(stats.convPaths!.tiled).toBeGreaterThan(0);
    const agree = agreement(argmaxC(got.data, got.dims), argmaxC(want.data, want.dims));
    const err = maxAbsDiff(got.data, want.data);
    const err32 = maxAbsDiff(f32.data, want.data);
    console.log(`[GWM 64³ f16] adapter ${stats.adapter}: argmax agreement ${(100 * agree).toFixed(4)} %, max |Δlogit| ${err.toExponential(2)} ` +
      `(f32 run: ${err32.toExponential(2)}); conv paths ${JSON.stringify(stats.convPaths)}`);
    expect(agree).toBeGreaterThanOrEqual(0.999);
    // the f16 run really rounded: its logits differ from the f32 run's by more than f32 noise
    expect(maxAbsDiff(got.data, f32.data)).toBeGreaterThan(10 * Math.max(err32, 1e-6));
  });

  it('model18cls (Elu, 21 channels), 48³ crop, f16: ≥ 99.9 % argmax agreement', async () => {
    const ctx = await testContext();
    const model = prepareModel(readFileSync(M18));
    const x = reverseAxes(centreCrop(vol, 48));
    const stats: Partial<RunStats> = {};
    const got = (await runModel(ctx, model, { input: x }, { precision: 'f16' }, stats)).output;
    const want = await ortRun(M18, x);
    expect(stats.precision).toBe('f16');
    const agree = agreement(argmaxC(got.data, got.dims), argmaxC(want.data, want.dims));
    const err = maxAbsDiff(got.data, want.data);
    console.log(`[model18cls 48³ f16] agreement ${(100 * agree).toFixed(4)} %, max |Δlogit| ${err.toExponential(2)}, conv paths ${JSON.stringify(stats.convPaths)}`);
    expect(agree).toBeGreaterThanOrEqual(0.999);
    expect(stats.delegated).toBe(0);
  });

  it('GWM 96³: f32 vs f16 wall time on this adapter (logged), f16 agreement ≥ 99.9 %', async () => {
    const ctx = await testContext();
    const model = prepareModel(readFileSync(GWM));
    // 24³ compiles the same kernel variants as 96³ (tile edges 8 and 4), untimed
    for (const precision of ['f32', 'f16'] as const) await runModel(ctx, model, { input: centreCrop(vol, 24) }, { precision });
    const x = centreCrop(vol, 96);
    const ms: Record<string, number> = {};
    const out: Record<string, Float32Array> = {};
    for (const precision of ['f32', 'f16', 'f32', 'f16'] as const) {
      const t = performance.now();
      const o = (await runModel(ctx, model, { input: x }, { precision })).output;
      const dt = performance.now() - t;
      ms[precision] = Math.min(ms[precision] ?? Infinity, dt);
      out[precision] = o.data as Float32Array;
    }
    const want = await ortRun(GWM, x);
    const ref = argmaxC(want.data, want.dims);
    const dims = want.dims;
    const agree16 = agreement(argmaxC(out.f16, dims), ref);
    const agree32 = agreement(argmaxC(out.f32, dims), ref);
    console.log(`[GWM 96³] adapter ${ctx.adapterInfo.name}: best of 2 — f32 ${ms.f32.toFixed(0)} ms, f16 ${ms.f16.toFixed(0)} ms ` +
      `(ratio f16/f32 ${(ms.f16 / ms.f32).toFixed(2)}); onnxruntime-node ${want.ms.toFixed(0)} ms; agreement f32 ${(100 * agree32).toFixed(4)} %, ` +
      `f16 ${(100 * agree16).toFixed(4)} %, max |Δlogit| f16 ${maxAbsDiff(out.f16, want.data).toExponential(2)}`);
    expect(agree16).toBeGreaterThanOrEqual(0.999);
  });
});
