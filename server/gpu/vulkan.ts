/** Vulkan driver choice for Dawn on the server: the shared rule in gpu-kernels/runtime/vulkan-icd.ts. */
export { VULKAN_ICD_CANDIDATES, ensureVulkanIcd } from '@/gpu-kernels/runtime/vulkan-icd';
