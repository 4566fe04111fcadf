/** Bad inputs give the right typed error (class, code, where), never null. */
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readNifti, validateNiftiBytes, writeNifti } from '@/lib/formats/nifti';
import { FormatError, TesseraError, TruncatedError, UnsupportedFormatError } from '@/lib/errors';
import type { Vec3 } from '@/lib/volume';

const shape: Vec3 = [4, 3, 2];
function goodFile(version: 1 | 2 = 1, littleEndian = true): Uint8Array {
  return writeNifti({ volume: { data: new Int16Array(24).map((_, i) => i), shape, spacing: [1, 1, 1] } }, { version, littleEndian });
}

function patch(bytes: Uint8Array, f: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  f(new DataView(copy.buffer));
  return copy;
}

/** Runs `fn`, asserting it throws a TesseraError of class `cls`; returns the error. */
function expectThrows(fn: () => unknown, cls: abstract new (...args: never[]) => TesseraError, code: string): TesseraError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  const err = caught as TesseraError;
  expect(err.code).toBe(code);
  expect(err.where).toBeTruthy();
  expect(err.hint).toBeTruthy();
  return err;
}

describe('readNifti rejects bad input with typed errors', () => {
  it('random bytes → FormatError naming sizeof_hdr', () => {
    let seed = 42;
    const random = Uint8Array.from({ length: 1000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    const err = expectThrows(() => readNifti(random, 'noise.bin'), FormatError, 'FORMAT_INVALID');
    expect(err.where).toContain('noise.bin');
    expect(err.where).toContain('sizeof_hdr');
  });

  it('a PNG → FormatError', () => {
    const png = new Uint8Array(400);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    expectThrows(() => readNifti(png, 'x.png'), FormatError, 'FORMAT_INVALID');
    expectThrows(() => validateNiftiBytes(png, 'x.png'), FormatError, 'FORMAT_INVALID');
  });

  it('an empty or tiny file → TruncatedError', () => {
    expectThrows(() => readNifti(new Uint8Array(0)), TruncatedError, 'TRUNCATED');
    expectThrows(() => readNifti(new Uint8Array([1, 2])), TruncatedError, 'TRUNCATED');
  });

  it.each([1, 2] as const)('truncated NIfTI-%i header → TruncatedError with byte counts', (version) => {
    const err = expectThrows(() => readNifti(goodFile(version).slice(0, 200), 'cut.nii'), TruncatedError, 'TRUNCATED');
    expect(err.message).toContain(version === 1 ? '348' : '540');
    expect(err.message).toContain('200');
  });

  it.each([
    [1, true],
    [1, false],
    [2, true],
    [2, false],
  ] as const)('truncated data (v%i, le=%s) → TruncatedError with byte counts', (version, le) => {
    const file = goodFile(version, le);
    const err = expectThrows(() => readNifti(file.slice(0, file.length - 1), 'cut.nii'), TruncatedError, 'TRUNCATED');
    expect(err.message).toContain(String(file.length));
    expect(err.message).toContain(String(file.length - 1));
    expect(err.where).toContain('cut.nii');
  });

  it('header dims claiming more data than present → TruncatedError', () => {
    const big = patch(goodFile(), (v) => v.setInt16(46, 200, true)); // dim[3] = 200
    expectThrows(() => readNifti(big), TruncatedError, 'TRUNCATED');
    // ...also when the extra data is in dim[4] (time points), although only volume 0 is decoded.
    const fourD = patch(goodFile(), (v) => {
      v.setInt16(40, 4, true);
      v.setInt16(48, 5, true);
    });
    expectThrows(() => readNifti(fourD), TruncatedError, 'TRUNCATED');
  });

  it('a 4D file reads its first volume and reports dim[4]', () => {
    const one = goodFile();
    const two = new Uint8Array(one.length + 48);
    two.set(one);
    two.set(one.subarray(352).map((b) => b ^ 0xff), one.length); // a different second volume
    const v = new DataView(two.buffer);
    v.setInt16(40, 4, true);
    v.setInt16(48, 2, true);
    const img = readNifti(two);
    expect(img.header.dim.slice(0, 5)).toEqual([4, 4, 3, 2, 2]);
    expect(img.volume.shape).toEqual(shape);
    expect(Array.from(img.volume.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it.each([
    ['dim[2] = 0', (v: DataView) => v.setInt16(44, 0, true), 'dim[2]'],
    ['dim[1] negative', (v: DataView) => v.setInt16(42, -4, true), 'dim[1]'],
    ['dim[0] = 0', (v: DataView) => v.setInt16(40, 0, true), 'dim[0]'],
    ['dim[0] = 8', (v: DataView) => v.setInt16(40, 8, true), 'dim[0]'],
  ])('%s → FormatError', (_name, f, field) => {
    const err = expectThrows(() => readNifti(patch(goodFile(), f), 'bad.nii'), FormatError, 'FORMAT_INVALID');
    expect(err.where).toBe(`bad.nii: ${field}`);
  });

  it('absurd dims (> 2^31 voxels) → FormatError with a hint', () => {
    const v1 = patch(goodFile(), (v) => {
      [32767, 32767, 32767].forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
    });
    const err = expectThrows(() => readNifti(v1), FormatError, 'FORMAT_INVALID');
    expect(err.message).toContain('2^31');
    const v2 = patch(goodFile(2), (v) => v.setBigInt64(24, 10n ** 12n, true)); // dim[1]
    expectThrows(() => readNifti(v2), FormatError, 'FORMAT_INVALID');
  });

  it('bad magic → FormatError; ni1 pair header and Analyze → UnsupportedFormatError', () => {
    const bad = patch(goodFile(), (v) => v.setUint8(345, 0x3f));
    expectThrows(() => readNifti(bad), FormatError, 'FORMAT_INVALID');
    const pair = patch(goodFile(), (v) => v.setUint8(345, 0x69)); // "ni1"
    const err = expectThrows(() => readNifti(pair, 'x.hdr'), UnsupportedFormatError, 'FORMAT_UNSUPPORTED');
    expect(err.hint).toContain('.nii');
    const analyze = patch(goodFile(), (v) => v.setUint32(344, 0));
    expectThrows(() => readNifti(analyze), UnsupportedFormatError, 'FORMAT_UNSUPPORTED');
  });

  it.each([
    [32, 'COMPLEX64'],
    [2304, 'RGBA32'],
    [9999, '9999'],
  ])('datatype %i → UnsupportedFormatError naming it', (code, name) => {
    const f = patch(goodFile(), (v) => v.setInt16(70, code, true));
    const err = expectThrows(() => readNifti(f), UnsupportedFormatError, 'FORMAT_UNSUPPORTED');
    expect(err.message).toContain(String(code));
    expect(err.message).toContain(name);
    expect(err.where).toContain('datatype');
  });

  it('vox_offset 0 is read as 352 (like nibabel); inside the header → FormatError', () => {
    const zero = readNifti(patch(goodFile(), (v) => v.setFloat32(108, 0, true)));
    expect(Array.from(zero.volume.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    const err = expectThrows(() => readNifti(patch(goodFile(), (v) => v.setFloat32(108, 100, true)), 'o.nii'), FormatError, 'FORMAT_INVALID');
    expect(err.where).toBe('o.nii: vox_offset');
  });

  it('corrupt or cut gzip → FormatError', () => {
    const gz = gzipSync(goodFile());
    const cut = gz.slice(0, gz.length >> 1);
    expectThrows(() => readNifti(cut, 'a.nii.gz'), FormatError, 'FORMAT_INVALID');
    const flipped = gz.slice();
    for (let i = 12; i < 40; i++) flipped[i] ^= 0x5a;
    expectThrows(() => readNifti(flipped, 'a.nii.gz'), FormatError, 'FORMAT_INVALID');
  });

  it('a header-only gzip of valid NIfTI still detects missing data', () => {
    expectThrows(() => readNifti(gzipSync(goodFile().slice(0, 352))), TruncatedError, 'TRUNCATED');
  });
});
