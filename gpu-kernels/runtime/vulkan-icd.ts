/**
 * NODE-ONLY: which Vulkan driver Dawn uses. Must run before `node-gpu.ts` loads Dawn, in the main
 * thread (worker threads share the environment the Vulkan loader reads; a worker's own
 * `process.env` is a copy that would not reach it).
 *
 * `VK_ICD_FILENAMES` wins when set (pointing it at a nonexistent file forces "no adapter");
 * otherwise the first existing of Mesa ≥ 25 lavapipe (bookworm-backports; Debian 12's own Mesa 22
 * is rejected by Dawn) and Chromium's SwiftShader. The one rule for the server, the CLI, the tests
 * and the benches.
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
