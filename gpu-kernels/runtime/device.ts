/// <reference types="@webgpu/types" />
/**
 * Device acquisition and the per-device context every kernel takes.
 *
 * One code path for browser and Node: `acquireDevice()` uses `opts.gpu`, else `navigator.gpu`,
 * else a GPU registered by the Node-only module `./node-gpu` (Dawn). It requests the adapter's own
 * limits, so kernels size workgroups and tiles from `ctx.limits` and never hard-code them.
 */
import { BufferPool } from './buffer-pool';
import { GpuDeviceLostError, GpuLimitsError, GpuShaderError, GpuUnavailableError } from './errors';
import { PipelineCache, type PipelineSpec } from './pipeline-cache';

/** Limits the kernels read. All are requested at the adapter's value. */
export const KERNEL_LIMIT_NAMES = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
] as const;
export type KernelLimitName = (typeof KERNEL_LIMIT_NAMES)[number];
export type KernelLimits = Record<KernelLimitName, number>;

export interface AdapterInfoSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A display name: description, else "vendor architecture device". */
  name: string;
}

export interface AcquireOptions {
  /** The WebGPU entry point; default `navigator.gpu`, else the one registered by `./node-gpu`. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Features to require (throws GPU_UNAVAILABLE when missing). */
  requiredFeatures?: GPUFeatureName[];
  /**
   * Features requested only when the adapter has them (default `['shader-f16']`, which the ONNX
   * conv kernels use for f16 weights / workgroup tiles). Kernels check `ctx.features`.
   */
  optionalFeatures?: GPUFeatureName[];
  /** Minimum limits the caller needs (throws GPU_LIMITS when the adapter has less). */
  minLimits?: Partial<KernelLimits>;
  /**
   * Caps applied to the limits kernels see (not to the device): e.g. a tiny
   * `maxStorageBufferBindingSize` forces the tiled/slab code paths in tests.
   */
  limitCaps?: Partial<KernelLimits>;
  label?: string;
}

let registeredGpu: GPU | null = null;
/** Called by the Node-only `./node-gpu` module; browsers use `navigator.gpu`. */
export function registerGpu(gpu: GPU): void {
  registeredGpu = gpu;
}

interface Core {
  device: GPUDevice;
  pipelines: PipelineCache;
  buffers: BufferPool;
  lost: GPUDeviceLostInfo | null;
}

export interface ComputeStep {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  /** Workgroup counts [x, y, z]; from `ctx.grid()` for 1-D work. */
  workgroups: [number, number, number?];
}

/** Buffer binding: a whole buffer or an explicit range (ranges keep pooled buffers within limits). */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size: number };

export class GpuContext {
  readonly adapterInfo: AdapterInfoSummary;
  /** Effective limits: the device's, reduced by any `limitCaps`. */
  readonly limits: Readonly<KernelLimits>;
  /** Features enabled on the device (as kernels see them: `withoutFeatures` can hide some). */
  readonly features: ReadonlySet<string>;
  private readonly core: Core;

  constructor(core: Core, adapterInfo: AdapterInfoSummary, limits: KernelLimits, features: ReadonlySet<string>) {
    this.core = core;
    this.adapterInfo = adapterInfo;
    this.limits = Object.freeze({ ...limits });
    this.features = features;
  }

  get device(): GPUDevice {
    return this.core.device;
  }
  get pipelines(): PipelineCache {
    return this.core.pipelines;
  }
  get buffers(): BufferPool {
    return this.core.buffers;
  }
  get isLost(): boolean {
    return this.core.lost !== null;
  }

  /** A view of the same device (shared caches) whose kernels see lower limits. */
  withLimits(caps: Partial<KernelLimits>): GpuContext {
    const limits = { ...this.limits };
    for (const [k, v] of Object.entries(caps) as [KernelLimitName, number][]) {
      if (v !== undefined) limits[k] = k.startsWith('min') ? Math.max(limits[k], v) : Math.min(limits[k], v);
    }
    return new GpuContext(this.core, this.adapterInfo, limits, this.features);
  }

  /** True when `shader-f16` is enabled (WGSL `enable f16;`: f16 storage and arithmetic). */
  get hasF16(): boolean {
    return this.features.has('shader-f16');
  }

  /**
   * A view of the same device (shared caches) whose kernels do not see `names` among the
   * features: tests use it to exercise the paths and errors of adapters that lack a feature.
   */
  withoutFeatures(...names: string[]): GpuContext {
    const features = new Set([...this.features].filter((f) => !names.includes(f)));
    return new GpuContext(this.core, this.adapterInfo, this.limits, features);
  }

