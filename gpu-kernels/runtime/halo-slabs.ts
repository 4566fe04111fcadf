/**
 * z-slabs of whole xy planes with halo planes, for kernels whose stencil reaches `halo` planes
 * along z (separable filters, flooding). Each slab outputs planes [z0, z1) and holds planes
 * [h0, h1) = [max(0, z0 − halo), min(nz, z1 + halo)) so that its buffer stays within `maxVoxels`.
 */
import type { Vec3 } from '../../lib/volume';
import { GpuLimitsError } from './errors';

export interface HaloSlab {
  /** First and one-past-last output plane. */
  z0: number;
  z1: number;
  /** First and one-past-last plane held (output planes plus halo). */
  h0: number;
  h1: number;
}

/**
 * Plans slabs covering [0, nz) whose held planes (with `halo` planes each side, clipped to the
 * volume) fit `maxVoxels`. Throws GPU_LIMITS when not even one output plane with its halo fits.
 */
export function planHaloSlabs(shape: Vec3, halo: number, maxVoxels: number, where = 'planHaloSlabs'): HaloSlab[] {
  const [nx, ny, nz] = shape;
  const plane = nx * ny;
  const maxPlanes = Math.floor(maxVoxels / plane);
  if (nz <= maxPlanes) return [{ z0: 0, z1: nz, h0: 0, h1: nz }];
  const step = maxPlanes - 2 * halo;
  if (step < 1) {
    throw new GpuLimitsError(`a slab of one xy plane (${plane} voxels) plus ${2 * halo} halo planes does not fit a storage binding of ${maxVoxels} voxels`, {
      where,
    });
  }
  const out: HaloSlab[] = [];
  for (let z0 = 0; z0 < nz; z0 += step) {
    const z1 = Math.min(nz, z0 + step);
    out.push({ z0, z1, h0: Math.max(0, z0 - halo), h1: Math.min(nz, z1 + halo) });
  }
  return out;
}
