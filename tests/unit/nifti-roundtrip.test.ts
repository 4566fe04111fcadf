/**
 * writeNifti → readNifti round trips over every datatype × byte order × NIfTI-1/2 × gzip/plain,
 * plus byte-level checks that the requested variant was really written.
 */
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  NIFTI_DATATYPES,
  type NiftiDatatypeName,
  readNifti,
  validateNiftiBytes,
  writeNifti,
} from '@/lib/formats/nifti';
import type { Affine, NumericArray, Vec3 } from '@/lib/volume';

const shape: Vec3 = [5, 4, 3];
const n = shape[0] * shape[1] * shape[2];
const spacing: Vec3 = [0.5, 0.75, 2];
// Oblique, left-handed voxel → world map: 30° about z, z axis flipped, with a translation.
const c30 = Math.cos(Math.PI / 6);
const s30 = Math.sin(Math.PI / 6);
const affine: Affine = [
  [c30 * 0.5, -s30 * 0.75, 0, -12.5],
  [s30 * 0.5, c30 * 0.75, 0, 30.25],
  [0, 0, -2, 7],
  [0, 0, 0, 1],
];

/** Values that exercise the extremes of each type (and signs, fractions for floats). */
function sampleData(name: NiftiDatatypeName): NumericArray {
  const dt = NIFTI_DATATYPES[name];
  const len = n * dt.components;
  const pick = (i: number): number => {
    if (!dt.integer) return i === 0 ? -1.5e30 : i === 1 ? 3.25e-7 : (i - 30) * 1.375;
    if (i === 0) return dt.min;
    if (i === 1) return dt.max;
    return dt.min + ((i * 7919) % Math.min(dt.max - dt.min + 1, 100003));
  };
  const values = Array.from({ length: len }, (_, i) => pick(i));
  switch (name) {
    case 'uint8':
    case 'rgb24':
      return Uint8Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'uint16':
      return Uint16Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'uint32':
      return Uint32Array.from(values);
    case 'float32':
      return Float32Array.from(values);
    default:
      return Float64Array.from(values); // float64, int64, uint64
  }
}

const names = Object.keys(NIFTI_DATATYPES) as NiftiDatatypeName[];
const cases = names.flatMap((datatype) =>
  [true, false].flatMap((littleEndian) =>
    ([1, 2] as const).flatMap((version) => [false, true].map((gzip) => ({ datatype, littleEndian, version, gzip }))),
  ),
);

describe('NIfTI round trip', () => {
  it.each(cases)('$datatype le=$littleEndian v$version gz=$gzip', ({ datatype, littleEndian, version, gzip }) => {
    const data = sampleData(datatype);
    const dataCopy = data.slice();
    const components = NIFTI_DATATYPES[datatype].components;
    const bytes = writeNifti(
      { volume: { data, shape, spacing, affine, units: 'mm' }, datatype, components },
      { littleEndian, version, gzip },
    );
    expect(data).toEqual(dataCopy); // input untouched

    // The requested variant is what is on disk.
    expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
    const summary = validateNiftiBytes(bytes, 'rt.nii');
    expect(summary).toMatchObject({ version, littleEndian, gzip, datatype, components, shape, units: 'mm', affineSource: 'sform' });

    const img = readNifti(bytes, 'rt.nii');
    expect(img.components).toBe(components);
    expect(img.header.datatype).toBe(NIFTI_DATATYPES[datatype].code);
    expect(img.header.bitpix).toBe(NIFTI_DATATYPES[datatype].bitpix);
    expect(img.volume.shape).toEqual(shape);
    expect(img.volume.spacing).toEqual(spacing); // exactly representable in float32
    expect(img.volume.units).toBe('mm');
    // Raw type preserved (no scaling written); int64/uint64 come back as Float64Array.
    const expectedCtor = datatype === 'int64' || datatype === 'uint64' ? Float64Array : data.constructor;
    expect(img.volume.data.constructor).toBe(expectedCtor);
    expect(Array.from(img.volume.data)).toEqual(Array.from(data));
    const tol = version === 1 ? 1e-5 : 1e-12; // NIfTI-1 stores the affine as float32
    expectAffineClose(img.volume.affine!, affine, tol);
    // The qform (independent of the sform) encodes the same affine.
    const qOnly = readNifti(withSformCodeZero(bytes, version, littleEndian, gzip), 'rt.nii');
    expect(validateNiftiBytes(withSformCodeZero(bytes, version, littleEndian, gzip)).affineSource).toBe('qform');
    expectAffineClose(qOnly.volume.affine!, affine, version === 1 ? 1e-5 : 1e-9);
  });
});

function expectAffineClose(actual: Affine, expected: Affine, tol: number): void {
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(Math.abs(actual[r][c] - expected[r][c])).toBeLessThan(tol * 32);
}

/** An uncompressed copy of the file with sform_code set to 0, so readers fall back to the qform. */
function withSformCodeZero(bytes: Uint8Array, version: 1 | 2, le: boolean, gz: boolean): Uint8Array {
  const plain = gz ? gunzipSync(bytes) : bytes.slice();
  const v = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  if (version === 1) v.setInt16(254, 0, le);
  else v.setInt32(348, 0, le);
  return plain;
}
