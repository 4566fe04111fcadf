/**
 * The shared cell crops (../shared/data/cells): each .tif read by our reader against tifffile's
 * reading (tests/goldens/tiff_refs.json: sum, sampled voxels, ImageJ voxel size) and, where a
 * sibling .nii.gz exists, voxel-for-voxel against readNifti of it, with the same µm spacing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNifti } from '@/lib/formats/nifti';
import { readTiffStack } from '@/lib/formats/tiff';
import refs from '../goldens/tiff_refs.json';

interface RealRef {
  file: string;
  nifti: string | null;
  shape: [number, number, number];
  dtype: string;
  kind: string;
  sum: number;
  spacing: [number, number, number];
  units: string | null;
  samples: [number, number, number, number][];
  nifti_zooms?: [number, number, number];
}

const real = (refs as unknown as { real: RealRef[] }).real;

describe.each(real)('$file', (g) => {
  const { volume, meta } = readTiffStack(new Uint8Array(readFileSync(g.file)), g.file);
  const [nx, ny] = volume.shape;

  it('matches tifffile: shape, type, sum, sampled voxels, spacing', () => {
    expect(volume.shape).toEqual(g.shape);
    expect(meta.sampleType).toBe(g.dtype);
    expect(meta.kind).toBe(g.kind);
    let sum = 0;
    for (let i = 0; i < volume.data.length; i++) sum += volume.data[i];
    expect(sum).toBe(g.sum);
    for (const [x, y, z, v] of g.samples) expect(volume.data[x + nx * (y + ny * z)]).toBe(v);
    g.spacing.forEach((s, i) => expect(volume.spacing[i]).toBeCloseTo(s, 9));
    expect(volume.units).toBe(g.units ?? undefined);
    expect(meta.channels).toBe(1);
    expect(meta.slices).toBe(g.shape[2]);
  });

});

// The converted NIfTIs carry the µm voxel size on the affine diagonal but no units code
// (xyzt_units 0), so units are checked on the TIFF side only.
describe.each(real.filter((g) => g.nifti !== null))('$file vs its sibling NIfTI', (g) => {
  const { volume } = readTiffStack(new Uint8Array(readFileSync(g.file)), g.file);

  it('equals the sibling NIfTI voxel for voxel, with the same µm spacing', () => {
    const nii = readNifti(new Uint8Array(readFileSync(g.nifti!)), g.nifti!).volume;
    expect(volume.shape).toEqual(nii.shape);
    expect(volume.data.constructor).toBe(nii.data.constructor);
    let diff = 0;
    for (let i = 0; i < nii.data.length; i++) if (nii.data[i] !== volume.data[i]) diff++;
    expect(diff).toBe(0);
    nii.spacing.forEach((s, i) => expect(volume.spacing[i]).toBeCloseTo(s, 5));
    g.nifti_zooms!.forEach((s, i) => expect(volume.spacing[i]).toBeCloseTo(s, 5));
    expect(volume.units).toBe('um');
  });
});
