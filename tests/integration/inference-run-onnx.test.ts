import { describe, expect, it } from 'vitest';
import { buildModel } from '@/gpu-kernels/onnx/build-model';
import { GWM, argmaxC, centreCrop, t1 } from '@/gpu-kernels/onnx/meshnet-fixtures';
import { readFileSync } from 'node:fs';
import { extractBox } from '@/lib/tensor/box';
import { defaultCard, type ModelCard } from '@/lib/model/card';
import type { Affine, Volume } from '@/lib/volume';
import { runOnnx } from '@/server/inference/run-onnx';
import { runModelOnVolume } from '@/server/inference/run-model-on-volume';

/**
 * runOnnx / runModelOnVolume in-process on this machine's Vulkan driver (lavapipe or SwiftShader,
 * chosen by server/gpu/vulkan.ts) against onnxruntime-node.
 */

/** Conv 1×1×1 → [0.5, x] (+ an optional op): class 1 exactly where the input > 0.5. */
function thresholdModel(extraOp?: string): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 1, 'd', 'h', 'w'] }],
    outputs: [{ name: 'y', dims: [1, 2, 'd', 'h', 'w'] }],
    initializers: [{ name: 'W', dims: [2, 1, 1, 1, 1], data: [0, 1] }, { name: 'B', dims: [2], data: [0.5, 0] }],
    nodes: extraOp
      ? [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { kernel_shape: [1, 1, 1] } }, { op: extraOp, inputs: ['c'], outputs: ['y'] }]
      : [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { kernel_shape: [1, 1, 1] } }],
  });
}

describe('runOnnx', () => {
  const gwm = new Uint8Array(readFileSync(GWM));
  const x = centreCrop(t1(), 32);

  it("'gpu' runs our engine on MeshNet GWM 32³ (logits ≈ onnxruntime, ≥ 99.9 % argmax); 'ort' runs onnxruntime-node", async () => {
    const progress: [number, number][] = [];
    const g = await runOnnx(gwm, x, { device: 'gpu', onProgress: (d, t) => progress.push([d, t]) });
    const o = await runOnnx(gwm, x, { device: 'ort' });
    expect(g).toMatchObject({ runner: 'tessera', device: 'webgpu', delegated: 0, unsupportedOps: [], fallbackReason: null, tiles: 1 });
    expect(g.adapter).toEqual(expect.any(String));
    expect(g.peakBytes).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual([1, 1]);
    expect(o).toMatchObject({ runner: 'onnxruntime-node', device: 'cpu', adapter: null, delegated: 0, peakBytes: null, fallbackReason: null });
    expect(g.output.dims).toEqual([1, 3, 32, 32, 32]);
    expect(o.output.dims).toEqual([1, 3, 32, 32, 32]); // the model declares 256³: made symbolic for onnxruntime
    let maxAbs = 0;
    for (let i = 0; i < g.output.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(g.output.data[i] - o.output.data[i]));
    expect(maxAbs).toBeLessThan(1e-3);
    const ga = argmaxC(g.output.data, g.output.dims);
    const oa = argmaxC(o.output.data, o.output.dims);
    let same = 0;
    for (let i = 0; i < ga.length; i++) if (ga[i] === oa[i]) same++;
    expect(same / ga.length).toBeGreaterThanOrEqual(0.999);

  });

  it("limits.maxStorageBufferBindingSize forces our engine's tiled path ('auto'); same argmax as onnxruntime", async () => {
    // The README's tiling case: a 140×16×16 crop with a binding of 128 z-slices of 5 channels → several z-tiles.
    const vol = t1();
    const long = { data: extractBox(vol.data, vol.dims, [0, 0, 58, 120, 120], [1, 1, 140, 16, 16]), dims: [1, 1, 140, 16, 16] };
    const t = await runOnnx(gwm, long, { device: 'auto', limits: { maxStorageBufferBindingSize: 5 * 128 * 16 * 16 * 4 } });
    expect(t.fallbackReason).toBeNull();
    expect(t).toMatchObject({ runner: 'tessera', device: 'webgpu' });
    expect(t.tiles).toBeGreaterThan(1);
    const o = await runOnnx(gwm, long, { device: 'ort' });
    const ta = argmaxC(t.output.data, t.output.dims);
    const oa = argmaxC(o.output.data, o.output.dims);
    let same = 0;
    for (let i = 0; i < ta.length; i++) if (ta[i] === oa[i]) same++;
    expect(same / ta.length).toBeGreaterThanOrEqual(0.999);
  });

  it("a model with an unsupported op under 'gpu' and 'auto' runs whole on onnxruntime, recording the ops and delegated nodes", async () => {
    const bytes = thresholdModel('Floor');
    const input = { data: Float32Array.from([0.2, 0.7, 1.6, -0.3]), dims: [1, 1, 1, 1, 4] };
    for (const device of ['gpu', 'auto'] as const) {
      const r = await runOnnx(bytes, input, { device });
      expect(r).toMatchObject({ runner: 'onnxruntime-node', device: 'cpu', adapter: null, unsupportedOps: ['Floor'], fallbackReason: 'unsupported ops: Floor', delegated: 2 });
      expect(Array.from(r.output.data)).toEqual([0, 0, 0, 0, 0, 0, 1, -1]); // floor([0.5,0.5,0.5,0.5]), floor(x)
    }
  });

  it('rejects bytes that are not ONNX with a typed error', async () => {
    await expect(runOnnx(new Uint8Array([1, 2, 3, 4, 5]), { data: new Float32Array(1), dims: [1, 1, 1, 1, 1] }, { device: 'auto' })).rejects.toMatchObject({ code: 'FORMAT_INVALID' });
  });
});

