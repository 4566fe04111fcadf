/**
 * TIFF stack reader: classic TIFF and BigTIFF, either byte order, one IFD per z slice.
 *
 * Supported: 8/16/32/64-bit unsigned and signed integers, 32/64-bit floats (SampleFormat 1/2/3;
 * 64-bit integers are returned as Float64Array), compression none / LZW / Deflate (8, 32946) /
 * PackBits, horizontal-differencing predictor (2) for integer samples, strips and tiles, one sample
 * per pixel (PlanarConfiguration 1 or 2 is then the same thing).
 * Not supported (UnsupportedFormatError): RGB / multi-sample pixels, 1/4/12-bit samples, JPEG and
 * other compressions, the floating-point predictor (3), OME files whose planes are spread over
 * several files.
 * Input bytes are never modified.
 */
import { ArgumentError, FormatError, TruncatedError, UnsupportedFormatError } from '../../errors';
import { identityAffine, type NumericArray, type Vec3 } from '../../volume';
import { decodeDeflate, decodeLzw, decodePackBits } from './codecs';
import { TAG, TiffFile, type Ifd } from './ifd';
import { isImageJ, isOme, normalizeUnit, omePlaneIndex, parseImageJ, parseOme } from './metadata';
import type { TiffCompressionName, TiffSampleType, TiffStack, TiffStackKind } from './types';

/** Largest stack this reader decodes (voxels), like the NIfTI reader. */
export const MAX_TIFF_VOXELS = 2 ** 31;
/** Largest decoded size in bytes (typed arrays in Node 20 stop at 4 GiB). */
export const MAX_TIFF_BYTES = 2 ** 32 - 1;

const COMPRESSION: Record<number, TiffCompressionName> = { 1: 'none', 5: 'lzw', 8: 'deflate', 32946: 'deflate', 32773: 'packbits' };
/** Upper bound on decompressed/compressed size for each codec (used to reject absurd headers before allocating). */
const MAX_RATIO: Record<TiffCompressionName, number> = { none: 1, packbits: 64, lzw: 4096, deflate: 1100 };

interface Layout {
  width: number;
  height: number;
  bytesPerSample: number;
  sampleType: TiffSampleType;
  compression: TiffCompressionName;
  predictor: 1 | 2;
}

interface Segment {
  offset: number;
  count: number;
  /** Destination rectangle inside the plane. */
  x0: number;
  y0: number;
  /** Decoded segment width/height (tile size, or width × rows of the strip). */
  w: number;
  h: number;
  tile: boolean;
}

function sampleTypeOf(bits: number, format: number, where: string): TiffSampleType {
  const hint = 'Convert the image to 8/16/32-bit integer or 32-bit float in Fiji (Image > Type) and save again.';
  if (format === 1 || format === 4) {
    const t = ({ 8: 'uint8', 16: 'uint16', 32: 'uint32', 64: 'uint64' } as const)[bits as 8 | 16 | 32 | 64];
    if (t) return t;
  } else if (format === 2) {
    const t = ({ 8: 'int8', 16: 'int16', 32: 'int32', 64: 'int64' } as const)[bits as 8 | 16 | 32 | 64];
    if (t) return t;
  } else if (format === 3) {
    if (bits === 32) return 'float32';
    if (bits === 64) return 'float64';
    throw new UnsupportedFormatError(`${bits}-bit floating-point samples are not supported`, { where, hint });
  } else {
    throw new UnsupportedFormatError(`SampleFormat ${format} is not supported (1 uint, 2 int, 3 float)`, { where, hint });
  }
  throw new UnsupportedFormatError(`${bits}-bit samples are not supported (8, 16, 32 or 64 bits)`, { where, hint });
}

