/**
 * Typed GPU errors. Each carries a `TesseraError` code so callers (CLI, tRPC formatter, pipeline
 * runner) can fall back to the CPU twin on `GPU_UNAVAILABLE` and report the rest.
 */
import { TesseraError } from '../../lib/errors';

type Opts = { where?: string; hint?: string; cause?: unknown };

/** No WebGPU implementation, no adapter, or the device request failed. */
export class GpuUnavailableError extends TesseraError {
  constructor(message: string, opts: Opts = {}) {
    super('GPU_UNAVAILABLE', message, {
      hint:
        'In Node set VK_ICD_FILENAMES to a working Vulkan ICD (Mesa ≥ 25 lavapipe /usr/share/vulkan/icd.d/lvp_icd.json, ' +
        'or /usr/lib/chromium/vk_swiftshader_icd.json); in a browser enable WebGPU. Use the CPU twin otherwise.',
      ...opts,
    });
  }
}

/** WGSL failed to compile or a pipeline failed validation. */
export class GpuShaderError extends TesseraError {
  /** Compiler messages, "line:col message". */
  readonly messages: string[];
  constructor(message: string, messages: string[], opts: Opts = {}) {
    super('GPU_SHADER', message, { hint: 'This is a bug in the kernel source; report it with the messages.', ...opts });
    this.messages = messages;
  }
}

/** The device was lost (driver reset, destroy(), out of memory on some drivers). */
export class GpuDeviceLostError extends TesseraError {
  readonly reason: string;
  constructor(message: string, reason: string, opts: Opts = {}) {
    super('GPU_DEVICE_LOST', message, { hint: 'Acquire a new device with acquireDevice() and retry, or use the CPU twin.', ...opts });
    this.reason = reason;
  }
}

/** The work does not fit the adapter's limits (and cannot be tiled further). */
export class GpuLimitsError extends TesseraError {
  constructor(message: string, opts: Opts = {}) {
    super('GPU_LIMITS', message, { hint: 'Use a smaller volume or the CPU twin.', ...opts });
  }
}
