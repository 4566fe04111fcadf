/**
 * Exact tiling: with an artificially small storage-binding limit the engine either splits the
 * volume into tiles with a receptive-field halo and runs the whole network per tile ('network'), or
 * runs layer by layer over boxes grown by each layer's own halo ('layer', the default); both equal
 * the untiled run (and onnxruntime).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractBox } from '../../lib/tensor/box';
import { testContext } from '../test-setup';
import { type RunStats, prepareModel, receptiveField, runModel } from './executor';
import type { ModelSpec } from './build-model';
import { buildModel } from './build-model';
import { GWM, argmaxC, t1 } from './meshnet-fixtures';
import { compareWithOrt, randomInput } from './ort-compare';

describe('exact tiling under a small binding limit', () => {
  const vol = t1();

  it('tiled run (small binding limit) gives the untiled argmax on GWM (140×16×16 crop, 4 z-tiles)', async () => {
    const base = await testContext();
    const model = prepareModel(readFileSync(GWM));
    const x = { data: extractBox(vol.data, vol.dims, [58, 120, 120], [140, 16, 16]), dims: [1, 1, 140, 16, 16] };
    const whole = (await runModel(base, model, { input: x })).output;
    const small = base.withLimits({ maxStorageBufferBindingSize: 5 * 128 * 16 * 16 * 4 });
    for (const tiling of ['network', 'layer'] as const) {
      const stats: Partial<RunStats> = {};
      const tiled = (await runModel(small, model, { input: x }, { tiling }, stats)).output;
      if (tiling === 'network') {
        expect(stats.tiles).toBe(4);
        expect(stats.halo).toEqual([46, 46, 46]);
      } else {
        // per-layer boxes need only the largest single-layer halo (dilation 16, 3-tap)
        expect(stats.tiles).toBe(2);
        expect(stats.halo).toEqual([16, 16, 16]);
        // two live activations plus the grown temporaries of the boxes batched into one pass
        // (flushed once they reach two bindings, so at most four bindings' worth)
        expect(stats.peakBytes).toBeLessThanOrEqual(2 * 5 * 140 * 16 * 16 * 4 + 4 * 5 * 128 * 16 * 16 * 4);
      }
      expect(argmaxC(tiled.data, tiled.dims)).toEqual(argmaxC(whole.data, whole.dims));
      let maxErr = 0;
      for (let i = 0; i < whole.data.length; i++) maxErr = Math.max(maxErr, Math.abs(tiled.data[i] - whole.data[i]));
      expect(maxErr).toBeLessThanOrEqual(1e-5);
    }
    await expect(runModel(small, model, { input: x }, { tiling: 'never' })).rejects.toMatchObject({ code: 'GPU_LIMITS' });
  });

  it('3-D tiles of a small fully convolutional net (Conv/Elu/BN/Add/Concat/Softmax/ArgMax) equal the untiled run and onnxruntime', async () => {
    const base = await testContext();
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: [1, 1, 20, 24, 28] }],
      outputs: [{ name: 'p' }, { name: 'k', type: 'int64' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1, 1, 1] } },
        { op: 'Elu', inputs: ['c1'], outputs: ['e1'] },
        { op: 'Conv', inputs: ['e1', 'w2'], outputs: ['c2'], attrs: { pads: [2, 2, 2, 2, 2, 2], dilations: [2, 2, 2] } },
        { op: 'BatchNormalization', inputs: ['c2', 's', 'b', 'm', 'v'], outputs: ['n2'] },
        { op: 'Add', inputs: ['n2', 'e1'], outputs: ['a2'] },
        { op: 'Concat', inputs: ['a2', 'e1'], outputs: ['cat'], attrs: { axis: 1 } },
        { op: 'Conv', inputs: ['cat', 'w3', 'b3'], outputs: ['c3'] },
        { op: 'Softmax', inputs: ['c3'], outputs: ['p'], attrs: { axis: 1 } },
        { op: 'ArgMax', inputs: ['c3'], outputs: ['k'], attrs: { axis: 1 } },
      ],
      initializers: [
        { name: 'w1', dims: [4, 1, 3, 3, 3], data: randomInput([108], 1, -0.5, 0.5) }, { name: 'b1', dims: [4], data: [0.1, -0.1, 0.2, 0] },
        { name: 'w2', dims: [4, 4, 3, 3, 3], data: randomInput([432], 2, -0.3, 0.3) },
        { name: 's', dims: [4], data: [1, 0.5, 2, 1.5] }, { name: 'b', dims: [4], data: [0, 0.1, -0.2, 0.3] },
        { name: 'm', dims: [4], data: [0.1, 0, -0.1, 0.2] }, { name: 'v', dims: [4], data: [1, 2, 0.5, 1] },
        { name: 'w3', dims: [3, 8, 1, 1, 1], data: randomInput([24], 3) }, { name: 'b3', dims: [3], data: [0, 0.5, -0.5] },
      ],
    };
    const model = prepareModel(buildModel(spec));
    expect(receptiveField(model).halo).toEqual([3, 3, 3]);
    const x = { data: randomInput([20 * 24 * 28], 9, 0, 1), dims: [1, 1, 20, 24, 28] };
    const whole = await runModel(base, model, { x });
    // 8 channels × 4 bytes per voxel at most; allow ~14×14×16 voxels per binding
    for (const [tiling, limit] of [['network', 14 * 14 * 16 * 32], ['layer', 10 * 10 * 12 * 32]] as const) {
      const stats: Partial<RunStats> = {};
      const tiled = await runModel(base.withLimits({ maxStorageBufferBindingSize: limit }), model, { x }, { tiling }, stats);
      expect(stats.tiles).toBeGreaterThanOrEqual(8);
      expect(stats.tileOutput!.filter((t, a) => t < x.dims[2 + a]).length).toBeGreaterThanOrEqual(2); // split along ≥ 2 axes
      let maxErr = 0;
      for (let i = 0; i < whole.p.data.length; i++) maxErr = Math.max(maxErr, Math.abs(whole.p.data[i] - tiled.p.data[i]));
      expect(maxErr).toBeLessThanOrEqual(1e-6);
      expect(Array.from(tiled.k.data)).toEqual(Array.from(whole.k.data));
      expect(tiled.k.type).toBe('int32');
    }
    const ort = await compareWithOrt(base, spec, 4);
    expect(ort.maxAbs).toBeLessThanOrEqual(1e-4);
  });
});