function readLayout(file: TiffFile, ifd: Ifd, where: string): Layout {
  const w = `${where}: IFD #${ifd.index}`;
  const width = file.number(ifd, TAG.ImageWidth);
  const height = file.number(ifd, TAG.ImageLength);
  if (width === undefined || height === undefined) {
    throw new FormatError(`IFD lacks ${width === undefined ? 'ImageWidth (256)' : 'ImageLength (257)'}`, { where: w, hint: 'The file is corrupt; re-export it.' });
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new FormatError(`image size ${width}×${height} is not positive`, { where: `${w}, tags 256/257`, hint: 'The file is corrupt; re-export it.' });
  }
  const spp = file.number(ifd, TAG.SamplesPerPixel, 1)!;
  if (spp !== 1) {
    throw new UnsupportedFormatError(`${spp} samples per pixel (RGB or multi-sample pixels) are not supported`, {
      where: `${w}, tag 277`,
      hint: 'Split the channels (Fiji: Image > Color > Split Channels) and upload one single-channel stack.',
    });
  }
  const bits = file.number(ifd, TAG.BitsPerSample, 1)!;
  const format = file.number(ifd, TAG.SampleFormat, 1)!;
  const sampleType = sampleTypeOf(bits, format, `${w}, tags 258/339`);
  const code = file.number(ifd, TAG.Compression, 1)!;
  const compression = COMPRESSION[code];
  if (compression === undefined) {
    throw new UnsupportedFormatError(`compression ${code} is not supported (none, LZW, Deflate, PackBits are)`, {
      where: `${w}, tag 259`,
      hint: 'Re-save the stack uncompressed or with LZW/Deflate (Fiji: File > Save As > Tiff; tifffile: compression="zlib").',
    });
  }
  const pred = file.number(ifd, TAG.Predictor, 1)!;
  if (pred !== 1 && pred !== 2) {
    throw new UnsupportedFormatError(`predictor ${pred} is not supported (1 none, 2 horizontal differencing are)`, {
      where: `${w}, tag 317`,
      hint: 'Re-save without the floating-point predictor (tifffile: predictor=False).',
    });
  }
  if (pred === 2 && bits === 64) {
    throw new UnsupportedFormatError('horizontal differencing on 64-bit samples is not supported', { where: `${w}, tag 317`, hint: 'Re-save without a predictor.' });
  }
  return { width, height, bytesPerSample: bits / 8, sampleType, compression, predictor: pred };
}

function sameLayout(a: Layout, b: Layout): boolean {
  return a.width === b.width && a.height === b.height && a.sampleType === b.sampleType;
}

/** Lists and validates the strips or tiles of one page against the bytes present. */
function planSegments(file: TiffFile, ifd: Ifd, L: Layout, where: string): Segment[] {
  const w = `${where}: IFD #${ifd.index}`;
  const tiled = ifd.entries.has(TAG.TileWidth) || ifd.entries.has(TAG.TileOffsets);
  const segs: Segment[] = [];
  let offsets: number[] | undefined;
  let counts: number[] | undefined;
  const what = tiled ? 'tile' : 'strip';
  if (tiled) {
    const tw = file.number(ifd, TAG.TileWidth);
    const th = file.number(ifd, TAG.TileLength);
    if (!tw || !th || !Number.isInteger(tw) || !Number.isInteger(th) || tw < 1 || th < 1) {
      throw new FormatError(`tile size ${tw}×${th} is missing or not positive`, { where: `${w}, tags 322/323`, hint: 'The file is corrupt; re-export it.' });
    }
    offsets = file.numbers(ifd, TAG.TileOffsets);
    counts = file.numbers(ifd, TAG.TileByteCounts);
    const across = Math.ceil(L.width / tw);
    const down = Math.ceil(L.height / th);
    const n = across * down;
    if (!offsets || offsets.length < n) {
      throw new FormatError(`page needs ${n} tiles of ${tw}×${th}, TileOffsets lists ${offsets?.length ?? 0}`, { where: `${w}, tag 324`, hint: 'The file is corrupt; re-export it.' });
    }
    for (let ty = 0; ty < down; ty++) for (let tx = 0; tx < across; tx++) segs.push({ offset: offsets[ty * across + tx], count: 0, x0: tx * tw, y0: ty * th, w: tw, h: th, tile: true });
  } else {
    let rps = file.number(ifd, TAG.RowsPerStrip, L.height)!;
    if (!Number.isInteger(rps) || rps < 1 || rps > L.height) rps = L.height; // 2^32-1 means "one strip"
    offsets = file.numbers(ifd, TAG.StripOffsets);
    counts = file.numbers(ifd, TAG.StripByteCounts);
    const n = Math.ceil(L.height / rps);
    if (!offsets || offsets.length < n) {
      throw new FormatError(`page needs ${n} strips of ${rps} rows, StripOffsets lists ${offsets?.length ?? 0}`, { where: `${w}, tag 273`, hint: 'The file is corrupt; re-export it.' });
    }
    for (let s = 0; s < n; s++) segs.push({ offset: offsets[s], count: 0, x0: 0, y0: s * rps, w: L.width, h: Math.min(rps, L.height - s * rps), tile: false });
  }
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const expected = s.w * s.h * L.bytesPerSample;
    // Uncompressed: read exactly what the image needs (some writers store wrong byte counts).
    if (L.compression === 'none') s.count = expected;
    else if (counts && counts.length > i) s.count = counts[i];
    else throw new FormatError(`${what} byte counts are missing for a compressed image`, { where: `${w}, tag ${tiled ? 325 : 279}`, hint: 'The file is corrupt; re-export it.' });
    const need = s.count;
    if (s.offset + need > file.bytes.length) {
      throw new TruncatedError(`${what} ${i} at bytes ${s.offset}..${s.offset + need} lies beyond the end of the file (${file.bytes.length} bytes)`, {
        where: `${w}, ${what} ${i}`,
        hint: 'The file was cut short or its offsets are corrupt; upload the whole file.',
      });
    }
    if (expected > s.count * MAX_RATIO[L.compression] + 1024) {
      throw new FormatError(`${L.compression} ${what} ${i} of ${s.count} bytes cannot decode to the ${expected} bytes the header announces`, {
        where: `${w}, ${what} ${i}`,
        hint: 'The file is corrupt; re-export it.',
      });
    }
  }
  return segs;
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) {
    for (let a = i, z = i + size - 1; a < z; a++, z--) {
      const t = b[a];
      b[a] = b[z];
      b[z] = t;
    }
  }
}

