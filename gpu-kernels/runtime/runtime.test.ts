import { describe, expect, it } from 'vitest';
import { testContext } from '../test-setup';
import { acquireDevice, linearIndexWgsl } from './device';
import { sizeClass } from './buffer-pool';
import { GpuShaderError, GpuUnavailableError } from './errors';

const addOneWgsl = (wg: number) => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<uniform> n: vec4u;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${linearIndexWgsl(wg)};
  if (i >= n.x) { return; }
  data[i] = data[i] + 1u;
}`;

describe('gpu runtime', () => {
  it('acquires a device with the adapter limits and a described adapter', async () => {
    const ctx = await testContext();
    expect(ctx.adapterInfo.name.length).toBeGreaterThan(0);
    expect(typeof ctx.adapterInfo.vendor).toBe('string');
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(ctx.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    // requested at the adapter's value, not WebGPU's defaults
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(ctx.limits.maxStorageBufferBindingSize);
    const wg = ctx.workgroupSize1D();
    expect(wg).toBeLessThanOrEqual(ctx.limits.maxComputeInvocationsPerWorkgroup);
    expect(Number.isInteger(Math.log2(wg))).toBe(true);
  });

  it('runs a kernel, reads back, caches pipelines and reuses buffers', async () => {
    const ctx = await testContext();
    const wg = ctx.workgroupSize1D();
    const n = 1000;
    const src = new Uint32Array(n).map((_, i) => i * 3);
    const compiled0 = ctx.pipelines.compiled;
    for (let round = 0; round < 2; round++) {
      const pipe = await ctx.pipeline({ code: addOneWgsl(wg), label: 'addOne' });
      const buf = ctx.upload(src);
      const u = ctx.uniform(new Uint32Array([n, 0, 0, 0]).buffer);
      await ctx.run('addOne', [{ pipeline: pipe, bindGroup: ctx.bindGroup(pipe, [{ buffer: buf, size: n * 4 }, u]), workgroups: ctx.grid(n, wg) }]);
      const out = new Uint32Array(await ctx.read(buf, 0, n * 4));
      expect(Array.from(out.slice(0, 5))).toEqual([1, 4, 7, 10, 13]);
      expect(out[n - 1]).toBe((n - 1) * 3 + 1);
      ctx.release(buf, u);
    }
    expect(ctx.pipelines.compiled - compiled0).toBe(1);
    const created = ctx.buffers.created;
    const b = ctx.storage(n * 4);
    ctx.release(b);
    expect(ctx.buffers.created).toBe(created);
    // a specialisation (other workgroup size) is a different pipeline
    await ctx.pipeline({ code: addOneWgsl(wg / 2), label: 'addOne' });
    expect(ctx.pipelines.compiled - compiled0).toBe(2);
  });

  it('splits large 1-D grids within maxComputeWorkgroupsPerDimension', async () => {
    const ctx = (await testContext()).withLimits({ maxComputeWorkgroupsPerDimension: 7 });
    const wg = 4;
    const n = 4 * 7 * 3 + 1; // needs a second grid row
    const [x, y] = ctx.grid(n, wg);
    expect(x).toBeLessThanOrEqual(7);
    expect(x * y * wg).toBeGreaterThanOrEqual(n);
    const pipe = await ctx.pipeline({ code: addOneWgsl(wg), label: 'addOne' });
    const buf = ctx.upload(new Uint32Array(n));
    const u = ctx.uniform(new Uint32Array([n, 0, 0, 0]).buffer);
    await ctx.run('addOne', [{ pipeline: pipe, bindGroup: ctx.bindGroup(pipe, [{ buffer: buf, size: n * 4 }, u]), workgroups: ctx.grid(n, wg) }]);
    const out = new Uint32Array(await ctx.read(buf, 0, n * 4));
    expect(out.every((v) => v === 1)).toBe(true);
    ctx.release(buf, u);
  });

  it('size classes waste at most 25 % and respect maxBufferSize', () => {
    for (const b of [1, 255, 257, 1000, 4097, 1e6, 123456789]) {
      const c = sizeClass(b, 2 ** 32);
      expect(c).toBeGreaterThanOrEqual(b);
      expect(c).toBeLessThanOrEqual(Math.max(256, b * 1.25 + 4));
    }
    expect(sizeClass(1000, 1000)).toBe(1000);
  });

  it('reports WGSL compile errors as GPU_SHADER with line numbers', async () => {
    const ctx = await testContext();
    const bad = '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5 + undefinedThing; }';
    await expect(ctx.pipeline({ code: bad, label: 'bad' })).rejects.toMatchObject({ code: 'GPU_SHADER', where: 'bad' });
    const err = (await ctx.pipeline({ code: bad, label: 'bad' }).catch((e: unknown) => e)) as GpuShaderError;
    expect(err).toBeInstanceOf(GpuShaderError);
    expect(err.messages[0]).toMatch(/^1:\d+ /);
  });

  it('throws GPU_UNAVAILABLE with a VK_ICD_FILENAMES hint when there is no adapter', async () => {
    const fake = { requestAdapter: async () => null } as unknown as GPU;
    const e = await acquireDevice({ gpu: fake }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GpuUnavailableError);
    expect((e as GpuUnavailableError).code).toBe('GPU_UNAVAILABLE');
    expect((e as GpuUnavailableError).hint).toMatch(/VK_ICD_FILENAMES/);
  });

  it('throws GPU_LIMITS when the adapter cannot meet minLimits', async () => {
    await testContext();
    const { nodeGpu } = await import('./node-gpu');
    await expect(acquireDevice({ gpu: nodeGpu(), minLimits: { maxStorageBufferBindingSize: 2 ** 52 } })).rejects.toMatchObject({ code: 'GPU_LIMITS' });
  });

  it('throws GPU_DEVICE_LOST after the device is lost', async () => {
    await testContext();
    const { acquireNodeDevice } = await import('./node-gpu');
    const ctx = await acquireNodeDevice({ label: 'to-lose' });
    ctx.destroy();
    await ctx.device.lost;
    expect(ctx.isLost).toBe(true);
    await expect(ctx.pipeline({ code: addOneWgsl(4), label: 'addOne' })).rejects.toMatchObject({ code: 'GPU_DEVICE_LOST' });
    await expect(ctx.read(ctx.device.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_SRC }), 0, 4)).rejects.toMatchObject({ code: 'GPU_DEVICE_LOST' });
  });

  it("requests 'shader-f16' when the adapter has it (ctx.features / ctx.hasF16), only then; withoutFeatures hides it", async () => {
    const ctx = await testContext();
    const { nodeGpu, acquireNodeDevice } = await import('./node-gpu');
    const adapter = await nodeGpu().requestAdapter();
    const adapterHas = adapter!.features.has('shader-f16');
    expect(ctx.hasF16).toBe(adapterHas);
    expect(ctx.features.has('shader-f16')).toBe(adapterHas);
    expect(ctx.device.features.has('shader-f16')).toBe(adapterHas);
    // opting out of optional features gives a device without it
    const plain = await acquireNodeDevice({ label: 'no-optional', optionalFeatures: [] });
    expect(plain.hasF16).toBe(false);
    expect(plain.device.features.has('shader-f16')).toBe(false);
    plain.destroy();
    // a masked view: same device (which keeps the feature), kernels see it missing, limits views keep the mask
    const masked = ctx.withoutFeatures('shader-f16');
    expect(masked.hasF16).toBe(false);
    expect(masked.device).toBe(ctx.device);
    expect(masked.withLimits({ maxStorageBufferBindingSize: 2 ** 20 }).hasF16).toBe(false);
    expect([...masked.features].sort()).toEqual([...ctx.features].filter((f) => f !== 'shader-f16').sort());
    if (adapterHas) {
      // the feature really is enabled: an f16 shader compiles and runs
      const code = `enable f16;
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(1) fn main() { let h = vec2<f16>(f16(1.5), f16(0.1)); o[0] = f32(h.x) * f32(h.y); }`;
      const pipe = await ctx.pipeline({ code, label: 'f16-smoke' });
      const buf = ctx.storage(4);
      await ctx.run('f16-smoke', [{ pipeline: pipe, bindGroup: ctx.bindGroup(pipe, [{ buffer: buf, size: 4 }]), workgroups: [1, 1, 1] }]);
      const v = new Float32Array(await ctx.read(buf, 0, 4))[0];
      ctx.release(buf);
      // f16(0.1) = 0.0999755859375 (0x2e66); × 1.5 in f32 = 0.14996337890625 exactly
      expect(v).toBe(0.14996337890625);
    }
  });
});