  /** Throws GPU_DEVICE_LOST if the device is gone. Kernels call this on entry. */
  assertAlive(where: string): void {
    const lost = this.core.lost;
    if (lost) throw new GpuDeviceLostError(`GPU device lost: ${lost.message || lost.reason}`, String(lost.reason), { where });
  }

  /**
   * 1-D workgroup size chosen from the limits: the largest power of two ≤ `preferred`, ≤
   * maxComputeWorkgroupSizeX and ≤ maxComputeInvocationsPerWorkgroup.
   */
  workgroupSize1D(preferred = 256): number {
    const cap = Math.min(preferred, this.limits.maxComputeWorkgroupSizeX, this.limits.maxComputeInvocationsPerWorkgroup);
    return 2 ** Math.floor(Math.log2(Math.max(1, cap)));
  }

  /**
   * Workgroup grid for `count` invocations of a 1-D kernel: [x, y, 1] with x ≤
   * maxComputeWorkgroupsPerDimension. Shaders recover the linear index with `linearIndexWgsl`.
   */
  grid(count: number, workgroupSize: number): [number, number, number] {
    const groups = Math.max(1, Math.ceil(count / workgroupSize));
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= maxDim) return [groups, 1, 1];
    const y = Math.ceil(groups / maxDim);
    if (y > maxDim) throw new GpuLimitsError(`${count} invocations need more than ${maxDim}² workgroups`, { where: 'GpuContext.grid' });
    return [Math.ceil(groups / y), y, 1];
  }

  /** Largest element count (of `bytesPerElement`) one storage binding may hold. */
  maxBindingElements(bytesPerElement: number): number {
    return Math.floor(Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize) / bytesPerElement);
  }

  async pipeline(spec: PipelineSpec): Promise<GPUComputePipeline> {
    this.assertAlive(spec.label ?? 'pipeline');
    return this.core.pipelines.get(spec);
  }

  bindGroup(pipeline: GPUComputePipeline, bindings: Binding[], label?: string): GPUBindGroup {
    return this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: bindings.map((b, i) => ({
        binding: i,
        resource: 'buffer' in b ? { buffer: b.buffer, offset: b.offset ?? 0, size: b.size } : { buffer: b },
      })),
    });
  }

  /** Pooled storage buffer of at least `bytes` (copy src/dst included). */
  storage(bytes: number, label?: string): GPUBuffer {
    return this.core.buffers.acquire(Math.max(4, bytes), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label);
  }

  /** Pooled storage buffer holding `data` (padded to 4 bytes). */
  upload(data: ArrayBufferView, label?: string): GPUBuffer {
    const buf = this.storage(data.byteLength, label);
    this.write(buf, data);
    return buf;
  }

  write(buf: GPUBuffer, data: ArrayBufferView, bufferOffset = 0): void {
    const n = data.byteLength;
    if (n === 0) return;
    if (n % 4 === 0) {
      this.device.queue.writeBuffer(buf, bufferOffset, data.buffer, data.byteOffset, n);
    } else {
      const padded = new Uint8Array(Math.ceil(n / 4) * 4);
      padded.set(new Uint8Array(data.buffer, data.byteOffset, n));
      this.device.queue.writeBuffer(buf, bufferOffset, padded.buffer, 0, padded.byteLength);
    }
  }

  /** Pooled uniform buffer holding `data` (u32/f32 words; padded to 16 bytes). */
  uniform(data: ArrayBuffer, label?: string): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
    const buf = this.core.buffers.acquire(bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label);
    this.device.queue.writeBuffer(buf, 0, data, 0, data.byteLength);
    return buf;
  }

  release(...bufs: GPUBuffer[]): void {
    for (const b of bufs) this.core.buffers.release(b);
  }

  /**
   * Encodes the steps in one compute pass (dispatches see each other's writes in order), submits,
   * and turns validation / out-of-memory errors into typed errors.
   */
  async run(label: string, steps: ComputeStep[]): Promise<void> {
    this.assertAlive(label);
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder({ label });
    const pass = enc.beginComputePass({ label });
    for (const s of steps) {
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1], s.workgroups[2] ?? 1);
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    this.assertAlive(label);
    if (oom) throw new GpuLimitsError(`out of GPU memory in ${label}: ${oom.message}`, { where: label });
    if (validation) {
      const msg = validation.message;
      if (/limit|exceed|too large|maximum/i.test(msg)) throw new GpuLimitsError(`${label}: ${msg}`, { where: label });
      throw new GpuShaderError(`GPU validation failed in ${label}: ${msg}`, [msg], { where: label });
    }
  }

  /** Copies `byteLength` bytes from `src` at `byteOffset` back to the CPU (offset, length multiples of 4). */
  async read(src: GPUBuffer, byteOffset: number, byteLength: number, label = 'readback'): Promise<ArrayBuffer> {
    this.assertAlive(label);
    if (byteLength === 0) return new ArrayBuffer(0);
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.core.buffers.acquire(size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, `${label}:staging`);
    const enc = this.device.createCommandEncoder({ label });
    enc.copyBufferToBuffer(src, byteOffset, staging, 0, size);
    this.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (cause) {
      this.assertAlive(label);
      throw new GpuDeviceLostError(`mapAsync failed in ${label}`, 'unknown', { where: label, cause });
    }
    const out = staging.getMappedRange(0, size).slice(0, byteLength);
    staging.unmap();
    this.core.buffers.release(staging);
    return out;
  }

  /** Waits for all submitted work (useful for timings). */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.assertAlive('sync');
  }

  /** Frees pooled buffers and destroys the device. */
  destroy(): void {
    this.core.buffers.clear();
    this.core.device.destroy();
  }
}

