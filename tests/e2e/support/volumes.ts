/** Small NIfTI volumes for upload tests, written with the project's own writer. */
import { writeNifti } from '@/lib/formats/nifti';
import type { Vec3 } from '@/lib/volume';

export function smallNifti(shape: Vec3 = [24, 20, 16], opts: { gzip?: boolean } = {}): Uint8Array {
  const [nx, ny, nz] = shape;
  const data = new Uint16Array(nx * ny * nz);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const d = Math.hypot(x - nx / 2, y - ny / 2, z - nz / 2);
        data[x + nx * (y + ny * z)] = d < Math.min(nx, ny, nz) / 3 ? 1000 : 50;
      }
  return writeNifti({ volume: { data, shape, spacing: [0.5, 0.5, 1], units: 'mm' } }, { gzip: opts.gzip ?? false });
}
