/**
 * LAS 1.0–1.3 (and LAZ, through laz-perf) via @loaders.gl/las, point formats 0–3.
 *
 * The public header is validated here first (signature, version, point format, record length, point
 * count against the bytes present) so a forged count never reaches the decoder's allocations; any
 * decoder failure becomes a FormatError. Positions have scale/offset applied and are stored as float32
 * (georeferenced coordinates lose sub-centimetre precision; subtract an origin upstream if needed).
 * Classification (bits 0–4) → labels.class; intensity → intensity; RGB (formats 2/3) → colors (16-bit colours
 * scaled to 8 bits).
 */
import { LASLoader } from '@loaders.gl/las';
import { FormatError, TesseraError, TruncatedError, UnsupportedFormatError } from '../../errors';
import { finishCloud, type PointCloud } from './types';

/** Fields of the LAS public header that the reader checks. */
export interface LasHeaderInfo {
  versionMajor: number;
  versionMinor: number;
  headerSize: number;
  pointOffset: number;
  pointFormat: number;
  compressed: boolean;
  recordLength: number;
  pointCount: number;
  scale: [number, number, number];
  offset: [number, number, number];
}

const MIN_RECORD = [20, 28, 26, 34];
/** LAZ: assume at most this many points per compressed byte when bounding a forged count. */
const MAX_LAZ_POINTS_PER_BYTE = 64;

export function parseLasHeader(bytes: Uint8Array, where = 'LAS'): LasHeaderInfo {
  if (bytes.length < 4 || bytes[0] !== 0x4c || bytes[1] !== 0x41 || bytes[2] !== 0x53 || bytes[3] !== 0x46) {
    throw new FormatError('not a LAS file: it does not start with "LASF"', { where: `${where}: byte 0`, hint: 'Give a .las or .laz file.' });
  }
  if (bytes.length < 227) {
    throw new TruncatedError(`the LAS public header needs 227 bytes, file has ${bytes.length}`, { where: `${where}: header`, hint: 'The file is cut short; re-export it.' });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const versionMajor = bytes[24];
  const versionMinor = bytes[25];
  if (versionMajor !== 1 || versionMinor > 3) {
    throw new UnsupportedFormatError(`LAS version ${versionMajor}.${versionMinor} is not supported (1.0–1.3 are)`, {
      where: `${where}: byte 24`, hint: 'Convert to LAS 1.2/1.3 with point format 0–3 (e.g. `pdal translate` or `las2las -set_version 1.2`).',
    });
  }
  const headerSize = dv.getUint16(94, true);
  const pointOffset = dv.getUint32(96, true);
  const formatByte = bytes[104];
  const compressed = (formatByte & 0xc0) !== 0;
  const pointFormat = formatByte & 0x3f;
  const recordLength = dv.getUint16(105, true);
  const pointCount = dv.getUint32(107, true);
  const scale: [number, number, number] = [dv.getFloat64(131, true), dv.getFloat64(139, true), dv.getFloat64(147, true)];
  const offset: [number, number, number] = [dv.getFloat64(155, true), dv.getFloat64(163, true), dv.getFloat64(171, true)];
  if ((formatByte & 0xc0) === 0xc0) {
    throw new UnsupportedFormatError('old-style LAZ compression is not supported', { where: `${where}: byte 104`, hint: 'Re-compress with a current laszip / PDAL.' });
  }
  if (pointFormat > 3) {
    throw new UnsupportedFormatError(`LAS point data format ${pointFormat} is not supported (0–3 are)`, {
      where: `${where}: byte 104`, hint: 'Convert to point format 0–3 (e.g. `las2las -set_point_type 3`).',
    });
  }
  if (headerSize < 227 || pointOffset < headerSize || pointOffset > bytes.length) {
    throw new FormatError(`header size ${headerSize} / point data offset ${pointOffset} are inconsistent (file has ${bytes.length} bytes)`, {
      where: `${where}: byte 94`, hint: 'The header is corrupt or the file is cut short.',
    });
  }
  if (recordLength < MIN_RECORD[pointFormat]) {
    throw new FormatError(`point record length ${recordLength} is below the ${MIN_RECORD[pointFormat]} bytes of point format ${pointFormat}`, {
      where: `${where}: byte 105`, hint: 'The header is corrupt.',
    });
  }
  if (!scale.every((s) => Number.isFinite(s) && s !== 0) || !offset.every(Number.isFinite)) {
    throw new FormatError(`scale (${scale.join(', ')}) or offset (${offset.join(', ')}) is not finite and non-zero`, {
      where: `${where}: byte 131`, hint: 'The header is corrupt.',
    });
  }
  const available = bytes.length - pointOffset;
  if (!compressed && pointCount * recordLength > available) {
    throw new TruncatedError(`${pointCount} points × ${recordLength} bytes need ${pointCount * recordLength} bytes, ${available} remain`, {
      where: `${where}: byte ${pointOffset}`, hint: 'The file is cut short or its point count is wrong; re-export it.',
    });
  }
  if (compressed && pointCount > available * MAX_LAZ_POINTS_PER_BYTE) {
    throw new FormatError(`${pointCount} points cannot fit in ${available} compressed bytes`, { where: `${where}: byte 107`, hint: 'The point count is corrupt.' });
  }
  return { versionMajor, versionMinor, headerSize, pointOffset, pointFormat, compressed, recordLength, pointCount, scale, offset };
}

/** Reads a LAS/LAZ file into a PointCloud. Input bytes are never modified. */
export function readLas(bytes: Uint8Array, where = 'LAS'): PointCloud {
  const h = parseLasHeader(bytes, where);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let mesh: { attributes: { [k: string]: { value: ArrayLike<number> } } };
  try {
    mesh = LASLoader.parseSync(ab, { las: { shape: 'mesh', fp64: true, skip: 1, colorDepth: 'auto' } }) as unknown as typeof mesh;
  } catch (cause) {
    if (cause instanceof TesseraError) throw cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new FormatError(`${h.compressed ? 'LAZ' : 'LAS'} decoder failed: ${why}`, { where: `${where}: point data`, hint: 'The file is corrupt or uses a variant this build cannot read; re-export it as LAS 1.2.', cause });
  }
  const count = h.pointCount;
  const pos = mesh.attributes.POSITION?.value;
  if (!pos || pos.length !== 3 * count) {
    throw new FormatError(`decoder returned ${pos ? pos.length / 3 : 0} points, header announces ${count}`, { where: `${where}: point data`, hint: 'The file is corrupt.' });
  }
  const positions = Float32Array.from(pos);
  const intensity = Float32Array.from(mesh.attributes.intensity.value);
  // LAS 1.0–1.3 formats 0–3: class in bits 0–4; bits 5–7 are synthetic/key-point/withheld flags
  const cls = Int32Array.from(mesh.attributes.classification.value, (v) => v & 0x1f);
  let colors: Uint8Array | undefined;
  const rgba = mesh.attributes.COLOR_0?.value;
  if (rgba) {
    colors = new Uint8Array(3 * count);
    for (let i = 0; i < count; i++) {
      colors[3 * i] = rgba[4 * i];
      colors[3 * i + 1] = rgba[4 * i + 1];
      colors[3 * i + 2] = rgba[4 * i + 2];
    }
  }
  return finishCloud({ positions, count, intensity, colors, labels: { class: cls } });
}
