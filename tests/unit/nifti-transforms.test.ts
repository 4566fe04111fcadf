/** Scaling, qform/sform decoding and encoding, orientation codes, and the label writer. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  axisCodes,
  NIFTI_INTENT_LABEL,
  readNifti,
  validateNiftiBytes,
  writeLabelNifti,
  writeNifti,
} from '@/lib/formats/nifti';
import { ArgumentError, ShapeError } from '@/lib/errors';
import type { Affine, LabelVolume, Vec3 } from '@/lib/volume';
import goldens from '../goldens/nifti_checksums.json';

const shape: Vec3 = [3, 2, 2];
const ramp = Uint8Array.from({ length: 12 }, (_, i) => i * 20);

describe('scl_slope / scl_inter', () => {
  it('are applied to integer data as Float32Array', () => {
    const img = readNifti(writeNifti({ volume: { data: ramp, shape, spacing: [1, 1, 1] }, scl_slope: 2.5, scl_inter: -10 }));
    expect(img.volume.data).toBeInstanceOf(Float32Array);
    expect(Array.from(img.volume.data)).toEqual(Array.from(ramp, (v) => v * 2.5 - 10));
    expect(img.header.scl_slope).toBe(2.5);
    expect(img.header.scl_inter).toBe(-10);
  });

  it('give Float64Array for float64 storage', () => {
    const data = Float64Array.from([0.1, 1e300, -3, 7, 1, 2, 3, 4, 5, 6, 7, 8]);
    const img = readNifti(writeNifti({ volume: { data, shape, spacing: [1, 1, 1] }, scl_slope: 3, scl_inter: 0.5 }, { version: 2 }));
    expect(img.volume.data).toBeInstanceOf(Float64Array);
    expect(Array.from(img.volume.data)).toEqual(Array.from(data, (v) => v * 3 + 0.5));
  });

  it('slope 0 (unset) or 1/0 keep the raw type and values', () => {
    for (const [slope, inter] of [
      [0, 0],
      [0, 5], // slope 0 means "no scaling" even with an intercept
      [1, 0],
    ]) {
      const img = readNifti(writeNifti({ volume: { data: ramp, shape, spacing: [1, 1, 1] }, scl_slope: slope, scl_inter: inter }));
      expect(img.volume.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(img.volume.data)).toEqual(Array.from(ramp));
    }
  });

  it('intercept alone (slope 1) shifts values', () => {
    const img = readNifti(writeNifti({ volume: { data: ramp, shape, spacing: [1, 1, 1] }, scl_slope: 1, scl_inter: -1024 }));
    expect(Array.from(img.volume.data)).toEqual(Array.from(ramp, (v) => v - 1024));
  });
});

/** A NIfTI-1 file whose qform fields are written by hand (sform_code 0). */
function handQform(q: { b: number; c: number; d: number; qfac: number; offset: Vec3; pixdim: Vec3 }, le: boolean): Uint8Array {
  const bytes = writeNifti(
    { volume: { data: ramp, shape, spacing: [1, 1, 1] }, qform_code: 0, sform_code: 0 },
    { littleEndian: le },
  ).slice();
  const v = new DataView(bytes.buffer);
  v.setInt16(252, 1, le); // qform_code = NIFTI_XFORM_SCANNER_ANAT
  v.setInt16(254, 0, le); // sform_code
  v.setFloat32(76, q.qfac, le); // pixdim[0]
  q.pixdim.forEach((p, i) => v.setFloat32(80 + 4 * i, p, le));
  [q.b, q.c, q.d, ...q.offset].forEach((x, i) => v.setFloat32(256 + 4 * i, x, le));
  return bytes;
}

function expectAffine(actual: Affine | undefined, expected: number[][], digits = 6): void {
  expect(actual).toBeDefined();
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(actual![r][c]).toBeCloseTo(expected[r][c], digits);
}

