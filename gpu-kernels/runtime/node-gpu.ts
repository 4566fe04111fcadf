/**
 * NODE-ONLY: Dawn's WebGPU for Node (`webgpu` npm package). Importing this module creates the GPU
 * once, installs the WebGPU globals (GPUBufferUsage, …) and registers the GPU with
 * `acquireDevice()`. The object returned by `create()` is kept in a module-level variable for the
 * life of the process: if it is garbage-collected, Dawn crashes the process.
 *
 * Browsers must not import this file; they use `navigator.gpu` through `acquireDevice()`.
 */
import { create, globals } from 'webgpu';
import { acquireDevice, registerGpu, type AcquireOptions, type GpuContext } from './device';

Object.assign(globalThis, globals);
const gpu: GPU = create([]);
// Also pin it on globalThis so nothing (module cache resets, bundlers) can let it be collected.
(globalThis as { __tesseraDawnGpu?: GPU }).__tesseraDawnGpu = gpu;
registerGpu(gpu);

/** The process-wide Dawn GPU. */
export function nodeGpu(): GPU {
  return gpu;
}

/** `acquireDevice()` on Dawn. */
export function acquireNodeDevice(opts: Omit<AcquireOptions, 'gpu'> = {}): Promise<GpuContext> {
  return acquireDevice({ ...opts, gpu });
}
