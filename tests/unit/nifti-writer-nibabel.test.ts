/**
 * The writer's output checked by an independent reader: tests/fixtures/nifti/written_* were produced
 * by writeNifti from tests/fixtures/nifti/cases.ts and decoded by nibabel into
 * tests/goldens/nifti_checksums.json. Here the writer must reproduce those bytes exactly, and
 * nibabel's decoding must equal the input.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NIFTI_DATATYPES, type NiftiDatatypeName, type NiftiWriteInput, readNifti, writeNifti } from '@/lib/formats/nifti';
import { writtenCases } from '../fixtures/nifti/cases';
import goldens from '../goldens/nifti_checksums.json';

/** The datatype the writer should pick: explicit, RGB24 for 3 components, else from the array type. */
function expectedDatatype(input: NiftiWriteInput): NiftiDatatypeName {
  if (input.datatype) return input.datatype;
  if (input.components === 3) return 'rgb24';
  const d = input.volume.data;
  return d instanceof Int16Array ? 'int16' : d instanceof Float64Array ? 'float64' : d instanceof Uint8Array ? 'uint8' : 'float32';
}

const UNITS: Record<string, string | undefined> = { mm: 'mm', micron: 'um', meter: 'm', unknown: undefined };

describe.each(writtenCases)('$file', (c) => {
  const g = goldens.written.find((w) => w.file === c.file);

  it('is decoded by nibabel as the input says', () => {
    expect(g).toBeDefined();
    const { volume } = c.input;
    expect(g!.version).toBe(c.opts.version ?? 1);
    expect(g!.little_endian).toBe(c.opts.littleEndian ?? true);
    expect(g!.datatype).toBe(NIFTI_DATATYPES[expectedDatatype(c.input)].code);
    expect(g!.shape).toEqual(volume.shape);
    expect(g!.zooms).toEqual(volume.spacing);
    expect(UNITS[g!.spatial_units]).toBe(volume.units === 'um' ? 'um' : volume.units);
    expect(g!.scl_slope).toBe(c.input.scl_slope ?? 1);
    expect(g!.scl_inter).toBe(c.input.scl_inter ?? 0);
    expect(g!.values).toEqual(Array.from(volume.data));
    const affine = volume.affine ?? [
      [volume.spacing[0], 0, 0, 0],
      [0, volume.spacing[1], 0, 0],
      [0, 0, volume.spacing[2], 0],
      [0, 0, 0, 1],
    ];
    const tol = (c.opts.version ?? 1) === 1 ? 1e-6 : 1e-12;
    for (let r = 0; r < 4; r++) {
      for (let k = 0; k < 4; k++) {
        expect(Math.abs(g!.affine[r][k] - affine[r][k])).toBeLessThan(tol * 40);
        expect(Math.abs(g!.qform[r][k] - affine[r][k])).toBeLessThan(tol * 40);
      }
    }
  });

  it('is reproduced byte for byte by the current writer and read back by readNifti', () => {
    const onDisk = new Uint8Array(readFileSync(new URL(`../fixtures/nifti/${c.file}`, import.meta.url)));
    expect(writeNifti(c.input, c.opts)).toEqual(onDisk);
    const raw = readNifti(onDisk, c.file);
    expect(raw.volume.shape).toEqual(c.input.volume.shape);
  });
});
