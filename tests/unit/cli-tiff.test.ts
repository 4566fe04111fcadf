/**
 * TIFF input at the CLI level (cli/io.ts, and the upload's conversion in server/services/studies.ts):
 * - each PlantSeg crop's .tif reads through `readImageFile` / `readLabelFile` to the same voxels,
 *   type and (µm) spacing as its sibling .nii.gz (converted by nibabel);
 * - a label map computed on a TIFF is written as a NIfTI with the TIFF's spacing on a diagonal
 *   affine, units µm, qform = sform code 1, equal to the sibling NIfTI's grid;
 * - `segment-cells` (classical) and `run-model` give the same labels for a .tif as for its .nii.gz,
 *   and `eval` scores against a .tif ground truth;
 * - nm spacing (a hand-built ImageJ TIFF) becomes µm in both the CLI reader and the upload;
 * - other extensions, multi-channel stacks and broken TIFFs give one typed error line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti } from '@/lib/formats/nifti';
import { instanceAP } from '@/lib/metrics';
import { main } from '@/cli/main';
import { labelNiftiFor, readImageFile, readLabelFile } from '@/cli/io';
import { buildModel } from '@/gpu-kernels/onnx/build-model';
import { tiffToNifti } from '@/server/services/studies';
import type { Vec3 } from '@/lib/volume';

const root = new URL('../../', import.meta.url).pathname;
const PLANTSEG = join(root, '../shared/data/cells/plantseg');
const CROPS = ['1136_mini_raw', '1136_mini_label', 'sample_ovule_raw', 'sample_ovule_label'];

async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Voxels where two equally long arrays differ (cheaper than toEqual on half a million numbers). */
function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

const diag = (s: Vec3) => [
  [s[0], 0, 0, 0],
  [0, s[1], 0, 0],
  [0, 0, s[2], 0],
  [0, 0, 0, 1],
];

/**
 * A little-endian, uncompressed uint8 ImageJ stack written from the TIFF 6.0 spec (one IFD and one
 * strip per slice): pixel width 1/xres[0]·xres[1] from XResolution, z step `spacing=`, `unit=`.
 */
function imagejTiff(shape: Vec3, data: Uint8Array, desc: string, xres: [number, number]): Uint8Array {
  const [nx, ny, nz] = shape;
  const descBytes = new TextEncoder().encode(`${desc}\0`);
  const ENTRIES = 13;
  const ifdSize = 2 + ENTRIES * 12 + 4;
  // layout: header | description | rational | per slice: IFD, pixels
  const descAt = 8;
  const ratAt = descAt + descBytes.length + (descBytes.length % 2);
  let at = ratAt + 8;
  const ifdAt: number[] = [];
  const pixAt: number[] = [];
  for (let z = 0; z < nz; z++) {
    ifdAt.push(at);
    at += ifdSize;
    pixAt.push(at);
    at += nx * ny + ((nx * ny) % 2);
  }
  const buf = new Uint8Array(at);
  const dv = new DataView(buf.buffer);
  buf.set([0x49, 0x49], 0);
  dv.setUint16(2, 42, true);
  dv.setUint32(4, ifdAt[0], true);
  buf.set(descBytes, descAt);
  dv.setUint32(ratAt, xres[0], true);
  dv.setUint32(ratAt + 4, xres[1], true);
  for (let z = 0; z < nz; z++) {
    let o = ifdAt[z];
    dv.setUint16(o, ENTRIES, true);
    o += 2;
    const entry = (tag: number, type: number, count: number, value: number) => {
      dv.setUint16(o, tag, true);
      dv.setUint16(o + 2, type, true);
      dv.setUint32(o + 4, count, true);
      if (type === 3 && count === 1) dv.setUint16(o + 8, value, true);
      else dv.setUint32(o + 8, value, true);
      o += 12;
    };
    entry(256, 4, 1, nx); // ImageWidth
    entry(257, 4, 1, ny); // ImageLength
    entry(258, 3, 1, 8); // BitsPerSample
    entry(259, 3, 1, 1); // Compression: none
    entry(262, 3, 1, 1); // Photometric: BlackIsZero
    entry(270, 2, descBytes.length, descAt); // ImageDescription
    entry(273, 4, 1, pixAt[z]); // StripOffsets
    entry(277, 3, 1, 1); // SamplesPerPixel
    entry(278, 4, 1, ny); // RowsPerStrip
    entry(279, 4, 1, nx * ny); // StripByteCounts
    entry(282, 5, 1, ratAt); // XResolution
    entry(283, 5, 1, ratAt); // YResolution
    entry(296, 3, 1, 1); // ResolutionUnit: none
    dv.setUint32(o, z + 1 < nz ? ifdAt[z + 1] : 0, true);
    buf.set(data.subarray(z * nx * ny, (z + 1) * nx * ny), pixAt[z]);
  }
  return buf;
}

