/**
 * Test helper for GPU kernel tests in Node (imported by every gpu-kernels/**\/*.test.ts).
 *
 * Chooses the Vulkan ICD before Dawn starts (runtime/vulkan-icd.ts). A test that finds no adapter
 * fails: `testContext()` throws GPU_UNAVAILABLE.
 */
import { ensureVulkanIcd } from './runtime/vulkan-icd';
import type { GpuContext } from './runtime/device';

/** Chooses the Vulkan ICD (gpu-kernels/runtime/vulkan-icd.ts) before Dawn starts. */
export function chooseIcd(): string | undefined {
  return ensureVulkanIcd();
}

/** Edge of the cubic volume the timing tests use (env TESSERA_GPU_BENCH_N, default 64). */
export const BENCH_N = Number(process.env.TESSERA_GPU_BENCH_N ?? 64) || 64;

let ctxPromise: Promise<GpuContext> | null = null;

/** One device per test file (per worker process), acquired with the adapter's limits. */
export function testContext(): Promise<GpuContext> {
  if (!ctxPromise) {
    ctxPromise = (async () => {
      chooseIcd();
      const { acquireNodeDevice } = await import('./runtime/node-gpu');
      return acquireNodeDevice({ label: 'tessera-test' });
    })();
  }
  return ctxPromise;
}

/** Seeded PRNG (mulberry32) for reproducible random volumes. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random binary mask of blobs: union of `count` random balls (radius in voxels) in `shape`. */
export function randomBlobs(shape: [number, number, number], count: number, radius: number, seed: number): Uint8Array {
  const [nx, ny, nz] = shape;
  const r = rng(seed);
  const m = new Uint8Array(nx * ny * nz);
  for (let b = 0; b < count; b++) {
    const cx = r() * nx, cy = r() * ny, cz = r() * nz;
    const rad = radius * (0.5 + r());
    for (let z = Math.max(0, Math.floor(cz - rad)); z <= Math.min(nz - 1, Math.ceil(cz + rad)); z++)
      for (let y = Math.max(0, Math.floor(cy - rad)); y <= Math.min(ny - 1, Math.ceil(cy + rad)); y++)
        for (let x = Math.max(0, Math.floor(cx - rad)); x <= Math.min(nx - 1, Math.ceil(cx + rad)); x++)
          if ((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= rad * rad) m[x + nx * (y + ny * z)] = 1;
  }
  return m;
}