/** Undoes horizontal differencing on host-order samples, row by row (wrapping integer arithmetic). */
function undoPredictor(b: Uint8Array, bytesPerSample: number, rowLen: number, rows: number): void {
  const view =
    bytesPerSample === 1 ? b : bytesPerSample === 2 ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2) : new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  for (let r = 0; r < rows; r++) {
    const o = r * rowLen;
    for (let i = 1; i < rowLen; i++) view[o + i] += view[o + i - 1];
  }
}

/** Decodes one segment into `dst` (exactly `dst.length` bytes). */
function decodeSegment(file: TiffFile, s: Segment, L: Layout, dst: Uint8Array, where: string): void {
  const src = file.bytes.subarray(s.offset, Math.min(s.offset + s.count, file.bytes.length));
  let got: number;
  switch (L.compression) {
    case 'none':
      got = Math.min(src.length, dst.length);
      dst.set(src.subarray(0, got));
      break;
    case 'packbits':
      got = decodePackBits(src, dst);
      break;
    case 'lzw':
      got = decodeLzw(src, dst, where);
      break;
    case 'deflate': {
      const inflated = decodeDeflate(src, where);
      got = Math.min(inflated.length, dst.length);
      dst.set(inflated.subarray(0, got));
      break;
    }
  }
  if (got < dst.length) {
    throw new FormatError(`${L.compression} data decodes to ${got} bytes, ${dst.length} expected`, { where, hint: 'The compressed data is corrupt or cut short; re-export the file.' });
  }
  if (!file.littleEndian && L.bytesPerSample > 1) swapBytes(dst, L.bytesPerSample);
  if (L.predictor === 2) undoPredictor(dst, L.bytesPerSample, s.w, s.h);
}

/** Decodes one page into `plane` (width × height samples, host byte order). */
function decodePage(file: TiffFile, segs: Segment[], L: Layout, plane: Uint8Array, where: string): void {
  const bps = L.bytesPerSample;
  const rowBytes = L.width * bps;
  let tmp: Uint8Array | undefined;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const w = `${where}, ${s.tile ? 'tile' : 'strip'} ${i} at byte ${s.offset}`;
    if (!s.tile) {
      decodeSegment(file, s, L, plane.subarray(s.y0 * rowBytes, (s.y0 + s.h) * rowBytes), w);
      continue;
    }
    const tileBytes = s.w * s.h * bps;
    if (!tmp || tmp.length !== tileBytes) tmp = new Uint8Array(tileBytes);
    decodeSegment(file, s, L, tmp, w);
    const cw = Math.min(s.w, L.width - s.x0) * bps;
    const ch = Math.min(s.h, L.height - s.y0);
    for (let r = 0; r < ch; r++) {
      const from = r * s.w * bps;
      plane.set(tmp.subarray(from, from + cw), (s.y0 + r) * rowBytes + s.x0 * bps);
    }
  }
}

function typedView(buf: ArrayBuffer, t: TiffSampleType): NumericArray {
  switch (t) {
    case 'uint8': return new Uint8Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'uint16': return new Uint16Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'uint32': return new Uint32Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'uint64':
    case 'int64': {
      const big = t === 'int64' ? new BigInt64Array(buf) : new BigUint64Array(buf);
      const out = new Float64Array(big.length);
      for (let i = 0; i < big.length; i++) out[i] = Number(big[i]);
      return out;
    }
  }
}

