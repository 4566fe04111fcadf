/** Conv (1-D/2-D/3-D, generic and tiled paths, fused activations, folded BN) and ConvTranspose vs onnxruntime-node, f32. */
import { describe, expect, it } from 'vitest';
import { testContext } from '../../../test-setup';
import type { ModelSpec, NodeSpec } from '../../build-model';
import type { RunOptions } from '../../executor';
import { compareWithOrt, randomInput } from '../../ort-compare';
import { ACT_CASES, ACT_X, ACT_W, CONV3D_CASES, bnInit, convModel } from './conv-cases';

const TOL = 1e-4;
/** These goldens pin the f32 kernels whatever 'auto' resolves to (f16 has its own test). */
const F32: RunOptions = { precision: 'f32' };

describe('Conv vs onnxruntime-node (max abs error ≤ 1e-4)', () => {
  it('3-D conv: padding, dilation, stride, group, no bias — tiled and generic kernels', async () => {
    const ctx = await testContext();
    for (const [name, x, w, attrs, bias] of CONV3D_CASES) {
      for (const genericConv of [false, true]) {
        const opts: RunOptions = { ...F32, genericConv };
        const r = await compareWithOrt(ctx, convModel(x, w, attrs, [], bias), 3, opts);
        expect(r.stats.precision).toBe('f32');
        expect(r.maxAbs, `${name} generic=${genericConv}`).toBeLessThanOrEqual(TOL);
        if (!genericConv) expect(r.stats.delegated).toBe(0);
      }
    }
  });

  it('1-D and 2-D conv', async () => {
    const ctx = await testContext();
    const r1 = await compareWithOrt(ctx, convModel([2, 3, 17], [4, 3, 5], { pads: [2, 1], strides: [2], dilations: [1] }), 1, F32);
    expect(r1.maxAbs).toBeLessThanOrEqual(TOL);
    const r2 = await compareWithOrt(ctx, convModel([1, 3, 12, 13], [5, 3, 3, 3], { pads: [2, 2, 2, 2], dilations: [2, 2] }), 1, F32);
    expect(r2.maxAbs).toBeLessThanOrEqual(TOL);
  });

  it('fuses every activation into the conv (Relu, LeakyRelu, Elu, Gelu, Sigmoid, Tanh, Clip)', async () => {
    const ctx = await testContext();
    for (const [act, opset, init] of ACT_CASES) {
      const r = await compareWithOrt(ctx, convModel(ACT_X, ACT_W, { pads: [1, 1, 1, 1, 1, 1] }, [act], true, init, opset), 1, F32);
      expect(r.maxAbs, act.op).toBeLessThanOrEqual(TOL);
      expect(r.fused.activationsFused, act.op).toBe(1);
      expect(r.stats.gpuNodes, act.op).toBe(1);
    }
  });

  it('folds BatchNormalization into the preceding conv (then fuses Relu)', async () => {
    const ctx = await testContext();
    const bn = bnInit(6);
    const spec = convModel([1, 3, 7, 8, 9], [6, 3, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }, [bn.node, { op: 'Relu', inputs: ['d'], outputs: ['y'] }], true, bn.init);
    const r = await compareWithOrt(ctx, spec, 1, F32);
    expect(r.maxAbs).toBeLessThanOrEqual(TOL);
    expect(r.fused).toMatchObject({ batchNormFolded: 1, activationsFused: 1 });
    expect(r.stats.gpuNodes).toBe(1);
  });

  it('ConvTranspose 3-D: stride, pads, output_padding, dilation, group; 2-D', async () => {
    const ctx = await testContext();
    const cases: [number[], number[], NodeSpec['attrs']][] = [
      [[1, 4, 5, 6, 7], [4, 3, 2, 2, 2], { strides: [2, 2, 2] }],
      [[2, 3, 5, 5, 6], [3, 2, 3, 3, 3], { strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], output_padding: [1, 1, 1] }],
      [[1, 4, 4, 5, 6], [4, 2, 3, 3, 3], { strides: [1, 2, 3], dilations: [2, 1, 1], group: 2, pads: [0, 1, 0, 1, 0, 2] }],
      [[1, 3, 6, 7], [3, 4, 4, 4], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ];
    for (const [x, w, attrs] of cases) {
      const cout = w[1] * (((attrs as Record<string, unknown>).group as number) ?? 1);
      const spec: ModelSpec = {
        inputs: [{ name: 'x', dims: x }], outputs: [{ name: 'y' }],
        nodes: [{ op: 'ConvTranspose', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs }],
        initializers: [{ name: 'w', dims: w, data: randomInput(w, 5, -0.5, 0.5) }, { name: 'b', dims: [cout], data: randomInput([cout], 6) }],
      };
      const r = await compareWithOrt(ctx, spec, 1, F32);
      expect(r.maxAbs, JSON.stringify(attrs)).toBeLessThanOrEqual(TOL);
    }
  });
});
