/**
 * Real NIfTI files from ../shared/data read against references computed independently by nibabel
 * (tests/goldens/nifti_checksums.py → nifti_checksums.json).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { axisCodes, readNifti, validateNiftiBytes } from '@/lib/formats/nifti';
import goldens from '../goldens/nifti_checksums.json';

interface Golden {
  file: string;
  version: number;
  little_endian: boolean;
  dim: number[];
  datatype: number;
  scl_slope: number;
  scl_inter: number;
  qform_code: number;
  sform_code: number;
  xyzt_units: number;
  spatial_units: string;
  shape: number[];
  zooms: number[];
  axcodes: string;
  affine: number[][];
  qform: number[][];
  sum: number;
  sum_sq: number;
  min: number;
  max: number;
  samples: [number, number, number, number][];
}

const volumes = (goldens as unknown as { volumes: Golden[] }).volumes;

describe.each(volumes)('$file', (g) => {
  const bytes = new Uint8Array(readFileSync(g.file));
  const img = readNifti(bytes, g.file);
  const scaled = g.scl_slope !== 1 || g.scl_inter !== 0;

  it('header and geometry match nibabel', () => {
    const h = img.header;
    expect(h.version).toBe(g.version);
    expect(h.littleEndian).toBe(g.little_endian);
    expect(h.dim).toEqual(g.dim);
    expect(h.datatype).toBe(g.datatype);
    expect(h.qform_code).toBe(g.qform_code);
    expect(h.sform_code).toBe(g.sform_code);
    expect(h.xyzt_units).toBe(g.xyzt_units);
    expect(img.volume.shape).toEqual(g.shape);
    g.zooms.forEach((z, i) => expect(img.volume.spacing[i]).toBeCloseTo(z, 6));
    expect(img.volume.units).toBe(g.spatial_units === 'unknown' ? undefined : g.spatial_units);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(img.volume.affine![r][c]).toBeCloseTo(g.affine[r][c], 5);
    expect(axisCodes(img.volume.affine!)).toBe(g.axcodes);
    const summary = validateNiftiBytes(bytes, g.file);
    expect(summary.orientation).toBe(g.axcodes);
    expect(summary.shape).toEqual(g.shape);
  });

  it('voxel values match nibabel (scaled when the header says so)', () => {
    const d = img.volume.data;
    expect(d.length).toBe(g.shape[0] * g.shape[1] * g.shape[2]);
    expect(d instanceof Float32Array).toBe(scaled);
    let sum = 0;
    let sumSq = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      sum += v;
      sumSq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // Unscaled data are exact; scaled data are float32 (relative error ≤ 2^-24 per voxel).
    const rel = scaled ? 1e-6 : 0;
    expect(Math.abs(sum - g.sum)).toBeLessThanOrEqual(rel * Math.abs(g.sum));
    expect(Math.abs(sumSq - g.sum_sq)).toBeLessThanOrEqual(rel * g.sum_sq);
    expect(min).toBeCloseTo(g.min, 3);
    expect(max).toBeCloseTo(g.max, 3);
    const [nx, ny] = g.shape;
    for (const [x, y, z, value] of g.samples) {
      expect(Math.abs(d[x + nx * (y + ny * z)] - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-6);
    }
  });
});

describe.each(volumes.filter((g) => g.qform_code > 0))('$file qform', (g) => {
  it('decodes like nibabel get_qform()', () => {
    const plain = withSformCodeZero(new Uint8Array(readFileSync(g.file)));
    expect(validateNiftiBytes(plain).affineSource).toBe('qform');
    const q = readNifti(plain, g.file).volume.affine!;
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(q[r][c]).toBeCloseTo(g.qform[r][c], 4);
  });
});

/** Uncompressed copy of a NIfTI-1 file with sform_code 0 (qform then gives the affine). */
function withSformCodeZero(bytes: Uint8Array): Uint8Array {
  const plain = bytes[0] === 0x1f ? gunzipSync(bytes) : bytes.slice();
  new DataView(plain.buffer, plain.byteOffset).setInt16(254, 0, readNifti(plain).header.littleEndian);
  return plain;
}
