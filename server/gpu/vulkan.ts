/**
 * Vulkan driver choice for Dawn (WebGPU in Node). Must run in the MAIN thread before Dawn is
 * loaded anywhere in the process (worker threads share the process environment the Vulkan loader
 * reads; a worker's own `process.env` is a copy and would not reach it).
 *
 * `VK_ICD_FILENAMES` wins when set (also to force "no adapter", e.g. a nonexistent file); otherwise
 * the first existing of Mesa ≥ 25 lavapipe and Chromium's SwiftShader (gpu-kernels/README.md).
 */
import { existsSync } from 'node:fs';

export const VULKAN_ICD_CANDIDATES = ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/lib/chromium/vk_swiftshader_icd.json'];

/** Sets `VK_ICD_FILENAMES` when unset; returns the value in effect (undefined: loader default). */
export function ensureVulkanIcd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.VK_ICD_FILENAMES) return env.VK_ICD_FILENAMES;
  const found = VULKAN_ICD_CANDIDATES.find((p) => existsSync(p));
  if (found) env.VK_ICD_FILENAMES = found;
  return found;
}