describe('qform decoding (hand-written quaternions)', () => {
  const s45 = Math.SQRT1_2;
  it.each([true, false])('90° about z, qfac +1 (le=%s)', (le) => {
    const bytes = handQform({ b: 0, c: 0, d: s45, qfac: 1, offset: [10, 20, 30], pixdim: [2, 3, 4] }, le);
    const img = readNifti(bytes);
    // R = [[0,-1,0],[1,0,0],[0,0,1]] times diag(2,3,4), then the offset.
    expectAffine(img.volume.affine, [
      [0, -3, 0, 10],
      [2, 0, 0, 20],
      [0, 0, 4, 30],
      [0, 0, 0, 1],
    ]);
    expect(img.volume.spacing).toEqual([2, 3, 4]);
    expect(validateNiftiBytes(bytes)).toMatchObject({ orientation: 'ALS', affineSource: 'qform' });
  });

  it('qfac = pixdim[0] = -1 flips the third column', () => {
    const img = readNifti(handQform({ b: 0, c: 0, d: s45, qfac: -1, offset: [10, 20, 30], pixdim: [2, 3, 4] }, true));
    expectAffine(img.volume.affine, [
      [0, -3, 0, 10],
      [2, 0, 0, 20],
      [0, 0, -4, 30],
      [0, 0, 0, 1],
    ]);
    expect(axisCodes(img.volume.affine!)).toBe('ALI');
  });

  it('180° about x (a = 0) gives diag(1, -1, -1)', () => {
    const img = readNifti(handQform({ b: 1, c: 0, d: 0, qfac: 1, offset: [0, 0, 0], pixdim: [1, 1, 1] }, true));
    expectAffine(img.volume.affine, [
      [1, 0, 0, 0],
      [0, -1, 0, 0],
      [0, 0, -1, 0],
      [0, 0, 0, 1],
    ]);
    expect(axisCodes(img.volume.affine!)).toBe('RPI');
  });

  it('no qform and no sform → diag(pixdim), zero origin', () => {
    const bytes = writeNifti({ volume: { data: ramp, shape, spacing: [0.5, 2, 3] }, qform_code: 0, sform_code: 0 });
    expect(validateNiftiBytes(bytes).affineSource).toBe('pixdim');
    expectAffine(readNifti(bytes).volume.affine, [
      [0.5, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 3, 0],
      [0, 0, 0, 1],
    ]);
  });
});

