/**
 * WebGPU for the CLI: Dawn (npm `webgpu`) with a Vulkan driver chosen BEFORE Dawn is loaded.
 * `VK_ICD_FILENAMES` wins when set (pointing it at a nonexistent file forces "no adapter");
 * otherwise the first existing of Mesa ≥ 25 lavapipe and Chromium's SwiftShader
 * (gpu-kernels/runtime/vulkan-icd.ts, shared with the server and the tests).
 */
import { VULKAN_ICD_CANDIDATES, ensureVulkanIcd } from '../gpu-kernels/runtime/vulkan-icd';
import { TesseraError, isTesseraError } from '../lib/errors';
import type { GpuContext } from '../gpu-kernels/runtime';

export { VULKAN_ICD_CANDIDATES, ensureVulkanIcd };

let ctxPromise: Promise<GpuContext> | null = null;

/**
 * The process's Dawn device (acquired once). Throws GPU_UNAVAILABLE (one line, naming
 * VK_ICD_FILENAMES) when Dawn cannot load or finds no adapter.
 */
export function acquireCliGpu(): Promise<GpuContext> {
  ctxPromise ??= (async () => {
    const icd = ensureVulkanIcd();
    const hint = `Install a Vulkan driver Dawn accepts (Mesa ≥ 25 lavapipe or Chromium's SwiftShader) and check VK_ICD_FILENAMES (${icd ?? 'unset'}), or use --device cpu.`;
    let nodeGpu: typeof import('../gpu-kernels/runtime/node-gpu');
    try {
      nodeGpu = await import('../gpu-kernels/runtime/node-gpu');
    } catch (e) {
      throw new TesseraError('GPU_UNAVAILABLE', `Dawn (npm webgpu) could not be loaded: ${e instanceof Error ? e.message : String(e)}`, { where: '--device', hint });
    }
    try {
      return await nodeGpu.acquireNodeDevice({ label: 'tessera-cli' });
    } catch (e) {
      if (isTesseraError(e) && e.code === 'GPU_UNAVAILABLE') {
        throw new TesseraError('GPU_UNAVAILABLE', e.message, { where: '--device gpu', hint, cause: e });
      }
      throw e;
    }
  })();
  return ctxPromise;
}