function summariseInfo(info: GPUAdapterInfo | undefined): AdapterInfoSummary {
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const name = description || [vendor, architecture, device].filter(Boolean).join(' ') || 'unknown adapter';
  return { vendor, architecture, device, description, name };
}

/** Acquires an adapter and a device with the adapter's own limits. */
export async function acquireDevice(opts: AcquireOptions = {}): Promise<GpuContext> {
  const where = 'acquireDevice';
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const gpu = opts.gpu ?? nav?.gpu ?? registeredGpu;
  if (!gpu) {
    throw new GpuUnavailableError('no WebGPU implementation: navigator.gpu is missing and no GPU was registered', {
      where,
      hint: "In Node import '@/gpu-kernels/runtime/node-gpu' first (Dawn) and set VK_ICD_FILENAMES; in a browser use one with WebGPU enabled.",
    });
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
  } catch (cause) {
    throw new GpuUnavailableError('requestAdapter() failed', { where, cause });
  }
  if (!adapter) {
    const icd = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.VK_ICD_FILENAMES;
    throw new GpuUnavailableError(`no WebGPU adapter found${icd !== undefined ? ` (VK_ICD_FILENAMES=${icd})` : ' (VK_ICD_FILENAMES is unset)'}`, { where });
  }
  for (const f of opts.requiredFeatures ?? []) {
    if (!adapter.features.has(f)) throw new GpuUnavailableError(`adapter lacks required feature '${f}'`, { where, hint: 'Use another adapter or the CPU twin.' });
  }
  const adapterLimits = adapter.limits as unknown as Record<string, number | undefined>;
  const requiredLimits: Record<string, number> = {};
  for (const name of KERNEL_LIMIT_NAMES) {
    const v = adapterLimits[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  for (const [name, min] of Object.entries(opts.minLimits ?? {})) {
    const have = requiredLimits[name];
    if (min === undefined) continue;
    const ok = name.startsWith('min') ? have !== undefined && have <= min : have !== undefined && have >= min;
    if (!ok) throw new GpuLimitsError(`adapter limit ${name} is ${have}, the caller needs ${min}`, { where });
  }
  const features = new Set<GPUFeatureName>(opts.requiredFeatures ?? []);
  for (const f of opts.optionalFeatures ?? ['shader-f16']) if (adapter.features.has(f)) features.add(f);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: opts.label ?? 'tessera', requiredLimits, requiredFeatures: [...features] });
  } catch (cause) {
    throw new GpuUnavailableError(`requestDevice() failed: ${(cause as Error)?.message ?? String(cause)}`, { where, cause });
  }
  const deviceLimits = device.limits as unknown as Record<string, number | undefined>;
  const limits = {} as KernelLimits;
  for (const name of KERNEL_LIMIT_NAMES) limits[name] = deviceLimits[name] ?? requiredLimits[name] ?? 0;
  const core: Core = {
    device,
    pipelines: new PipelineCache(device),
    buffers: new BufferPool(device, limits.maxBufferSize),
    lost: null,
  };
  void device.lost.then((info) => {
    core.lost = info;
  });
  const ctx = new GpuContext(core, summariseInfo(adapter.info), limits, new Set([...device.features].map(String)));
  return opts.limitCaps ? ctx.withLimits(opts.limitCaps) : ctx;
}

/**
 * WGSL snippet: the linear invocation index for a 1-D kernel dispatched with `ctx.grid()`.
 * Use inside an entry point that declares `@builtin(global_invocation_id) gid: vec3u` and
 * `@builtin(num_workgroups) nwg: vec3u`.
 */
export function linearIndexWgsl(workgroupSize: number): string {
  return `gid.x + gid.y * (nwg.x * ${workgroupSize}u)`;
}