describe('qform encoding by the writer', () => {
  it('stores the hand-computed quaternion of a 90° rotation and qfac', () => {
    const affine: Affine = [
      [0, -3, 0, 10],
      [2, 0, 0, 20],
      [0, 0, 4, 30],
      [0, 0, 0, 1],
    ];
    const h = readNifti(writeNifti({ volume: { data: ramp, shape, spacing: [2, 3, 4], affine } })).header;
    expect(h.quatern_b).toBeCloseTo(0, 6);
    expect(h.quatern_c).toBeCloseTo(0, 6);
    expect(h.quatern_d).toBeCloseTo(Math.SQRT1_2, 6);
    expect([h.qoffset_x, h.qoffset_y, h.qoffset_z]).toEqual([10, 20, 30]);
    expect(h.pixdim.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect([h.qform_code, h.sform_code]).toEqual([1, 1]);
    expect([h.srow_x, h.srow_y, h.srow_z]).toEqual(affine.slice(0, 3));

    const flipped: Affine = [affine[0], affine[1], [0, 0, -4, 30], affine[3]];
    const hf = readNifti(writeNifti({ volume: { data: ramp, shape, spacing: [2, 3, 4], affine: flipped } })).header;
    expect(hf.pixdim[0]).toBe(-1);
    expect(hf.quatern_d).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('rejects a singular affine', () => {
    const affine: Affine = [
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ];
    expect(() => writeNifti({ volume: { data: ramp, shape, spacing: [1, 1, 1], affine } })).toThrow(ArgumentError);
  });
});

describe('axisCodes (nibabel aff2axcodes)', () => {
  const rot = (deg: number): Affine => {
    const c = Math.cos((deg * Math.PI) / 180);
    const s = Math.sin((deg * Math.PI) / 180);
    // LIA: x → -x, y → -z, z → +y; then a small rotation about x.
    const lia = [
      [-1, 0, 0],
      [0, 0, 1],
      [0, -1, 0],
    ];
    const rx = [
      [1, 0, 0],
      [0, c, -s],
      [0, s, c],
    ];
    const m = rx.map((row) => [0, 1, 2].map((j) => row.reduce((acc, v, k) => acc + v * lia[k][j], 0)));
    return [[...m[0], 5], [...m[1], 6], [...m[2], 7], [0, 0, 0, 1]] as Affine;
  };
  it.each([
    [0, 'LIA'],
    [20, 'LIA'],
    [-30, 'LIA'],
    [80, 'LAS'], // nibabel: ('L', 'A', 'S')
  ])('LIA rotated %i° about x → %s', (deg, codes) => {
    expect(axisCodes(rot(deg))).toBe(codes);
  });
  it.each(goldens.axcodes_cases.map((c, i) => ({ i, ...c })))('random oblique affine #$i → $axcodes (nibabel)', ({ affine, axcodes }) => {
    expect(axisCodes(affine as Affine)).toBe(axcodes);
  });
  it('identity with anisotropic zooms → RAS', () => {
    expect(
      axisCodes([
        [0.2, 0, 0, 0],
        [0, 5, 0, 0],
        [0, 0, 9, 0],
        [0, 0, 0, 1],
      ]),
    ).toBe('RAS');
  });
});

describe('writer validation', () => {
  it('rejects values that do not fit the datatype, naming the voxel', () => {
    const data = Float32Array.from([0, 1, 2.5, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(() => writeNifti({ volume: { data, shape, spacing: [1, 1, 1] }, datatype: 'int16' })).toThrow(/volume\.data\[2\]|2\.5/);
    const big = Float64Array.from({ length: 12 }, () => 70000);
    expect(() => writeNifti({ volume: { data: big, shape, spacing: [1, 1, 1] }, datatype: 'uint16' })).toThrow(ArgumentError);
  });
  it('rejects unknown units, wrong data length and NIfTI-1 dims over 32767', () => {
    expect(() => writeNifti({ volume: { data: ramp, shape, spacing: [1, 1, 1], units: 'furlong' } })).toThrow(ArgumentError);
    expect(() => writeNifti({ volume: { data: ramp.subarray(1), shape, spacing: [1, 1, 1] } })).toThrow(ShapeError);
    const wide = new Uint8Array(40000);
    expect(() => writeNifti({ volume: { data: wide, shape: [40000, 1, 1], spacing: [1, 1, 1] } })).toThrow(ArgumentError);
    expect(readNifti(writeNifti({ volume: { data: wide, shape: [40000, 1, 1], spacing: [1, 1, 1] } }, { version: 2 })).volume.shape).toEqual([
      40000, 1, 1,
    ]);
  });
});

describe('writeLabelNifti', () => {
  const likeBytes = new Uint8Array(readFileSync('../shared/data/volumes/nibabel_anatomical.nii'));
  const like = readNifti(likeBytes);
  const lshape = like.volume.shape;
  const count = lshape[0] * lshape[1] * lshape[2];
  const labelsOf = (max: number): LabelVolume => ({
    data: Uint32Array.from({ length: count }, (_, i) => (i % 7 === 0 ? max - (i % 3) : i % 5)),
    shape: lshape,
    spacing: [9, 9, 9], // ignored when `like` is given
  });

  it.each([
    [5, 'uint16', 512],
    [65535, 'uint16', 512],
    [70000, 'uint32', 768],
  ] as const)('max label %i → %s on the grid of `like`', (max, name, code) => {
    const labels = labelsOf(max);
    const before = labels.data.slice();
    for (const gzip of [false, true]) {
      const out = readNifti(writeLabelNifti(labels, like.header, { gzip }), 'labels.nii');
      expect(labels.data).toEqual(before);
      expect(out.header.datatypeName).toBe(name);
      expect(out.header.datatype).toBe(code);
      expect(out.volume.data).toBeInstanceOf(name === 'uint16' ? Uint16Array : Uint32Array);
      expect(Array.from(out.volume.data)).toEqual(Array.from(labels.data));
      expect(out.header.intent_code).toBe(NIFTI_INTENT_LABEL);
      expect(out.volume.shape).toEqual(lshape);
      expect(out.volume.spacing).toEqual(like.volume.spacing);
      expect(out.volume.affine).toEqual(like.volume.affine);
      expect(out.volume.units).toBe(like.volume.units);
      for (const k of ['qform_code', 'sform_code', 'quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z', 'xyzt_units'] as const) {
        expect(out.header[k]).toBe(like.header[k]);
      }
      expect(out.header.pixdim.slice(0, 4)).toEqual(like.header.pixdim.slice(0, 4));
      expect([out.header.srow_x, out.header.srow_y, out.header.srow_z]).toEqual([like.header.srow_x, like.header.srow_y, like.header.srow_z]);
    }
  });

  it('rejects labels on another grid', () => {
    const labels: LabelVolume = { data: new Uint32Array(12), shape, spacing: [1, 1, 1] };
    expect(() => writeLabelNifti(labels, like.header)).toThrow(ShapeError);
  });

  it('without `like` uses the labels’ own spacing, affine and units', () => {
    const affine: Affine = [
      [-0.5, 0, 0, 3],
      [0, 0, 0.5, -2],
      [0, -2, 0, 1],
      [0, 0, 0, 1],
    ];
    const labels: LabelVolume = { data: Uint32Array.from({ length: 12 }, (_, i) => i), shape, spacing: [0.5, 2, 0.5], affine, units: 'um' };
    const out = readNifti(writeLabelNifti(labels, null));
    expect(out.header.datatypeName).toBe('uint16');
    expect(out.volume.affine).toEqual(affine);
    expect(out.volume.spacing).toEqual([0.5, 2, 0.5]);
    expect(out.volume.units).toBe('um');
    expect(validateNiftiBytes(writeLabelNifti(labels, null)).orientation).toBe('LIA');
  });
});
