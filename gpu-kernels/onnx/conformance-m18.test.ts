/**
 * Conformance: model18cls (21-channel MeshNet, Elu) on a 64³ crop in (x,y,z) C-order vs
 * onnxruntime-node: channel argmax equal on ≥ 99.9 % of voxels, nothing delegated.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testContext } from '../test-setup';
import { type RunStats, prepareModel, runModel } from './executor';
import { M18, agreement, argmaxC, centreCrop, ortRun, reverseAxes, t1 } from './meshnet-fixtures';

describe('model18cls conformance vs onnxruntime-node', () => {
  const vol = t1();

  it('model18cls (Elu, 21 channels) on a 64³ crop in (x,y,z) C-order: ≥ 99.9 % argmax agreement', async () => {
    const ctx = await testContext();
    const model = prepareModel(readFileSync(M18));
    const x = reverseAxes(centreCrop(vol, 64));
    const stats: Partial<RunStats> = {};
    const t = performance.now();
    const got = (await runModel(ctx, model, { input: x }, {}, stats)).output;
    const gpuMs = performance.now() - t;
    const want = await ortRun(M18, x);
    const agree = agreement(argmaxC(got.data, got.dims), argmaxC(want.data, want.dims));
    let maxErr = 0;
    for (let i = 0; i < want.data.length; i++) maxErr = Math.max(maxErr, Math.abs(got.data[i] - want.data[i]));
    console.log(`[model18cls 64³] adapter ${stats.adapter}: engine ${gpuMs.toFixed(0)} ms (incl. pipeline compile) vs onnxruntime-node ${want.ms.toFixed(0)} ms; ` +
      `agreement ${(100 * agree).toFixed(4)} %, max |Δlogit| ${maxErr.toExponential(2)}, delegated ${stats.delegated}`);
    expect(agree).toBeGreaterThanOrEqual(0.999);
    expect(stats.delegated).toBe(0);
    expect(stats.adapter).toMatch(/\S/); // the adapter that ran it is recorded (runner: this engine)
  });
});
