/**
 * Loader, graph preparation and planning (no GPU work): real files, both initializer encodings,
 * typed errors for malformed files, UnsupportedOpError naming every unsupported op before any GPU
 * call, BN folding, topological order, liveness-based memory plan, receptive field and tile plans.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { copyBox, extractBox } from '../../lib/tensor/box';
import type { GpuContext } from '../runtime/device';
import { type ModelSpec, buildModel } from './build-model';
import { UnsupportedOpError } from './errors';
import { planTiles, prepareModel, receptiveField, runModel } from './executor';
import { planGraph, prepareGraph } from './graph';
import { loadOnnx } from './loader';
import { DataType, encodeModelProto } from './proto';

const DATA = new URL('../../../shared/data/', import.meta.url).pathname;
const GWM = readFileSync(`${DATA}models/meshnet_gwm_niivue/model.onnx`);
const M18 = readFileSync(`${DATA}models/meshnet_onnx_exports/model18cls.onnx`);

const convSpec = (encoding: 'raw' | 'typed'): ModelSpec => ({
  inputs: [{ name: 'x', dims: [1, 2, 'd', 'h', 'w'] }],
  outputs: [{ name: 'y' }],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1, 1, 1] } },
    { op: 'Reshape', inputs: ['c', 's'], outputs: ['y'] },
  ],
  initializers: [
    { name: 'w', dims: [3, 2, 3, 3, 3], data: Array.from({ length: 162 }, (_, i) => Math.sin(i)), encoding },
    { name: 'b', dims: [3], data: [0.5, -1, 2], encoding },
    { name: 's', dims: [2], data: [3, -1], type: 'int64', encoding },
  ],
});

describe('ONNX loader', () => {
  it('reads the MeshNet GWM file: opset, inputs, initializers as typed arrays, attributes', () => {
    const m = loadOnnx(GWM);
    expect(m.opset).toBe(14);
    expect(m.nodes.map((n) => n.opType).filter((o) => o === 'Conv')).toHaveLength(10);
    expect(m.inputs).toEqual([{ name: 'input', elemType: DataType.FLOAT, dims: ['batch_size', 1, 256, 256, 256] }]);
    const w = m.initializers.get('2.weight')!;
    expect(w.dims).toEqual([5, 5, 3, 3, 3]);
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(w.data.length).toBe(675);
    expect(m.nodes[2].attrs).toMatchObject({ dilations: [2, 2, 2], group: 1, kernel_shape: [3, 3, 3], pads: [2, 2, 2, 2, 2, 2] });
  });

  it('raw_data and float_data/int64_data initializers decode to the same arrays', () => {
    const raw = loadOnnx(buildModel(convSpec('raw')));
    const typed = loadOnnx(buildModel(convSpec('typed')));
    for (const k of ['w', 'b', 's']) {
      expect(Array.from(typed.initializers.get(k)!.data as ArrayLike<number | bigint>)).toEqual(Array.from(raw.initializers.get(k)!.data as ArrayLike<number | bigint>));
    }
    expect(raw.initializers.get('s')!.data).toBeInstanceOf(BigInt64Array);
    expect(raw.inputs[0].dims).toEqual([1, 2, 'd', 'h', 'w']);
  });

  it('malformed files throw typed errors', () => {
    expect(() => loadOnnx(new Uint8Array())).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
    for (const bad of [GWM.subarray(0, GWM.length >> 1), Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255), new TextEncoder().encode('not an onnx file')]) {
      let err: unknown;
      try { loadOnnx(bad); } catch (e) { err = e; }
      expect(['FORMAT_INVALID', 'TRUNCATED']).toContain((err as { code?: string })?.code);
    }
    const shortRaw = encodeModelProto({
      graph: { node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], output: [{ name: 'y' }], initializer: [{ name: 'k', dims: [4], dataType: DataType.FLOAT, rawData: new Uint8Array(8) }] },
    });
    expect(() => loadOnnx(shortRaw)).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
    const external = encodeModelProto({
      graph: { node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], output: [{ name: 'y' }], initializer: [{ name: 'k', dims: [4], dataType: DataType.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }] },
    });
    expect(() => loadOnnx(external)).toThrow(expect.objectContaining({ code: 'FORMAT_UNSUPPORTED' }));
    const cyclic = buildModel({ inputs: [{ name: 'x', dims: [1] }], outputs: [{ name: 'y' }], nodes: [
      { op: 'Add', inputs: ['x', 'b'], outputs: ['a'] }, { op: 'Relu', inputs: ['a'], outputs: ['b'] }, { op: 'Relu', inputs: ['b'], outputs: ['y'] }] });
    expect(() => prepareModel(cyclic)).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }));
    const dangling = buildModel({ inputs: [{ name: 'x', dims: [1] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Add', inputs: ['x', 'nowhere'], outputs: ['y'] }] });
    expect(() => prepareModel(dangling)).toThrow(/nowhere/);
  });

  it('names ALL unsupported op types (FORMAT_UNSUPPORTED) before any GPU work', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: [1, 4] }], outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] }, { op: 'LSTM', inputs: ['a'], outputs: ['b'] }, { op: 'Gather', inputs: ['b', 'x'], outputs: ['c'] },
        { op: 'LSTM', inputs: ['c'], outputs: ['d'] }, { op: 'FusedConv', domain: 'com.microsoft', inputs: ['d'], outputs: ['y'] },
      ],
    });
    let err: unknown;
    try { prepareModel(bytes); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect(err).toMatchObject({ code: 'FORMAT_UNSUPPORTED', ops: ['Gather', 'LSTM', 'com.microsoft.FusedConv'] });
    expect((err as Error).message).toContain('Gather, LSTM, com.microsoft.FusedConv');
    // runModel rejects it before touching the device (this context has no device at all)
    const noDevice = { assertAlive: () => {} } as unknown as GpuContext;
    await expect(runModel(noDevice, bytes, { x: { data: new Float32Array(4), dims: [1, 4] } })).rejects.toBeInstanceOf(UnsupportedOpError);
  });
});

describe('graph preparation and planning', () => {
  it('orders shuffled nodes topologically and folds BN + fuses Relu into Conv', () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: [1, 2, 4, 4, 4] }], outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Relu', inputs: ['n'], outputs: ['y'] },
        { op: 'BatchNormalization', inputs: ['c', 's', 'b', 'm', 'v'], outputs: ['n'] },
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
      ],
      initializers: [
        { name: 'w', dims: [3, 2, 1, 1, 1], data: [1, 2, 3, 4, 5, 6] },
        ...['s', 'b', 'm', 'v'].map((n) => ({ name: n, dims: [3], data: [1, 2, 3] })),
      ],
    });
    const g = prepareGraph(loadOnnx(bytes));
    expect(g.nodes).toHaveLength(1);
    expect(g.nodes[0].source).toEqual(['Conv', 'BatchNormalization', 'Relu']);
    expect(g.fused).toMatchObject({ batchNormFolded: 1, activationsFused: 1 });
  });

  it('liveness plan: MeshNet GWM at 96³ needs two 5-channel slots (peak = 2 activations)', () => {
    const g = prepareGraph(loadOnnx(GWM));
    const p = planGraph(g, { input: [1, 1, 96, 96, 96] });
    const act = 96 ** 3 * 4;
    expect(p.memory.peakBytes).toBe(2 * 5 * act);
    expect(p.memory.naiveBytes).toBe((1 + 9 * 5 + 3) * act);
    expect(p.dims.get('output')).toEqual([1, 3, 96, 96, 96]);
    expect(p.largestValueBytes).toBe(5 * act);
  });

  it('receptive field: 46 voxels each side for both MeshNets; pooling nets are not tileable', () => {
    expect(receptiveField(prepareModel(GWM))).toMatchObject({ tileable: true, halo: [46, 46, 46], size: [93, 93, 93] });
    expect(receptiveField(prepareModel(M18))).toMatchObject({ tileable: true, halo: [46, 46, 46] });
    const pooled = buildModel({ inputs: [{ name: 'x', dims: [1, 1, 8, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2, 2] } }] });
    expect(receptiveField(prepareModel(pooled))).toMatchObject({ tileable: false, reason: expect.stringContaining('pool') });
  });

  it('tile plans cover the volume exactly once and every held box fits', () => {
    const spatial = [70, 50, 60], halo = [5, 4, 6], maxVoxels = 40 * 30 * 40;
    const { starts, sizes } = planTiles(spatial, halo, maxVoxels);
    expect(starts.length).toBeGreaterThan(1);
    const cover = new Uint8Array(70 * 50 * 60);
    starts.forEach((s, t) => {
      const held = s.map((v, a) => Math.min(spatial[a], v + sizes[t][a] + halo[a]) - Math.max(0, v - halo[a]));
      expect(held.reduce((p, v) => p * v, 1)).toBeLessThanOrEqual(maxVoxels);
      for (let z = s[0]; z < s[0] + sizes[t][0]; z++) for (let y = s[1]; y < s[1] + sizes[t][1]; y++) for (let x = s[2]; x < s[2] + sizes[t][2]; x++) cover[(z * 50 + y) * 60 + x]++;
    });
    expect(cover.every((c) => c === 1)).toBe(true);
    expect(() => planTiles([100, 100, 100], [46, 46, 46], 1000)).toThrow(expect.objectContaining({ code: 'GPU_LIMITS' }));
  });

  it('box helpers round-trip (lib/tensor/box)', () => {
    const dims = [2, 3, 4, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const sub = extractBox(data, dims, [1, 2], [2, 3]);
    expect(sub.length).toBe(6 * 2 * 3);
    expect(sub[0]).toBe(1 * 5 + 2);
    expect(sub[3]).toBe(2 * 5 + 2);
    expect(sub[6]).toBe(20 + 1 * 5 + 2);
    const back = new Float32Array(120);
    copyBox(sub, [2, 3, 2, 3], [0, 0], back, dims, [1, 2], [2, 3]);
    for (let l = 0; l < 6; l++) for (let y = 1; y < 3; y++) for (let x = 2; x < 5; x++) expect(back[l * 20 + y * 5 + x]).toBe(data[l * 20 + y * 5 + x]);
  });
});
