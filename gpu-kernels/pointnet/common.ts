/**
 * Shared pieces of the PointNet++ kernels: the f32 squared-distance WGSL (the formula of
 * `lib/pointnet/common.ts` `dist2`), the binding-size check and small upload helpers.
 */
import type { GpuContext } from '../runtime/device';
import { GpuLimitsError } from '../runtime/errors';

/** f32 max as a WGSL literal (FPS's initial distance; the twin's `F32_MAX`). */
export const F32_MAX_WGSL = '0x1.fffffep+127f';

/**
 * WGSL: `fn sqdist(ax, ay, az, bx, by, bz, opaque) -> f32` = ((dx·dx + dy·dy) + dz·dz), every step
 * f32, bit-equal to the twin's `dist2` on every driver. Drivers may contract a·b + c into one fused
 * multiply-add (the NVIDIA Vulkan driver does: FPS 100k → 4096 then diverged from the twin), so
 * each product is passed through `bitcast(… | opaque)` with `opaque` a uniform the host sets to 0:
 * the compiler cannot prove it zero, must round the product to f32 first, and cannot fuse.
 */
export const SQDIST_WGSL = /* wgsl */ `
fn sqdist(ax: f32, ay: f32, az: f32, bx: f32, by: f32, bz: f32, opaque: u32) -> f32 {
  let dx = ax - bx;
  let dy = ay - by;
  let dz = az - bz;
  let xx = bitcast<f32>(bitcast<u32>(dx * dx) | opaque);
  let yy = bitcast<f32>(bitcast<u32>(dy * dy) | opaque);
  let zz = bitcast<f32>(bitcast<u32>(dz * dz) | opaque);
  return (xx + yy) + zz;
}`;

/** Throws GPU_LIMITS when `bytes` exceed one storage binding. */
export function checkBinding(ctx: GpuContext, bytes: number, what: string, where: string): void {
  const max = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  if (bytes > max) {
    throw new GpuLimitsError(`${what} needs ${bytes} bytes, above one storage binding (${max})`, { where, hint: 'Split the cloud, or use the CPU twin.' });
  }
}

/** Uniform words: u32 unless listed in `floats`. */
export function words(values: number[], floats: number[] = []): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((values.length * 4) / 16) * 16));
  const dv = new DataView(buf);
  values.forEach((v, i) => (floats.includes(i) ? dv.setFloat32(4 * i, v, true) : dv.setUint32(4 * i, v, true)));
  return buf;
}