describe('runModelOnVolume', () => {
  it('normalise → reorient/resample → our engine → labels on the native grid → connected-component instances', async () => {
    // 12×8×6 LIA volume: two bright 4×4×4 cubes (2-voxel aligned), one bright 2×2×2 speck, dim background.
    const shape: [number, number, number] = [12, 8, 6];
    const data = new Uint16Array(12 * 8 * 6).fill(100);
    const box = (x0: number, y0: number, z0: number, s: number) => {
      for (let z = z0; z < z0 + s; z++) for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) data[x + 12 * (y + 8 * z)] = 1000;
    };
    box(0, 0, 0, 4);
    box(6, 4, 2, 4);
    box(10, 0, 4, 2);
    const affine: Affine = [
      [-0.5, 0, 0, 10],
      [0, 0, 0.5, -5],
      [0, -0.5, 0, 3],
      [0, 0, 0, 1],
    ];
    const vol: Volume = { data, shape, spacing: [0.5, 0.5, 0.5], affine, units: 'mm' };
    const base = defaultCard('threshold', 2);
    const card: ModelCard = {
      ...base,
      input: { ...base.input, axisOrder: 'zyx', spacing: [1, 1, 1], multipleOf: 4 },
      output: { ...base.output, classes: [{ id: 0, name: 'background', colour: '#000000' }, { id: 1, name: 'bright', colour: '#ff0000' }], instances: 'connected-components', minInstanceVoxels: 10 },
    };
    const r = await runModelOnVolume(thresholdModel(), vol, card, { device: 'auto' });
    expect(r.runInfo).toMatchObject({ runner: 'tessera', device: 'webgpu', delegated: 0, outputType: 'float32' });
    expect(Array.from(r.classMap)).toEqual(Array.from(data, (v) => (v === 1000 ? 1 : 0)));
    expect(r.instances.map((i) => [i.labelId, i.className, i.voxels, i.centroid])).toEqual([
      [1, 'bright', 64, [1.5, 1.5, 1.5]],
      [2, 'bright', 64, [7.5, 5.5, 3.5]],
    ]);
    expect(r.instances[0].volume).toBe(64 * 0.125);
    expect(r.instanceLabels!.length).toBe(data.length);
    expect(r.params).toMatchObject({
      card: { name: 'threshold', instances: 'connected-components' },
      deviceRequested: 'auto',
      axisOrder: 'zyx',
      orientation: { codes: 'LIA' },
      normalisation: { kind: 'minmax', min: 100, max: 1000 },
      conform: { resample: { shape: [6, 3, 4] }, gridShape: [8, 4, 4] },
      tensorDims: [1, 1, 4, 4, 8],
      classCount: 2,
    });
    expect(JSON.parse(JSON.stringify(r.params))).toEqual(r.params);
    // Same result on onnxruntime.
    const o = await runModelOnVolume(thresholdModel(), vol, card, { device: 'cpu' });
    expect(o.runInfo.runner).toBe('onnxruntime-node');
    expect(Array.from(o.classMap)).toEqual(Array.from(r.classMap));
  });
});

describe('sliding windows through runOnnx / runModelOnVolume (U-Net card with a window)', () => {
  it("our engine and onnxruntime-node blend the same windows: scores within 1e-4, windows counted, recorded on the params", async () => {
    const { TINY_UNET } = await import('@/gpu-kernels/onnx/tiny-unet');
    const { randomInput } = await import('@/gpu-kernels/onnx/ort-compare');
    const bytes = buildModel(TINY_UNET);
    const x = { data: randomInput([20 * 24 * 36], 5, 0, 1), dims: [1, 1, 20, 24, 36] };
    const gpu = await runOnnx(bytes, x, { device: 'gpu', window: [16, 16, 16], overlap: 0.5 });
    const cpu = await runOnnx(bytes, x, { device: 'ort', window: [16, 16, 16], overlap: 0.5 });
    expect(gpu.runner).toBe('tessera');
    expect(cpu.runner).toBe('onnxruntime-node');
    expect(gpu.windows).toBe(2 * 2 * 4); // starts z [0,4], y [0,8], x [0,7,13,20]
    expect(cpu.windows).toBe(gpu.windows);
    expect(gpu.output.dims).toEqual([1, 3, 20, 24, 36]);
    let maxErr = 0;
    for (let i = 0; i < gpu.output.data.length; i++) maxErr = Math.max(maxErr, Math.abs(gpu.output.data[i] - cpu.output.data[i]));
    expect(maxErr).toBeLessThanOrEqual(1e-4);
    // through a card: window [x,y,z] = [16,16,16] on a 36×24×20 volume
    const vol: Volume = { data: x.data, shape: [36, 24, 20], spacing: [1, 1, 1] };
    const base = defaultCard('unet', 3);
    const card: ModelCard = { ...base, input: { ...base.input, window: [16, 16, 16], overlap: 0.5 } };
    const r = await runModelOnVolume(bytes, vol, card, { device: 'gpu' });
    expect(r.runInfo.windows).toBe(16);
    expect((r.params.slidingWindow as { windows: number }).windows).toBe(16);
    expect(r.classMap.length).toBe(36 * 24 * 20);
    const want = argmaxC(cpu.output.data, cpu.output.dims);
    let same = 0;
    for (let i = 0; i < want.length; i++) if (want[i] === r.classMap[i]) same++;
    expect(same / want.length).toBeGreaterThanOrEqual(0.999);
  });
});
