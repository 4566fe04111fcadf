/**
 * The compact binary the point-cloud viewer loads from `GET /api/studies/:id/points` (isomorphic:
 * the route encodes, the viewer decodes). All numbers little-endian; every section starts on a
 * 4-byte boundary so the decoder takes typed-array views without copying.
 *
 *   offset  size  field
 *   0       4     magic, ASCII "TPC1"
 *   4       4     u32 version (1)
 *   8       4     u32 count: number of points N (the file's point order)
 *   12      4     u32 flags: 1 = colours, 2 = instance labels, 4 = class labels
 *   16      4     u32 label source: 0 none, 1 the file's own labels (ground truth), 2 a Run's labels
 *   20      12    reserved (0)
 *   32      12·N  f32 positions, xyz interleaved; invalid points (no return) are NaN
 *   …       3·N   u8 colours rgb interleaved (flag 1), then zero padding to a multiple of 4
 *   …       4·N   i32 instance id per point (flag 2); ≤ 0 = no instance
 *   …       4·N   i32 class id per point (flag 4)
 */

export const POINTS_MAGIC = 'TPC1';
export const POINTS_VERSION = 1;
export const POINTS_HEADER_BYTES = 32;
export const FLAG_COLOURS = 1;
export const FLAG_INSTANCE = 2;
export const FLAG_CLASS = 4;

export type PointsLabelSource = 'none' | 'file' | 'run';
const SOURCES: PointsLabelSource[] = ['none', 'file', 'run'];

export interface PointsPayload {
  count: number;
  positions: Float32Array;
  colors?: Uint8Array;
  instance?: Int32Array;
  classIds?: Int32Array;
  source: PointsLabelSource;
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Byte length of the encoded payload. */
export function pointsPayloadBytes(count: number, flags: number): number {
  let n = POINTS_HEADER_BYTES + 12 * count;
  if (flags & FLAG_COLOURS) n += pad4(3 * count);
  if (flags & FLAG_INSTANCE) n += 4 * count;
  if (flags & FLAG_CLASS) n += 4 * count;
  return n;
}

function check(a: ArrayLike<number> | undefined, per: number, count: number, what: string): void {
  if (a && a.length !== per * count) throw new RangeError(`${what} has ${a.length} values for ${count} points (expected ${per * count})`);
}

export function encodePointsPayload(p: PointsPayload): Uint8Array<ArrayBuffer> {
  const { count } = p;
  check(p.positions, 3, count, 'positions');
  check(p.colors, 3, count, 'colors');
  check(p.instance, 1, count, 'instance');
  check(p.classIds, 1, count, 'classIds');
  const flags = (p.colors ? FLAG_COLOURS : 0) | (p.instance ? FLAG_INSTANCE : 0) | (p.classIds ? FLAG_CLASS : 0);
  const buf = new ArrayBuffer(pointsPayloadBytes(count, flags));
  const out = new Uint8Array(buf);
  const dv = new DataView(buf);
  for (let i = 0; i < 4; i++) out[i] = POINTS_MAGIC.charCodeAt(i);
  dv.setUint32(4, POINTS_VERSION, true);
  dv.setUint32(8, count, true);
  dv.setUint32(12, flags, true);
  dv.setUint32(16, SOURCES.indexOf(p.source), true);
  let off = POINTS_HEADER_BYTES;
  new Float32Array(buf, off, 3 * count).set(p.positions);
  off += 12 * count;
  if (p.colors) {
    out.set(p.colors, off);
    off += pad4(3 * count);
  }
  if (p.instance) {
    new Int32Array(buf, off, count).set(p.instance);
    off += 4 * count;
  }
  if (p.classIds) new Int32Array(buf, off, count).set(p.classIds);
  return out;
}

/** Decodes `encodePointsPayload`'s bytes; the arrays are views on `buf` (no copy). */
export function decodePointsPayload(buf: ArrayBuffer): PointsPayload {
  if (buf.byteLength < POINTS_HEADER_BYTES) throw new Error(`points payload too short (${buf.byteLength} bytes)`);
  const u8 = new Uint8Array(buf);
  const magic = String.fromCharCode(u8[0], u8[1], u8[2], u8[3]);
  if (magic !== POINTS_MAGIC) throw new Error(`not a points payload (magic "${magic}")`);
  const dv = new DataView(buf);
  const version = dv.getUint32(4, true);
  if (version !== POINTS_VERSION) throw new Error(`points payload version ${version} is not supported`);
  const count = dv.getUint32(8, true);
  const flags = dv.getUint32(12, true);
  const source = SOURCES[dv.getUint32(16, true)] ?? 'none';
  if (buf.byteLength !== pointsPayloadBytes(count, flags)) {
    throw new Error(`points payload has ${buf.byteLength} bytes, expected ${pointsPayloadBytes(count, flags)} for ${count} points`);
  }
  let off = POINTS_HEADER_BYTES;
  const positions = new Float32Array(buf, off, 3 * count);
  off += 12 * count;
  const p: PointsPayload = { count, positions, source };
  if (flags & FLAG_COLOURS) {
    p.colors = new Uint8Array(buf, off, 3 * count);
    off += pad4(3 * count);
  }
  if (flags & FLAG_INSTANCE) {
    p.instance = new Int32Array(buf, off, count);
    off += 4 * count;
  }
  if (flags & FLAG_CLASS) p.classIds = new Int32Array(buf, off, count);
  return p;
}
