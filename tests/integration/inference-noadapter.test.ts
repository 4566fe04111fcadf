// No Vulkan driver for Dawn in this test process: set BEFORE Dawn starts.
process.env.VK_ICD_FILENAMES = '/nonexistent/tessera-no-such-icd.json';
import { describe, expect, it } from 'vitest';
import { buildModel } from '@/gpu-kernels/onnx/build-model';
import { runOnnx } from '@/server/inference/run-onnx';

const model = (op: string) =>
  buildModel({
    inputs: [{ name: 'x', dims: [1, 1, 'd', 'h', 'w'] }],
    outputs: [{ name: 'y', dims: [1, 1, 'd', 'h', 'w'] }],
    nodes: [{ op, inputs: ['x'], outputs: ['y'] }],
  });
const input = { data: Float32Array.from([-1, 0.25, 2]), dims: [1, 1, 1, 1, 3] };

describe('runOnnx without a WebGPU adapter', () => {
  it("'gpu' rejects with GPU_UNAVAILABLE (never a silent CPU run)", async () => {
    await expect(runOnnx(model('Relu'), input, { device: 'gpu' })).rejects.toMatchObject({ code: 'GPU_UNAVAILABLE', message: expect.stringMatching(/no WebGPU adapter/) });
  });

  it("'auto' runs onnxruntime-node and records why; unsupported ops are named too", async () => {
    const r = await runOnnx(model('Relu'), input, { device: 'auto' });
    expect(r).toMatchObject({ runner: 'onnxruntime-node', device: 'cpu', adapter: null, delegated: 0, unsupportedOps: [] });
    expect(r.fallbackReason).toMatch(/^no WebGPU adapter: /);
    expect(Array.from(r.output.data)).toEqual([0, 0.25, 2]);
    const e = await runOnnx(model('Erf'), input, { device: 'auto' });
    expect(e).toMatchObject({ runner: 'onnxruntime-node', unsupportedOps: ['Erf'], delegated: 0 });
    expect(e.fallbackReason).toMatch(/no WebGPU adapter .*; unsupported ops: Erf/);
    expect(e.output.data[2]).toBeCloseTo(0.99532227, 6);
  });
});
