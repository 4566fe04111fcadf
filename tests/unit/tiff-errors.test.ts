/**
 * Malformed TIFFs → the right typed error, with where and hint; never a hang or a RangeError.
 * Files: tests/fixtures/tiff/bad_* (byte patches made by tests/goldens/tiff_refs.py at offsets
 * tifffile reports), plus in-memory mutations here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, TesseraError, TruncatedError, UnsupportedFormatError } from '@/lib/errors';
import { readTiffStack } from '@/lib/formats/tiff';
import refs from '../goldens/tiff_refs.json';

const CLASSES = { FormatError, TruncatedError, UnsupportedFormatError } as const;
const malformed = (refs as unknown as { malformed: { file: string; error: keyof typeof CLASSES }[] }).malformed;

function caught(f: () => unknown): TesseraError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    return e as TesseraError;
  }
  throw new Error('expected an error');
}

describe.each(malformed)('$file', ({ file, error }) => {
  it(`throws ${error} with where and hint`, () => {
    const e = caught(() => readTiffStack(new Uint8Array(readFileSync(file)), file));
    expect(e).toBeInstanceOf(CLASSES[error]);
    expect(e.constructor.name).toBe(error);
    expect(e.where).toContain(file);
    expect(e.hint).toBeTruthy();
  });
});

describe('specific messages', () => {
  const read = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/tiff/${name}`));

  it('IFD loop names the looping offset', () => {
    const e = caught(() => readTiffStack(read('bad_ifd_loop.tif'), 'loop.tif'));
    expect(e.message).toMatch(/loops back to byte \d+/);
    expect(e.where).toMatch(/IFD #2/);
  });

  it('unsupported compression names the code and the tag', () => {
    const e = caught(() => readTiffStack(read('bad_compression_jpeg.tif'), 'jpeg.tif'));
    expect(e.message).toMatch(/compression 7/);
    expect(e.where).toMatch(/IFD #0, tag 259/);
  });

  it('strip beyond EOF names the strip and the byte range', () => {
    const e = caught(() => readTiffStack(read('bad_strip_beyond_eof.tif'), 's.tif'));
    expect(e.message).toMatch(/strip 0 at bytes \d+\.\.\d+ lies beyond the end/);
  });

  it('every prefix of a valid file gives a typed error or (when only unused trailing bytes are cut) the same voxels', () => {
    for (const name of ['plain_uint16_be.tif', 'lzw_uint16.tif', 'tiles_deflate_int16_be.tif', 'bigtiff_float32_le.tif', 'imagej_contiguous_int16_be.tif']) {
      const full = read(name);
      const want = Array.from(readTiffStack(full, name).volume.data);
      let errors = 0;
      for (let n = 0; n < full.length - 1; n += Math.max(1, Math.floor(full.length / 97))) {
        try {
          expect(Array.from(readTiffStack(full.subarray(0, n), name).volume.data)).toEqual(want);
        } catch (e) {
          expect([FormatError, TruncatedError].some((c) => e instanceof c)).toBe(true);
          errors++;
        }
      }
      expect(errors).toBeGreaterThan(40);
    }
  });

  it('seeded random byte corruption gives a result or a typed error, never a hang or RangeError', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (const name of ['plain_int16_le.tif', 'lzw_uint8_runs.tif', 'packbits_uint16.tif', 'tiles_uint16_le.tif', 'ome_uint16.tif']) {
      const full = read(name);
      for (let k = 0; k < 60; k++) {
        const b = full.slice();
        for (let j = 0; j < 4; j++) b[Math.floor(rand() * Math.min(b.length, 400))] = Math.floor(rand() * 256);
        try {
          readTiffStack(b, name);
        } catch (e) {
          expect(e).toBeInstanceOf(TesseraError);
        }
      }
    }
  });

  it('IFD entry count larger than the file → TruncatedError', () => {
    const b = read('plain_uint8_le.tif').slice();
    const ifd = new DataView(b.buffer).getUint32(4, true);
    new DataView(b.buffer).setUint16(ifd, 60000, true);
    expect(() => readTiffStack(b, 'x')).toThrow(TruncatedError);
  });

  it('ImageJ description announcing more images than IFDs with compressed data → FormatError', () => {
    // lzw fixture has no ImageJ description; build one by text patching a valid ImageJ file instead
    const b = read('imagej_2ch_uint8.tif').slice();
    const text = new TextDecoder('latin1').decode(b);
    const at = text.indexOf('images=6');
    expect(at).toBeGreaterThan(0);
    b[at + 7] = '9'.charCodeAt(0); // images=9 ≠ channels×slices×frames = 6
    expect(() => readTiffStack(b, 'x')).toThrow(/images=9/);
  });

  it('RGB → UnsupportedFormatError telling how to split channels', () => {
    const b = read('plain_uint8_le.tif').slice();
    const dv = new DataView(b.buffer);
    const ifd = dv.getUint32(4, true);
    const n = dv.getUint16(ifd, true);
    let patched = false;
    for (let i = 0; i < n; i++) {
      const p = ifd + 2 + 12 * i;
      if (dv.getUint16(p, true) === 277) {
        dv.setUint16(p + 8, 3, true);
        patched = true;
      }
    }
    expect(patched).toBe(true);
    const e = caught(() => readTiffStack(b, 'rgb.tif'));
    expect(e).toBeInstanceOf(UnsupportedFormatError);
    expect(e.hint).toMatch(/Split Channels/);
  });

  it('non-Uint8Array input → ArgumentError', () => {
    expect(() => readTiffStack([1, 2, 3] as unknown as Uint8Array)).toThrow(ArgumentError);
  });
});