interface StackPlan {
  kind: TiffStackKind;
  channels: number;
  slices: number;
  frames: number;
  /** IFD index (into the image pages) of each z plane, or null for ImageJ contiguous data. */
  planes: number[] | null;
  nz: number;
  spacing: Vec3;
  units?: string;
}

function resolution(file: TiffFile, ifd: Ifd, tag: number): number | undefined {
  const r = file.number(ifd, tag);
  return r !== undefined && Number.isFinite(r) && r > 0 ? 1 / r : undefined;
}

function planStack(file: TiffFile, pages: Ifd[], desc: string | undefined, L: Layout, where: string): StackPlan {
  const first = pages[0];
  if (isImageJ(desc)) {
    const ij = parseImageJ(desc, where);
    const timeAsZ = ij.slices === 1 && ij.frames > 1;
    const nz = timeAsZ ? ij.frames : ij.slices;
    const sx = resolution(file, first, TAG.XResolution) ?? 1;
    const sy = resolution(file, first, TAG.YResolution) ?? sx;
    const unit = normalizeUnit(ij.unit);
    let planes: number[] | null;
    if (pages.length >= ij.images) {
      planes = Array.from({ length: nz }, (_, z) => ij.channels * z);
    } else if (pages.length === 1 || L.compression === 'none') {
      planes = null; // ImageJ wrote one IFD and the planes as one contiguous block
      if (L.compression !== 'none') {
        throw new UnsupportedFormatError(`ImageJ stack of ${ij.images} images has only ${pages.length} IFDs and compressed data`, {
          where: `${where}: ImageDescription`,
          hint: 'Save the stack again from Fiji (uncompressed) or with tifffile.',
        });
      }
    } else {
      throw new FormatError(`ImageJ description announces ${ij.images} images but the file has ${pages.length} IFDs`, {
        where: `${where}: ImageDescription`,
        hint: 'The file is incomplete or corrupt; save the stack again from Fiji.',
      });
    }
    return {
      kind: 'imagej',
      channels: ij.channels,
      slices: ij.slices,
      frames: ij.frames,
      planes,
      nz,
      spacing: [sx, sy, timeAsZ ? 1 : (ij.spacing ?? 1)],
      ...(unit ? { units: unit } : {}),
    };
  }
  if (isOme(desc)) {
    const ome = parseOme(desc, where);
    if (ome.sizeX !== L.width || ome.sizeY !== L.height) {
      throw new FormatError(`OME Pixels size ${ome.sizeX}×${ome.sizeY} differs from the first page's ${L.width}×${L.height}`, {
        where: `${where}: ImageDescription <Pixels>`,
        hint: 'The OME metadata does not describe this file; re-export it.',
      });
    }
    const needed = ome.sizeZ * ome.sizeC * ome.sizeT;
    if (pages.length < needed) {
      throw new UnsupportedFormatError(`OME metadata announces ${needed} planes (Z ${ome.sizeZ} × C ${ome.sizeC} × T ${ome.sizeT}) but this file holds ${pages.length}`, {
        where: `${where}: ImageDescription <Pixels>`,
        hint: 'Multi-file OME-TIFF datasets are not supported; export the series as one OME-TIFF file.',
      });
    }
    const timeAsZ = ome.sizeZ === 1 && ome.sizeT > 1;
    const nz = timeAsZ ? ome.sizeT : ome.sizeZ;
    const planes = Array.from({ length: nz }, (_, k) => (timeAsZ ? omePlaneIndex(ome, 0, 0, k) : omePlaneIndex(ome, k, 0, 0)));
    return {
      kind: 'ome',
      channels: ome.sizeC,
      slices: ome.sizeZ,
      frames: ome.sizeT,
      planes,
      nz,
      spacing: [ome.physical[0] ?? 1, ome.physical[1] ?? ome.physical[0] ?? 1, timeAsZ ? 1 : (ome.physical[2] ?? 1)],
      ...(ome.unit ? { units: ome.unit } : {}),
    };
  }
  return { kind: 'plain', channels: 1, slices: pages.length, frames: 1, planes: pages.map((_, i) => i), nz: pages.length, spacing: [1, 1, 1] };
}

