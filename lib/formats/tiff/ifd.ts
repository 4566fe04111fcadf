/**
 * TIFF / BigTIFF header and IFD chain parsing. Tag values are decoded lazily, each checked against the
 * bytes present before anything is allocated.
 */
import { FormatError, TruncatedError } from '../../errors';

export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
} as const;

/** Bytes per value of each TIFF field type (1..18; unknown types are skipped as the spec says). */
const TYPE_SIZE: Record<number, number> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};

/** Upper bound on IFDs followed, whatever the file says (ImageJ stacks of 100k slices still fit). */
export const MAX_IFDS = 1_000_000;

export interface TiffEntry {
  tag: number;
  type: number;
  count: number;
  /** Absolute byte offset of the value (inline or pointed to). */
  valueOffset: number;
}

export interface Ifd {
  index: number;
  offset: number;
  entries: Map<number, TiffEntry>;
}

export class TiffFile {
  readonly view: DataView;
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  readonly firstIfd: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 8) {
      throw new TruncatedError(`file has ${bytes.length} bytes, a TIFF header needs 8`, {
        where: `${where}: header`,
        hint: 'The upload was cut short; upload the whole file.',
      });
    }
    const b0 = bytes[0];
    const b1 = bytes[1];
    if (b0 === 0x49 && b1 === 0x49) this.littleEndian = true;
    else if (b0 === 0x4d && b1 === 0x4d) this.littleEndian = false;
    else {
      throw new FormatError(`not a TIFF file: byte-order mark is 0x${hex2(b0)}${hex2(b1)}, expected 'II' or 'MM'`, {
        where: `${where}: byte 0`,
        hint: 'Upload a .tif/.tiff file (or pick the reader for this format).',
      });
    }
    const magic = this.view.getUint16(2, this.littleEndian);
    if (magic === 42) {
      this.bigTiff = false;
      this.firstIfd = this.view.getUint32(4, this.littleEndian);
    } else if (magic === 43) {
      this.bigTiff = true;
      if (bytes.length < 16) {
        throw new TruncatedError(`file has ${bytes.length} bytes, a BigTIFF header needs 16`, { where: `${where}: header`, hint: 'Upload the whole file.' });
      }
      const size = this.view.getUint16(4, this.littleEndian);
      const zero = this.view.getUint16(6, this.littleEndian);
      if (size !== 8 || zero !== 0) {
        throw new FormatError(`BigTIFF offset size is ${size} (reserved ${zero}), expected 8 and 0`, { where: `${where}: byte 4`, hint: 'The header is corrupt; re-export the file.' });
      }
      this.firstIfd = this.u64(8, `${where}: header`);
    } else {
      throw new FormatError(`not a TIFF file: version is ${magic}, expected 42 (TIFF) or 43 (BigTIFF)`, {
        where: `${where}: byte 2`,
        hint: 'Upload a .tif/.tiff file; the header is corrupt or this is another format.',
      });
    }
  }

  get headerSize(): number {
    return this.bigTiff ? 16 : 8;
  }

  u64(pos: number, where: string): number {
    const v = this.view.getBigUint64(pos, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FormatError(`64-bit value ${v} at byte ${pos} is too large`, { where, hint: 'The file is corrupt.' });
    }
    return Number(v);
  }

  /** Follows the IFD chain from the header; detects cycles and offsets outside the file. */
  readIfds(): Ifd[] {
    const ifds: Ifd[] = [];
    const seen = new Set<number>();
    let offset = this.firstIfd;
    let from = 'header';
    while (offset !== 0) {
      const where = `${this.where}: IFD #${ifds.length} at byte ${offset} (pointed to by ${from})`;
      if (ifds.length >= MAX_IFDS) {
        throw new FormatError(`more than ${MAX_IFDS} IFDs`, { where, hint: 'The IFD chain is corrupt or the stack is too large; split it.' });
      }
      if (seen.has(offset)) {
        throw new FormatError(`IFD chain loops back to byte ${offset}`, {
          where,
          hint: 'The file is corrupt (an IFD points to an earlier one); re-export it.',
        });
      }
      seen.add(offset);
      if (offset < this.headerSize) {
        throw new FormatError(`IFD offset ${offset} points inside the ${this.headerSize}-byte header`, {
          where,
          hint: 'The file is corrupt; re-export it.',
        });
      }
      const { ifd, next } = this.readIfd(offset, ifds.length, where);
      ifds.push(ifd);
      offset = next;
      from = `IFD #${ifds.length - 1}`;
    }
    if (ifds.length === 0) {
      throw new FormatError('TIFF has no IFD (first IFD offset is 0)', { where: `${this.where}: header`, hint: 'The file holds no image; re-export it.' });
    }
    return ifds;
  }

  private entryCount(offset: number, where: string): number {
    const countSize = this.bigTiff ? 8 : 2;
    if (offset + countSize > this.bytes.length) {
      throw new TruncatedError(`IFD at byte ${offset} lies beyond the end of the file (${this.bytes.length} bytes)`, {
        where,
        hint: 'The file was cut short or an IFD offset is corrupt; upload the whole file.',
      });
    }
    return this.bigTiff ? this.u64(offset, where) : this.view.getUint16(offset, this.littleEndian);
  }

  private readIfd(offset: number, index: number, where: string): { ifd: Ifd; next: number } {
    const n = this.entryCount(offset, where);
    const countSize = this.bigTiff ? 8 : 2;
    const entrySize = this.bigTiff ? 20 : 12;
    const ptrSize = this.bigTiff ? 8 : 4;
    const end = offset + countSize + n * entrySize + ptrSize;
    if (n === 0) {
      throw new FormatError('IFD has 0 entries', { where, hint: 'The file is corrupt; re-export it.' });
    }
    if (end > this.bytes.length) {
      throw new TruncatedError(`IFD with ${n} entries needs bytes ${offset}..${end}, file has ${this.bytes.length}`, {
        where,
        hint: 'The file was cut short or the IFD offset is corrupt; upload the whole file.',
      });
    }
    const entries = new Map<number, TiffEntry>();
    for (let i = 0; i < n; i++) {
      const p = offset + countSize + i * entrySize;
      const tag = this.view.getUint16(p, this.littleEndian);
      const type = this.view.getUint16(p + 2, this.littleEndian);
      const size = TYPE_SIZE[type];
      if (size === undefined) continue; // unknown field type: skip, as TIFF 6.0 says
      const count = this.bigTiff ? this.u64(p + 4, where) : this.view.getUint32(p + 4, this.littleEndian);
      const inline = count * size <= ptrSize;
      const valueOffset = inline ? p + (this.bigTiff ? 12 : 8) : this.bigTiff ? this.u64(p + 12, where) : this.view.getUint32(p + 8, this.littleEndian);
      entries.set(tag, { tag, type, count, valueOffset });
    }
    const nextPos = end - ptrSize;
    const next = this.bigTiff ? this.u64(nextPos, where) : this.view.getUint32(nextPos, this.littleEndian);
    return { ifd: { index, offset, entries }, next };
  }

  private checkValue(e: TiffEntry, ifd: Ifd): void {
    const need = e.valueOffset + e.count * TYPE_SIZE[e.type];
    if (need > this.bytes.length) {
      throw new TruncatedError(
        `tag ${e.tag} holds ${e.count} values at bytes ${e.valueOffset}..${need}, beyond the end of the file (${this.bytes.length} bytes)`,
        { where: `${this.where}: IFD #${ifd.index}, tag ${e.tag}`, hint: 'The file was cut short or the tag is corrupt; upload the whole file.' },
      );
    }
  }

  /** All numeric values of a tag (rationals as num/den), or undefined when absent. */
  numbers(ifd: Ifd, tag: number): number[] | undefined {
    const e = ifd.entries.get(tag);
    if (!e) return undefined;
    this.checkValue(e, ifd);
    const out = new Array<number>(e.count);
    const v = this.view;
    const le = this.littleEndian;
    const where = `${this.where}: IFD #${ifd.index}, tag ${tag}`;
    for (let i = 0; i < e.count; i++) {
      const p = e.valueOffset + i * TYPE_SIZE[e.type];
      switch (e.type) {
        case 1: case 2: case 7: out[i] = v.getUint8(p); break;
        case 6: out[i] = v.getInt8(p); break;
        case 3: out[i] = v.getUint16(p, le); break;
        case 8: out[i] = v.getInt16(p, le); break;
        case 4: case 13: out[i] = v.getUint32(p, le); break;
        case 9: out[i] = v.getInt32(p, le); break;
        case 5: out[i] = v.getUint32(p, le) / v.getUint32(p + 4, le); break;
        case 10: out[i] = v.getInt32(p, le) / v.getInt32(p + 4, le); break;
        case 11: out[i] = v.getFloat32(p, le); break;
        case 12: out[i] = v.getFloat64(p, le); break;
        case 16: case 18: out[i] = this.u64(p, where); break;
        case 17: out[i] = Number(v.getBigInt64(p, le)); break;
      }
    }
    return out;
  }

  /** First value of a tag, or `fallback` when absent. */
  number(ifd: Ifd, tag: number, fallback?: number): number | undefined {
    const e = ifd.entries.get(tag);
    if (!e || e.count === 0) return fallback;
    return this.numbers(ifd, tag)![0];
  }

  /** ASCII / UTF-8 tag value without the trailing NULs, or undefined when absent. */
  string(ifd: Ifd, tag: number): string | undefined {
    const e = ifd.entries.get(tag);
    if (!e) return undefined;
    this.checkValue(e, ifd);
    let end = e.valueOffset + e.count * TYPE_SIZE[e.type];
    while (end > e.valueOffset && this.bytes[end - 1] === 0) end--;
    return new TextDecoder('utf-8').decode(this.bytes.subarray(e.valueOffset, end));
  }
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
