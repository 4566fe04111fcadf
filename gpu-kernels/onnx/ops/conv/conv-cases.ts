/**
 * Conv test cases shared by conv.test.ts (f32 vs onnxruntime) and conv-f16.test.ts (f16 vs
 * onnxruntime): single-Conv models with seeded random weights, optional post-ops.
 */
import type { ModelSpec, NodeSpec } from '../../build-model';
import { randomInput } from '../../ort-compare';

/** Conv(x, w[, b]) → post-ops; weights uniform in [−0.5, 0.5] (seed 7), bias (seed 8). */
export function convModel(x: number[], w: number[], attrs: NodeSpec['attrs'], post: NodeSpec[] = [], bias = true, extraInit: ModelSpec['initializers'] = [], opset = 17): ModelSpec {
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

/** [name, input dims, weight dims, attrs, bias]: 3-D pads, dilation, stride, group, depthwise. */
export const CONV3D_CASES: [string, number[], number[], NodeSpec['attrs'], boolean][] = [
  ['k3 pad1', [1, 3, 9, 10, 11], [6, 3, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }, true],
  ['k3 dil3 pad3, batch 2', [2, 2, 12, 9, 10], [5, 2, 3, 3, 3], { pads: [3, 3, 3, 3, 3, 3], dilations: [3, 3, 3] }, true],
  ['asymmetric pads, anisotropic kernel, 14 out channels', [1, 4, 7, 8, 9], [14, 4, 3, 1, 2], { pads: [0, 1, 2, 2, 0, 1] }, false],
  ['stride 2', [1, 3, 9, 10, 11], [4, 3, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1], strides: [2, 2, 2] }, true],
  ['group 2', [1, 4, 6, 7, 8], [6, 2, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1], group: 2 }, true],
  ['depthwise, SAME_UPPER', [1, 3, 6, 7, 8], [3, 1, 2, 2, 2], { group: 3, auto_pad: 'SAME_UPPER' }, true],
];

/** [activation node, opset, extra initializers] for the fused-activation cases (Conv output 'c'). */
export const ACT_CASES: [NodeSpec, number, ModelSpec['initializers']?][] = [
  [{ op: 'Relu', inputs: ['c'], outputs: ['y'] }, 17],
  [{ op: 'LeakyRelu', inputs: ['c'], outputs: ['y'], attrs: { alpha: { f: 0.2 } } }, 17],
  [{ op: 'Elu', inputs: ['c'], outputs: ['y'], attrs: { alpha: { f: 0.7 } } }, 17],
  [{ op: 'Gelu', inputs: ['c'], outputs: ['y'] }, 20],
  [{ op: 'Sigmoid', inputs: ['c'], outputs: ['y'] }, 17],
  [{ op: 'Tanh', inputs: ['c'], outputs: ['y'] }, 17],
  [{ op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }, 17, [{ name: 'lo', dims: [], data: [-0.3] }, { name: 'hi', dims: [], data: [0.4] }]],
];
/** Input / weight dims of the fused-activation cases. */
export const ACT_X = [1, 2, 6, 7, 8], ACT_W = [5, 2, 3, 3, 3];

/** BatchNormalization(epsilon 1e-3) parameters for C channels (seeds 11–14) and the BN node on 'c'. */
export function bnInit(C: number): { node: NodeSpec; init: NonNullable<ModelSpec['initializers']>; scale: Float32Array; var: Float32Array; eps: number } {
  const scale = randomInput([C], 11, 0.5, 2), v = randomInput([C], 14, 0.1, 2);
  return {
    node: { op: 'BatchNormalization', inputs: ['c', 's', 'bb', 'm', 'v'], outputs: ['d'], attrs: { epsilon: { f: 1e-3 } } },
    init: [
      { name: 's', dims: [C], data: scale },
      { name: 'bb', dims: [C], data: randomInput([C], 12) },
      { name: 'm', dims: [C], data: randomInput([C], 13) },
      { name: 'v', dims: [C], data: v },
    ],
    scale, var: v, eps: 1e-3,
  };
}