describe.each(CROPS)('%s: .tif and .nii.gz through the CLI reader', (name) => {
  it('same voxels, type and µm spacing; TIFF affine = diag(spacing)', () => {
    const tif = readImageFile(join(PLANTSEG, `${name}.tif`));
    const nii = readImageFile(join(PLANTSEG, `${name}.nii.gz`));
    expect(tif.format).toBe('tiff');
    expect(tif.header).toBeNull();
    expect(tif.tiff?.kind).toBe('imagej');
    expect(nii.format).toBe('nifti');
    expect(tif.volume.shape).toEqual(nii.volume.shape);
    expect(tif.volume.data.constructor).toBe(nii.volume.data.constructor);
    expect(differing(tif.volume.data, nii.volume.data)).toBe(0);
    tif.volume.spacing.forEach((s, i) => expect(s).toBeCloseTo(nii.volume.spacing[i], 7));
    expect(tif.volume.units).toBe('um');
    expect(tif.volume.affine).toEqual(diag(tif.volume.spacing));
  });
});

describe('label NIfTI for a TIFF input', () => {
  it("carries the TIFF's spacing on a diagonal affine, µm, and matches the sibling NIfTI's grid", () => {
    const tifPath = join(PLANTSEG, 'sample_ovule_label.tif');
    const niiPath = join(PLANTSEG, 'sample_ovule_label.nii.gz');
    const img = readImageFile(tifPath);
    const labels = readLabelFile(tifPath);
    expect(differing(labels.data, readLabelFile(niiPath).data)).toBe(0);
    const out = readNifti(labelNiftiFor(img, labels.data, { gzip: true }));
    const sibling = readNifti(new Uint8Array(readFileSync(niiPath)));
    expect(out.volume.shape).toEqual([128, 128, 32]);
    expect(out.header.datatypeName).toBe('uint16');
    expect(out.header.qform_code).toBe(1);
    expect(out.header.sform_code).toBe(1);
    expect(out.header.xyzt_units & 7).toBe(3); // µm
    expect(out.volume.units).toBe('um');
    // pixdim and the sform are float32 in NIfTI-1: 0.15 µm → 0.15000000596…, like nibabel's file.
    expect(out.volume.spacing).toEqual(sibling.volume.spacing);
    expect(out.volume.affine).toEqual(sibling.volume.affine);
    expect(out.volume.affine).toEqual(diag(out.volume.spacing as Vec3));
    expect(differing(out.volume.data, labels.data)).toBe(0);
  });

  it('nm spacing becomes µm in the CLI reader and in the upload conversion', () => {
    const shape: Vec3 = [5, 4, 3];
    const data = Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 256);
    // pixel width 1 / (1/250) = 250 nm; z step 400 nm
    const bytes = imagejTiff(shape, data, 'ImageJ=1.54f\nimages=3\nslices=3\nunit=nm\nspacing=400\nloop=false\n', [1, 250]);
    const dir = mkdtempSync(join(tmpdir(), 'tessera-tiff-nm-'));
    try {
      const path = join(dir, 'nm.tif');
      writeFileSync(path, bytes);
      const img = readImageFile(path);
      expect(img.volume.shape).toEqual(shape);
      expect(Array.from(img.volume.data)).toEqual(Array.from(data));
      img.volume.spacing.forEach((s, i) => expect(s).toBeCloseTo([0.25, 0.25, 0.4][i], 12));
      expect(img.volume.units).toBe('um');
      expect(img.volume.affine).toEqual(diag(img.volume.spacing));

      const up = tiffToNifti(bytes, 'nm.tif');
      expect(up.image.volume.units).toBe('um');
      up.image.volume.spacing.forEach((s, i) => expect(s).toBeCloseTo([0.25, 0.25, 0.4][i], 6));
      expect(Array.from(up.image.volume.data)).toEqual(Array.from(data));
      expect(up.image.header.datatypeName).toBe('uint8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CLI commands on TIFF input', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-tiff-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('segment-cells (classical) gives the same labels for the .tif as for the .nii.gz; eval takes a .tif ground truth', async () => {
    const outs: Record<string, string> = {};
    const reports: Record<string, { inputFormat: string; instanceCount: number; spacing: number[] }> = {};
    for (const ext of ['tif', 'nii.gz']) {
      outs[ext] = join(dir, `ovule-${ext.replace('.', '-')}.nii.gz`);
      const json = join(dir, `ovule-${ext.replace('.', '-')}.json`);
      const r = await inProcess('segment-cells', join(PLANTSEG, `sample_ovule_raw.${ext}`), '--out', outs[ext], '--device', 'cpu', '--json', json);
      expect(r.code, r.err).toBe(0);
      reports[ext] = JSON.parse(readFileSync(json, 'utf8'));
    }
    expect(reports.tif.inputFormat).toBe('tiff');
    expect(reports['nii.gz'].inputFormat).toBe('nifti');
    expect(reports.tif.instanceCount).toBeGreaterThan(3);
    const a = readNifti(new Uint8Array(readFileSync(outs.tif)));
    const b = readNifti(new Uint8Array(readFileSync(outs['nii.gz'])));
    expect(a.volume.shape).toEqual(b.volume.shape);
    expect(a.volume.affine).toEqual(b.volume.affine);
    expect(a.volume.units).toBe('um');
    // Same voxels; the spacings differ only in the NIfTI's float32 rounding (0.15 → 0.15000000596),
    // which can move a watershed tie at a handful of voxels: same instances, near-identical labels.
    expect(reports.tif.instanceCount).toBe(reports['nii.gz'].instanceCount);
    const la = Uint32Array.from(a.volume.data as ArrayLike<number>);
    const lb = Uint32Array.from(b.volume.data as ArrayLike<number>);
    expect(differing(la, lb) / la.length).toBeLessThan(1e-3);
    expect(instanceAP(la, lb).ap75).toBe(1);

    const e = await inProcess('eval', '--pred', outs.tif, '--gt', join(PLANTSEG, 'sample_ovule_label.tif'));
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/\(pred \d+, gt 50, TP@0\.5 \d+\)/);
  });

  it('run-model on a .tif: class map = (min-max normalised voxel > 0.5), on the TIFF grid', async () => {
    // ch0 = 0.5, ch1 = x: argmax is class 1 exactly where the normalised voxel exceeds 0.5.
    const model = join(dir, 'half.onnx');
    writeFileSync(model, buildModel({
      inputs: [{ name: 'x', dims: [1, 1, 'd', 'h', 'w'] }],
      outputs: [{ name: 'y', dims: [1, 2, 'd', 'h', 'w'] }],
      initializers: [{ name: 'W', dims: [2, 1, 1, 1, 1], data: [0, 1] }, { name: 'B', dims: [2], data: [0.5, 0] }],
      nodes: [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { kernel_shape: [1, 1, 1] } }],
    }));
    const input = join(PLANTSEG, 'sample_ovule_raw.tif');
    const out = join(dir, 'half.nii.gz');
    const r = await inProcess('run-model', '--model', model, input, '--out', out, '--device', 'cpu');
    expect(r.code, r.err).toBe(0);
    const raw = readImageFile(input).volume.data;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of raw) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const want = Array.from(raw, (v) => ((v - lo) / (hi - lo) > 0.5 ? 1 : 0));
    const got = readNifti(new Uint8Array(readFileSync(out)));
    expect(differing(got.volume.data, want)).toBe(0);
    expect(new Set(want).size).toBe(2);
    const sibling = readNifti(new Uint8Array(readFileSync(join(PLANTSEG, 'sample_ovule_raw.nii.gz'))));
    expect(got.volume.affine).toEqual(sibling.volume.affine);
  });

  it('other extensions, multi-channel and broken TIFFs: one error line naming the file', async () => {
    const png = join(dir, 'cells.png');
    writeFileSync(png, 'not an image');
    const fixtures = join(root, 'tests/fixtures/tiff');
    const cases: [string[], number, RegExp][] = [
      [['segment-cells', png, '--out', join(dir, 'o.nii.gz')], 2, /^error: unsupported input format '\.png' \(.*cells\.png\)\. Give a NIfTI file \(\.nii, \.nii\.gz\) or a TIFF stack \(\.tif, \.tiff\)\.$/],
      [['run-model', '--model', join(dir, 'half.onnx'), png, '--out', join(dir, 'o.nii.gz')], 2, /^error: unsupported input format '\.png'/],
      [['eval', '--pred', png, '--gt', join(PLANTSEG, 'sample_ovule_label.tif')], 2, /^error: unsupported input format '\.png'/],
      [['segment-cells', join(fixtures, 'imagej_2ch_uint8.tif'), '--out', join(dir, 'o.nii.gz')], 1, /^error: the TIFF has 2 channels; a volume holds one channel \(.*imagej_2ch_uint8\.tif\)\. Split the channels/],
      [['segment-cells', join(fixtures, 'bad_truncated_data.tif'), '--out', join(dir, 'o.nii.gz')], 1, /^error: .*\(.*bad_truncated_data\.tif/],
      [['segment-cells', join(fixtures, 'bad_magic.tif'), '--out', join(dir, 'o.nii.gz')], 1, /^error: not a TIFF file/],
    ];
    for (const [args, code, re] of cases) {
      const r = await inProcess(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(re);
    }
  });
});
