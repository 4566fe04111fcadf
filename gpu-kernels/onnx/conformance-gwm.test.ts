/**
 * Conformance: MeshNet GWM (../shared/data/models/meshnet_gwm_niivue) on the centre 96³ crop of the
 * T1 volume vs onnxruntime-node (CPU): channel argmax (ties to the lowest) equal on ≥ 99.9 % of
 * voxels, nothing delegated; prints the adapter and both timings.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testContext } from '../test-setup';
import { type RunStats, prepareModel, receptiveField, runModel } from './executor';
import { GWM, agreement, argmaxC, centreCrop, ortRun, t1 } from './meshnet-fixtures';

describe('MeshNet GWM conformance vs onnxruntime-node', () => {
  const vol = t1();

  it('MeshNet GWM on the centre 96³ crop: ≥ 99.9 % argmax agreement, nothing delegated, timings', async () => {
    const ctx = await testContext();
    const model = prepareModel(readFileSync(GWM));
    expect(receptiveField(model)).toMatchObject({ tileable: true, halo: [46, 46, 46], size: [93, 93, 93] });
    const x = centreCrop(vol, 96);
    // 24³ needs the same kernel variants as 96³ (tile edges 8 and 4): compiles them, untimed
    await runModel(ctx, model, { input: centreCrop(vol, 24) });
    const stats: Partial<RunStats> = {};
    const t = performance.now();
    const got = (await runModel(ctx, model, { input: x }, {}, stats)).output;
    const gpuMs = performance.now() - t;
    const want = await ortRun(GWM, x);
    expect(got.dims).toEqual(want.dims);
    const agree = agreement(argmaxC(got.data, got.dims), argmaxC(want.data, want.dims));
    let maxErr = 0;
    for (let i = 0; i < want.data.length; i++) maxErr = Math.max(maxErr, Math.abs(got.data[i] - want.data[i]));
    console.log(`[GWM 96³] adapter ${stats.adapter}: engine ${gpuMs.toFixed(0)} ms vs onnxruntime-node CPU ${want.ms.toFixed(0)} ms; ` +
      `argmax agreement ${(100 * agree).toFixed(4)} %, max |Δlogit| ${maxErr.toExponential(2)}; nodes ${stats.onnxNodes} → ${stats.gpuNodes} GPU, delegated ${stats.delegated}; ` +
      `conv paths ${JSON.stringify(stats.convPaths)}; peak ${(stats.peakBytes! / 2 ** 20).toFixed(1)} MiB (naive ${(stats.naiveBytes! / 2 ** 20).toFixed(1)} MiB)`);
    expect(agree).toBeGreaterThanOrEqual(0.999);
    expect(stats.delegated).toBe(0);
    expect(stats.adapter).toMatch(/\S/); // the adapter that ran it is recorded (runner: this engine)
    expect(stats.gpuNodes).toBe(10); // 10 Conv with fused Relu
    // two 5-channel activations + input + 3-channel output
    expect(stats.peakBytes).toBeLessThanOrEqual(96 ** 3 * 4 * (5 + 5 + 1 + 3));
  });
});
