/** Conv (1-D/2-D/3-D, generic and tiled paths, fused activations, folded BN) and ConvTranspose vs onnxruntime-node. */
import { describe, expect, it } from 'vitest';
import { testContext } from '../../../test-setup';
import type { ModelSpec, NodeSpec } from '../../build-model';
import { compareWithOrt, randomInput } from '../../ort-compare';

const TOL = 1e-4;

function convModel(x: number[], w: number[], attrs: NodeSpec['attrs'], post: NodeSpec[] = [], bias = true, extraInit: ModelSpec['initializers'] = [], opset = 17): ModelSpec {
  const conv: NodeSpec = { op: 'Conv', inputs: bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: [post.length ? 'c' : 'y'], attrs };
  return {
    opset,
    inputs: [{ name: 'x', dims: x }],
    outputs: [{ name: 'y' }],
    nodes: [conv, ...post],
    initializers: [
      { name: 'w', dims: w, data: randomInput(w, 7, -0.5, 0.5) },
      ...(bias ? [{ name: 'b', dims: [w[0]], data: randomInput([w[0]], 8, -0.5, 0.5) }] : []),
      ...(extraInit ?? []),
    ],
  };
}

describe('Conv vs onnxruntime-node (max abs error ≤ 1e-4)', () => {
  it('3-D conv: padding, dilation, stride, group, no bias — tiled and generic kernels', async () => {
    const ctx = await testContext();
    const cases: [string, number[], number[], NodeSpec['attrs'], boolean][] = [
      ['k3 pad1', [1, 3, 9, 10, 11], [6, 3, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }, true],
      ['k3 dil3 pad3, batch 2', [2, 2, 12, 9, 10], [5, 2, 3, 3, 3], { pads: [3, 3, 3, 3, 3, 3], dilations: [3, 3, 3] }, true],
      ['asymmetric pads, anisotropic kernel, 14 out channels', [1, 4, 7, 8, 9], [14, 4, 3, 1, 2], { pads: [0, 1, 2, 2, 0, 1] }, false],
      ['stride 2', [1, 3, 9, 10, 11], [4, 3, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1], strides: [2, 2, 2] }, true],
      ['group 2', [1, 4, 6, 7, 8], [6, 2, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1], group: 2 }, true],
      ['depthwise, SAME_UPPER', [1, 3, 6, 7, 8], [3, 1, 2, 2, 2], { group: 3, auto_pad: 'SAME_UPPER' }, true],
    ];
    for (const [name, x, w, attrs, bias] of cases) {
      for (const genericConv of [false, true]) {
        const r = await compareWithOrt(ctx, convModel(x, w, attrs, [], bias), 3, { genericConv });
        expect(r.maxAbs, `${name} generic=${genericConv}`).toBeLessThanOrEqual(TOL);
        if (!genericConv) expect(r.stats.delegated).toBe(0);
      }
    }
  });

  it('1-D and 2-D conv', async () => {
    const ctx = await testContext();
    const r1 = await compareWithOrt(ctx, convModel([2, 3, 17], [4, 3, 5], { pads: [2, 1], strides: [2], dilations: [1] }));
    expect(r1.maxAbs).toBeLessThanOrEqual(TOL);
    const r2 = await compareWithOrt(ctx, convModel([1, 3, 12, 13], [5, 3, 3, 3], { pads: [2, 2, 2, 2], dilations: [2, 2] }));
    expect(r2.maxAbs).toBeLessThanOrEqual(TOL);
  });

  it('fuses every activation into the conv (Relu, LeakyRelu, Elu, Gelu, Sigmoid, Tanh, Clip)', async () => {
    const ctx = await testContext();
    const acts: [NodeSpec, number, ModelSpec['initializers']?][] = [
      [{ op: 'Relu', inputs: ['c'], outputs: ['y'] }, 17],
      [{ op: 'LeakyRelu', inputs: ['c'], outputs: ['y'], attrs: { alpha: { f: 0.2 } } }, 17],
      [{ op: 'Elu', inputs: ['c'], outputs: ['y'], attrs: { alpha: { f: 0.7 } } }, 17],
      [{ op: 'Gelu', inputs: ['c'], outputs: ['y'] }, 20],
      [{ op: 'Sigmoid', inputs: ['c'], outputs: ['y'] }, 17],
      [{ op: 'Tanh', inputs: ['c'], outputs: ['y'] }, 17],
      [{ op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }, 17, [{ name: 'lo', dims: [], data: [-0.3] }, { name: 'hi', dims: [], data: [0.4] }]],
    ];
    for (const [act, opset, init] of acts) {
      const r = await compareWithOrt(ctx, convModel([1, 2, 6, 7, 8], [5, 2, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }, [act], true, init, opset));
      expect(r.maxAbs, act.op).toBeLessThanOrEqual(TOL);
      expect(r.fused.activationsFused, act.op).toBe(1);
      expect(r.stats.gpuNodes, act.op).toBe(1);
    }
  });

  it('folds BatchNormalization into the preceding conv (then fuses Relu)', async () => {
    const ctx = await testContext();
    const C = 6;
    const bn: NodeSpec = { op: 'BatchNormalization', inputs: ['c', 's', 'bb', 'm', 'v'], outputs: ['d'], attrs: { epsilon: { f: 1e-3 } } };
    const spec = convModel([1, 3, 7, 8, 9], [C, 3, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }, [bn, { op: 'Relu', inputs: ['d'], outputs: ['y'] }], true, [
      { name: 's', dims: [C], data: randomInput([C], 11, 0.5, 2) },
      { name: 'bb', dims: [C], data: randomInput([C], 12) },
      { name: 'm', dims: [C], data: randomInput([C], 13) },
      { name: 'v', dims: [C], data: randomInput([C], 14, 0.1, 2) },
    ]);
    const r = await compareWithOrt(ctx, spec);
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
      const r = await compareWithOrt(ctx, spec);
      expect(r.maxAbs, JSON.stringify(attrs)).toBeLessThanOrEqual(TOL);
    }
  });
});
