/**
 * WebGPU for the CLI: Dawn (npm `webgpu`) with a Vulkan driver chosen BEFORE Dawn is loaded.
 * `VK_ICD_FILENAMES` wins when set (pointing it at a nonexistent file forces "no adapter");
 * otherwise the first existing of Mesa ≥ 25 lavapipe and Chromium's SwiftShader
 * (the same rule as server/gpu/vulkan.ts and gpu-kernels/test-setup.ts).
 */
import { existsSync } from 'node:fs';
import { TesseraError, isTesseraError } from '../lib/errors';
import type { GpuContext } from '../gpu-kernels/runtime';

export const VULKAN_ICD_CANDIDATES = ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/lib/chromium/vk_swiftshader_icd.json'];

export function ensureVulkanIcd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.VK_ICD_FILENAMES) return env.VK_ICD_FILENAMES;
  const found = VULKAN_ICD_CANDIDATES.find((p) => existsSync(p));
  if (found) env.VK_ICD_FILENAMES = found;
  return found;
}

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
