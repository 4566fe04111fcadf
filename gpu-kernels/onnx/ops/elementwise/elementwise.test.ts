/**
 * Pointwise, broadcasting, layout and per-axis ops vs onnxruntime-node on random inputs:
 * Relu, LeakyRelu, Elu, Gelu (exact and tanh), Sigmoid, Tanh, Clip, standalone BatchNormalization,
 * Add/Sub/Mul/Div with broadcasting and constant operands, Concat, Transpose, Reshape, Identity,
 * Softmax, ArgMax. Max abs error ≤ 1e-5 (pointwise) / exact (layout, ArgMax).
 */
import { describe, expect, it } from 'vitest';
import { testContext } from '../../../test-setup';
import type { ModelSpec, NodeSpec } from '../../build-model';
import { compareWithOrt, randomInput } from '../../ort-compare';

const X = [2, 3, 4, 5, 6];

function single(node: Omit<NodeSpec, 'outputs'>, inputs: { name: string; dims: number[] }[], opset = 17, init: ModelSpec['initializers'] = [], outType: 'float' | 'int64' = 'float'): ModelSpec {
  return { opset, inputs, outputs: [{ name: 'y', type: outType }], nodes: [{ ...node, outputs: ['y'] }], initializers: init };
}

describe('elementwise and layout ops vs onnxruntime-node', () => {
  it('activations (max abs error ≤ 1e-5)', async () => {
    const ctx = await testContext();
    const cases: [string, Omit<NodeSpec, 'outputs'>, number, ModelSpec['initializers']?][] = [
      ['Relu', { op: 'Relu', inputs: ['x'] }, 17],
      ['LeakyRelu', { op: 'LeakyRelu', inputs: ['x'], attrs: { alpha: { f: 0.1 } } }, 17],
      ['Elu', { op: 'Elu', inputs: ['x'], attrs: { alpha: { f: 1.3 } } }, 17],
      ['Gelu', { op: 'Gelu', inputs: ['x'] }, 20],
      ['Gelu tanh', { op: 'Gelu', inputs: ['x'], attrs: { approximate: 'tanh' } }, 20],
      ['Sigmoid', { op: 'Sigmoid', inputs: ['x'] }, 17],
      ['Tanh', { op: 'Tanh', inputs: ['x'] }, 17],
      ['Clip min+max', { op: 'Clip', inputs: ['x', 'lo', 'hi'] }, 13, [{ name: 'lo', dims: [], data: [-0.5] }, { name: 'hi', dims: [], data: [1.25] }]],
      ['Clip min only', { op: 'Clip', inputs: ['x', 'lo'] }, 13, [{ name: 'lo', dims: [], data: [0.3] }]],
      ['Clip opset 6 attrs', { op: 'Clip', inputs: ['x'], attrs: { min: { f: -1 }, max: { f: 0.5 } } }, 6],
    ];
    for (const [name, node, opset, init] of cases) {
      const r = await compareWithOrt(ctx, single(node, [{ name: 'x', dims: X }], opset, init));
      expect(r.maxAbs, name).toBeLessThanOrEqual(1e-5);
    }
  });

  it('standalone BatchNormalization (after a non-conv input) ≤ 1e-5', async () => {
    const ctx = await testContext();
    const C = 3;
    const r = await compareWithOrt(ctx, single({ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'] }, [{ name: 'x', dims: X }], 15, [
      { name: 's', dims: [C], data: randomInput([C], 1) }, { name: 'b', dims: [C], data: randomInput([C], 2) },
      { name: 'm', dims: [C], data: randomInput([C], 3) }, { name: 'v', dims: [C], data: randomInput([C], 4, 0.2, 3) },
    ]));
    expect(r.maxAbs).toBeLessThanOrEqual(1e-5);
  });

  it('Add/Sub/Mul/Div with broadcasting and constant operands ≤ 1e-5 (Div relative)', async () => {
    const ctx = await testContext();
    const shapes: [number[], number[]][] = [[X, X], [X, [3, 1, 1, 1]], [[2, 1, 4, 1, 6], [3, 1, 5, 1]], [[6], X]];
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
      for (const [a, b] of shapes) {
        const r = await compareWithOrt(ctx, single({ op, inputs: ['a', 'b'] }, [{ name: 'a', dims: a }, { name: 'b', dims: b }]));
        const tol = op === 'Div' ? 1e-5 * Math.max(1, ...Array.from(r.outputs.y.ort, Math.abs)) : 1e-5;
        expect(r.maxAbs, `${op} [${a}] [${b}]`).toBeLessThanOrEqual(tol);
      }
      const r = await compareWithOrt(ctx, single({ op, inputs: ['a', 'k'] }, [{ name: 'a', dims: X }], 17, [{ name: 'k', dims: [3, 1, 1, 1], data: [0.5, -2, 4] }]));
      expect(r.maxAbs, `${op} const`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('Concat, Transpose, Reshape, Identity are exact', async () => {
    const ctx = await testContext();
    const specs: [string, ModelSpec][] = [
      ['Concat axis 1', single({ op: 'Concat', inputs: ['a', 'b', 'c'], attrs: { axis: 1 } }, [{ name: 'a', dims: [2, 2, 3, 4] }, { name: 'b', dims: [2, 1, 3, 4] }, { name: 'c', dims: [2, 3, 3, 4] }])],
      ['Concat axis -1', single({ op: 'Concat', inputs: ['a', 'b'], attrs: { axis: -1 } }, [{ name: 'a', dims: [2, 3, 4] }, { name: 'b', dims: [2, 3, 5] }])],
      ['Transpose perm', single({ op: 'Transpose', inputs: ['x'], attrs: { perm: [0, 4, 2, 1, 3] } }, [{ name: 'x', dims: X }])],
      ['Transpose default', single({ op: 'Transpose', inputs: ['x'] }, [{ name: 'x', dims: [3, 4, 5] }])],
      ['Reshape -1 and 0', single({ op: 'Reshape', inputs: ['x', 's'] }, [{ name: 'x', dims: X }], 17, [{ name: 's', dims: [3], data: [0, -1, 30], type: 'int64' }])],
      ['Identity', single({ op: 'Identity', inputs: ['x'] }, [{ name: 'x', dims: X }])],
    ];
    for (const [name, spec] of specs) {
      const r = await compareWithOrt(ctx, spec);
      expect(r.maxAbs, name).toBe(0);
    }
    // Reshape → Relu → Transpose chain: reshape aliases its input's buffer
    const chain: ModelSpec = {
      inputs: [{ name: 'x', dims: X }], outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
        { op: 'Relu', inputs: ['r'], outputs: ['q'] },
        { op: 'Transpose', inputs: ['q'], outputs: ['y'], attrs: { perm: [1, 0] } },
      ],
      initializers: [{ name: 's', dims: [2], data: [6, -1], type: 'int64', encoding: 'typed' }],
    };
    expect((await compareWithOrt(ctx, chain)).maxAbs).toBe(0);
  });

  it('Softmax (axis 1, -1; opset 11 flattening) ≤ 1e-6 and ArgMax (keepdims, select_last_index) exact', async () => {
    const ctx = await testContext();
    for (const [axis, opset] of [[1, 17], [-1, 17], [2, 17], [1, 11]] as const) {
      const r = await compareWithOrt(ctx, single({ op: 'Softmax', inputs: ['x'], attrs: { axis } }, [{ name: 'x', dims: X }], opset));
      expect(r.maxAbs, `Softmax axis ${axis} opset ${opset}`).toBeLessThanOrEqual(1e-6);
    }
    for (const [axis, keepdims, last] of [[1, 1, 0], [1, 0, 0], [-1, 1, 1], [0, 0, 1]] as const) {
      const r = await compareWithOrt(ctx, single({ op: 'ArgMax', inputs: ['x'], attrs: { axis, keepdims, select_last_index: last } }, [{ name: 'x', dims: X }], 17, [], 'int64'));
      expect(r.maxAbs, `ArgMax ${axis} ${keepdims} ${last}`).toBe(0);
    }
    // ties: ArgMax of a Relu output with many zeros (first vs last index)
    for (const last of [0, 1]) {
      const spec: ModelSpec = {
        inputs: [{ name: 'x', dims: [1, 4, 3, 5] }], outputs: [{ name: 'y', type: 'int64' }],
        nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'ArgMax', inputs: ['r'], outputs: ['y'], attrs: { axis: 1, select_last_index: last } }],
      };
      expect((await compareWithOrt(ctx, spec, 5)).maxAbs, `ties last=${last}`).toBe(0);
    }
  });
});
