/**
 * InstanceNormalization (the normalisation of nnU-Net-style 3-D U-Nets) vs onnxruntime-node and vs
 * its CPU twin; a hand-computed line; the typed errors; not tileable (statistics span the volume).
 */
import { describe, expect, it } from 'vitest';
import { GpuLimitsError } from '../../../runtime/errors';
import { testContext } from '../../../test-setup';
import { buildModel, type ModelSpec } from '../../build-model';
import { UnsupportedOpError } from '../../errors';
import { prepareModel, receptiveField, runModel } from '../../executor';
import { compareWithOrt, randomInput } from '../../ort-compare';
import { instanceNormCpu } from './instance-norm';

/** One InstanceNormalization node with random constant scale and bias. */
function inorm(x: number[], eps: number, seed: number): ModelSpec {
  const c = x[1];
  const r = randomInput([2 * c], seed, -1.5, 1.5);
  return {
    inputs: [{ name: 'x', dims: x }],
    outputs: [{ name: 'y' }],
    nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'], outputs: ['y'], attrs: { epsilon: { f: eps } } }],
    initializers: [{ name: 's', dims: [c], data: r.subarray(0, c) }, { name: 'b', dims: [c], data: r.subarray(c) }],
  };
}

describe('InstanceNormalization', () => {
  it('hand-computed line: x = 1..4, scale 2, bias 1, eps 0 → (x − 2.5)·2/√1.25 + 1 (GPU and CPU twin)', async () => {
    const want = [1, 2, 3, 4].map((v) => ((v - 2.5) * 2) / Math.sqrt(1.25) + 1);
    const cpu = instanceNormCpu(Float32Array.of(1, 2, 3, 4), [1, 1, 4], [2], [1], 0);
    cpu.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    const ctx = await testContext();
    const model = prepareModel(buildModel({
      inputs: [{ name: 'x', dims: [1, 1, 4] }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'], outputs: ['y'], attrs: { epsilon: { f: 0 } } }],
      initializers: [{ name: 's', dims: [1], data: [2] }, { name: 'b', dims: [1], data: [1] }],
    }));
    const y = (await runModel(ctx, model, { x: { data: Float32Array.of(1, 2, 3, 4), dims: [1, 1, 4] } })).y.data;
    Array.from(y).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it('matches onnxruntime-node: 3-D, 2-D, batch 2, eps 1e-5 and 1e-3 (≤ 1e-5)', async () => {
    const ctx = await testContext();
    const cases: [number[], number][] = [[[1, 4, 9, 10, 11], 1e-5], [[2, 3, 5, 6, 7], 1e-3], [[1, 3, 13, 17], 1e-5], [[1, 2, 1, 1, 1], 1e-5]];
    for (const [x, eps] of cases) {
      const r = await compareWithOrt(ctx, inorm(x, eps, 7));
      expect(r.maxAbs, `[${x}] eps ${eps}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('a U-Net block Conv → InstanceNormalization → LeakyRelu matches onnxruntime-node (≤ 1e-4)', async () => {
    const ctx = await testContext();
    const w = randomInput([4, 2, 3, 3, 3], 3, -0.3, 0.3);
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: [1, 2, 12, 10, 8] }],
      outputs: [{ name: 'z' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['h'], attrs: { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] } },
        { op: 'InstanceNormalization', inputs: ['h', 's', 'b'], outputs: ['n'], attrs: { epsilon: { f: 1e-5 } } },
        { op: 'LeakyRelu', inputs: ['n'], outputs: ['z'], attrs: { alpha: { f: 0.01 } } },
      ],
      initializers: [{ name: 'w', dims: [4, 2, 3, 3, 3], data: w }, { name: 's', dims: [4], data: [1, 0.5, 2, -1] }, { name: 'b', dims: [4], data: [0, 0.1, -0.2, 0.3] }],
    };
    const r = await compareWithOrt(ctx, spec);
    expect(r.maxAbs).toBeLessThanOrEqual(1e-4);
  });

  it('lines far longer than a workgroup, offset far from zero: equals the CPU twin (centred variance)', async () => {
    const ctx = await testContext();
    const dims = [1, 2, 32, 48, 40];
    const x = randomInput(dims, 5, 999, 1001);
    const scale = [1.5, -0.5], bias = [0.25, 2];
    const spec = buildModel({
      inputs: [{ name: 'x', dims }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'], outputs: ['y'] }],
      initializers: [{ name: 's', dims: [2], data: scale }, { name: 'b', dims: [2], data: bias }],
    });
    const got = (await runModel(ctx, prepareModel(spec), { x: { data: x, dims } })).y.data;
    const want = instanceNormCpu(x, dims, scale, bias, 1e-5);
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
    expect(max).toBeLessThanOrEqual(5e-3);
    // the values are ~U(999, 1001): normalised they span about ±1.7·|scale|, so this is not trivially small
    expect(Math.max(...Array.from(want.subarray(0, 1000)))).toBeGreaterThan(1.5);
  });

  it('typed errors: scale not constant, channel mismatch; a value over the binding limit is not tileable', async () => {
    const dyn = buildModel({
      inputs: [{ name: 'x', dims: [1, 2, 4, 4, 4] }, { name: 's', dims: [2] }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'], outputs: ['y'] }],
      initializers: [{ name: 'b', dims: [2], data: [0, 0] }],
    });
    expect(() => prepareModel(dyn)).toThrow(UnsupportedOpError);
    const ctx = await testContext();
    const bad = prepareModel(buildModel({ ...inorm([1, 3, 4, 4, 4], 1e-5, 2), inputs: [{ name: 'x', dims: ['n', 'c', 'z', 'y', 'x'] }] }));
    await expect(runModel(ctx, bad, { x: { data: new Float32Array(2 * 64), dims: [1, 2, 4, 4, 4] } })).rejects.toThrow(/InstanceNormalization has 3 channels/);
    const model = prepareModel(buildModel(inorm([1, 2, 16, 16, 16], 1e-5, 3)));
    expect(receptiveField(model)).toMatchObject({ tileable: false });
    const small = ctx.withLimits({ maxStorageBufferBindingSize: 4 * 2 * 16 * 16 * 8 });
    const x = { data: randomInput([1, 2, 16, 16, 16], 4), dims: [1, 2, 16, 16, 16] };
    await expect(runModel(small, model, { x })).rejects.toThrow(GpuLimitsError);
    await expect(runModel(small, model, { x })).rejects.toThrow(/whole volume/);
  });
});
