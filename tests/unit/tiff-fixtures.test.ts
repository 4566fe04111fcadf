/**
 * TIFF stack reader against small fixtures written and checked by tifffile / Pillow+libtiff
 * (tests/goldens/tiff_refs.py → tiff_refs.json): both byte orders, every sample type, none / Deflate /
 * AdobeDeflate / PackBits / LZW, predictor 2, strips, tiles, BigTIFF, ImageJ and OME metadata.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeLzw, decodePackBits, readTiffStack } from '@/lib/formats/tiff';
import { validateVolume } from '@/lib/volume';
import refs from '../goldens/tiff_refs.json';

interface FixtureRef {
  file: string;
  shape: [number, number, number];
  dtype: string;
  kind: string;
  channels: number;
  slices: number;
  frames: number;
  spacing: [number, number, number];
  units: string | null;
  little_endian: boolean;
  bigtiff: boolean;
  compression: string;
  data: number[];
}

const ARRAY: Record<string, string> = {
  uint8: 'Uint8Array', int8: 'Int8Array', uint16: 'Uint16Array', int16: 'Int16Array', uint32: 'Uint32Array',
  int32: 'Int32Array', float32: 'Float32Array', float64: 'Float64Array',
};

const fixtures = (refs as unknown as { fixtures: FixtureRef[] }).fixtures;

describe.each(fixtures)('$file', (g) => {
  const bytes = new Uint8Array(readFileSync(g.file));
  const copy = bytes.slice();
  const { volume, meta } = readTiffStack(bytes, g.file);

  it('voxels equal the reference exactly (x fastest)', () => {
    expect(volume.shape).toEqual(g.shape);
    expect(volume.data.constructor.name).toBe(ARRAY[g.dtype]);
    expect(volume.data.length).toBe(g.data.length);
    expect(Array.from(volume.data)).toEqual(g.data);
    validateVolume(volume, g.file);
    expect(bytes).toEqual(copy); // input untouched
  });

  it('metadata: kind, layout, spacing, units', () => {
    expect(meta.kind).toBe(g.kind);
    expect(meta.channels).toBe(g.channels);
    expect(meta.slices).toBe(g.slices);
    expect(meta.frames).toBe(g.frames);
    expect(meta.littleEndian).toBe(g.little_endian);
    expect(meta.bigTiff).toBe(g.bigtiff);
    expect(meta.compression).toBe(g.compression);
    expect(meta.sampleType).toBe(g.dtype);
    g.spacing.forEach((s, i) => expect(volume.spacing[i]).toBeCloseTo(s, 6));
    expect(volume.units).toBe(g.units ?? undefined);
    expect(volume.affine![0][0]).toBe(volume.spacing[0]);
    expect(volume.affine![2][2]).toBe(volume.spacing[2]);
  });
});

describe('codecs on hand-written streams', () => {
  it('PackBits: literal run, repeat run, no-op 128 (TIFF 6.0 spec example)', () => {
    const src = Uint8Array.from([0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0x80, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa]);
    const out = new Uint8Array(24);
    expect(decodePackBits(src, out)).toBe(24);
    expect(Array.from(out)).toEqual([
      0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    ]);
  });

  it('PackBits stops at the output size and at the end of input', () => {
    expect(decodePackBits(Uint8Array.from([0x81, 7]), new Uint8Array(4))).toBe(4);
    expect(decodePackBits(Uint8Array.from([0x05, 1, 2]), new Uint8Array(6))).toBe(2);
  });

  it('LZW: Clear, literals, a KwKwK code, EOI (9-bit MSB-first)', () => {
    // codes: 256 (clear), 65 'A', 258 ('AA', not yet in table: KwKwK), 257 (EOI)
    const codes = [256, 65, 258, 257];
    let bits = '';
    for (const c of codes) bits += c.toString(2).padStart(9, '0');
    while (bits.length % 8) bits += '0';
    const src = Uint8Array.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    const out = new Uint8Array(3);
    expect(decodeLzw(src, out, 'test')).toBe(3);
    expect(Array.from(out)).toEqual([65, 65, 65]);
  });
});
