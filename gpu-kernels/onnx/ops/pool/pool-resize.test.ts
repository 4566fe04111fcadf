/** MaxPool / AveragePool (1-D–3-D) and Resize (nearest, linear) vs onnxruntime-node on random inputs. */
import { describe, expect, it } from 'vitest';
import { testContext } from '../../../test-setup';
import type { ModelSpec, NodeSpec } from '../../build-model';
import { compareWithOrt } from '../../ort-compare';

function single(node: Omit<NodeSpec, 'outputs'>, x: number[], init: ModelSpec['initializers'] = [], opset = 17): ModelSpec {
  return { opset, inputs: [{ name: 'x', dims: x }], outputs: [{ name: 'y' }], nodes: [{ ...node, outputs: ['y'] }], initializers: init };
}

describe('pooling and resize vs onnxruntime-node', () => {
  it('MaxPool / AveragePool 3-D and 2-D (max exact, average ≤ 1e-6)', async () => {
    const ctx = await testContext();
    const cases: [string, NodeSpec['attrs'], number[]][] = [
      ['k2 s2', { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }, [1, 3, 8, 9, 10]],
      ['k3 s1 pad1', { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] }, [2, 2, 6, 7, 5]],
      ['k3 s2 ceil', { kernel_shape: [3, 3, 3], strides: [2, 2, 2], ceil_mode: 1 }, [1, 2, 8, 9, 10]],
      ['asym pads k2x3x1', { kernel_shape: [2, 3, 1], pads: [1, 0, 0, 0, 2, 0], strides: [1, 2, 1] }, [1, 2, 5, 7, 4]],
      ['SAME_UPPER', { kernel_shape: [3, 3, 3], strides: [2, 2, 2], auto_pad: 'SAME_UPPER' }, [1, 2, 7, 8, 9]],
      ['2-D k3 s2 pad1', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, [2, 3, 9, 11]],
    ];
    for (const [name, attrs, x] of cases) {
      const mx = await compareWithOrt(ctx, single({ op: 'MaxPool', inputs: ['x'], attrs }, x));
      expect(mx.maxAbs, `MaxPool ${name}`).toBe(0);
      for (const cip of [0, 1]) {
        const av = await compareWithOrt(ctx, single({ op: 'AveragePool', inputs: ['x'], attrs: { ...attrs, count_include_pad: cip } }, x));
        expect(av.maxAbs, `AveragePool ${name} count_include_pad=${cip}`).toBeLessThanOrEqual(1e-6);
      }
    }
    const dil = await compareWithOrt(ctx, single({ op: 'MaxPool', inputs: ['x'], attrs: { kernel_shape: [2, 2, 2], dilations: [2, 2, 2] } }, [1, 2, 7, 7, 7]));
    expect(dil.maxAbs, 'MaxPool dilations').toBe(0);
  });

  it('Resize nearest and linear (scales and sizes, coordinate modes) ≤ 1e-5', async () => {
    const ctx = await testContext();
    const sc = (v: number[]): ModelSpec['initializers'] => [{ name: 'roi', dims: [0], data: [] }, { name: 'sc', dims: [v.length], data: v }];
    const sz = (v: number[]): ModelSpec['initializers'] => [{ name: 'roi', dims: [0], data: [] }, { name: 'sz', dims: [v.length], data: v, type: 'int64' }];
    const cases: [string, NodeSpec['attrs'], boolean, number[], number[]][] = [
      ['nearest ×2', { mode: 'nearest' }, true, [1, 1, 2, 2, 2], [1, 2, 4, 5, 3]],
      ['nearest asymmetric floor ×2,×1.5', { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, true, [1, 1, 2, 1.5, 2], [1, 2, 3, 4, 5]],
      ['nearest sizes round_prefer_ceil', { mode: 'nearest', nearest_mode: 'round_prefer_ceil' }, false, [1, 2, 7, 5, 9], [1, 2, 4, 5, 6]],
      ['linear half_pixel ×2', { mode: 'linear' }, true, [1, 1, 2, 2, 2], [1, 2, 4, 5, 3]],
      ['linear half_pixel ×0.5', { mode: 'linear' }, true, [1, 1, 0.5, 0.5, 0.5], [1, 2, 8, 6, 10]],
      ['linear align_corners sizes', { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, false, [1, 2, 7, 9, 5], [1, 2, 4, 5, 3]],
      ['linear pytorch_half_pixel sizes', { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, false, [1, 2, 1, 9, 7], [1, 2, 4, 5, 3]],
      ['linear asymmetric 2-D', { mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, true, [1, 1, 2, 3], [2, 3, 5, 4]],
    ];
    for (const [name, attrs, useScales, v, x] of cases) {
      const spec = single({ op: 'Resize', inputs: useScales ? ['x', 'roi', 'sc'] : ['x', 'roi', '', 'sz'], attrs }, x, useScales ? sc(v) : sz(v));
      const r = await compareWithOrt(ctx, spec);
      expect(r.maxAbs, name).toBeLessThanOrEqual(1e-5);
    }
  });
});