/**
 * Reads a TIFF z-stack into a Volume: page k is z = k, x fastest, shape [width, height, planes].
 *
 * - ImageJ hyperstacks (`ImageJ=` description): planes are interleaved C, Z, T (channel fastest);
 *   channel 0 of frame 0 is decoded and `meta.channels/slices/frames` report the full size. A single-
 *   slice time series (slices=1, frames>1) is stacked along z instead (z spacing 1). Spacing is
 *   [1/XResolution, 1/YResolution, spacing=], units from `unit=` ('um' for micron/µm). Stacks written
 *   with one IFD and the planes in one contiguous block (ImageJ's large-file layout) are read too.
 * - OME-TIFF (`<OME` XML description): first Image, channel 0, time point 0, planes located through
 *   DimensionOrder; spacing from PhysicalSizeX/Y/Z (units converted to PhysicalSizeX's; default µm).
 * - Anything else: every page is a z slice; spacing [1, 1, 1], no units (TIFF resolution tags are
 *   usually print DPI and are ignored).
 * Thumbnail / reduced-resolution pages (NewSubfileType bit 0) are skipped. Every decoded page must have
 * the first page's size and sample type.
 *
 * Errors: FormatError (not a TIFF, corrupt structure, IFD loop), TruncatedError (anything pointing
 * past the end of the file), UnsupportedFormatError (compression, sample type, RGB, ...).
 *
 * @param where names the file in error messages (e.g. the upload's file name).
 */
export function readTiffStack(bytes: Uint8Array, where = 'tiff'): TiffStack {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError('readTiffStack expects a Uint8Array', { where, hint: 'Pass new Uint8Array(arrayBuffer) or a Node Buffer.' });
  }
  const file = new TiffFile(bytes, where);
  const all = file.readIfds();
  const images = all.filter((ifd) => ((file.number(ifd, TAG.NewSubfileType, 0) ?? 0) & 1) === 0);
  const pages = images.length > 0 ? images : all;
  const description = file.string(pages[0], TAG.ImageDescription);
  const L = readLayout(file, pages[0], where);
  const plan = planStack(file, pages, description, L, where);
  const [nx, ny, nz] = [L.width, L.height, plan.nz];
  const voxels = nx * ny * nz;
  const planeBytes = nx * ny * L.bytesPerSample;
  if (voxels > MAX_TIFF_VOXELS || voxels * L.bytesPerSample > MAX_TIFF_BYTES) {
    throw new FormatError(`stack ${nx}×${ny}×${nz} ${L.sampleType} is larger than this reader accepts (2^31 voxels, 4 GiB)`, {
      where: `${where}: IFD #0`,
      hint: 'Crop or downsample the stack before upload.',
    });
  }

  let out: Uint8Array;
  if (plan.planes === null) {
    const start = planSegments(file, pages[0], L, where)[0].offset;
    const end = start + nz * planeBytes;
    if (end > bytes.length) {
      throw new TruncatedError(`ImageJ contiguous data of ${nz} planes needs bytes ${start}..${end}, file has ${bytes.length}`, {
        where: `${where}: IFD #0 image data`,
        hint: 'The file was cut short; upload the whole file.',
      });
    }
    out = bytes.slice(start, end);
    if (!file.littleEndian && L.bytesPerSample > 1) swapBytes(out, L.bytesPerSample);
  } else {
    const planned = plan.planes.map((p) => {
      const ifd = pages[p];
      const Lp = p === 0 ? L : readLayout(file, ifd, where);
      if (!sameLayout(L, Lp)) {
        throw new FormatError(`page ${p} is ${Lp.width}×${Lp.height} ${Lp.sampleType}, page 0 is ${L.width}×${L.height} ${L.sampleType}`, {
          where: `${where}: IFD #${ifd.index}`,
          hint: 'All slices of a stack must share size and type; fix the stack in Fiji and save again.',
        });
      }
      return { ifd, L: Lp, segs: planSegments(file, ifd, Lp, where) };
    });
    out = new Uint8Array(voxels * L.bytesPerSample);
    planned.forEach((p, z) => decodePage(file, p.segs, p.L, out.subarray(z * planeBytes, (z + 1) * planeBytes), `${where}: IFD #${p.ifd.index}`));
  }

  const data = typedView(out.buffer as ArrayBuffer, L.sampleType);
  const spacing = plan.spacing;
  return {
    volume: { data, shape: [nx, ny, nz], spacing, affine: identityAffine(spacing), ...(plan.units ? { units: plan.units } : {}) },
    meta: {
      kind: plan.kind,
      channels: plan.channels,
      slices: plan.slices,
      frames: plan.frames,
      ...(description !== undefined ? { description } : {}),
      littleEndian: file.littleEndian,
      bigTiff: file.bigTiff,
      compression: L.compression,
      sampleType: L.sampleType,
      pages: pages.length,
    },
  };
}
