/**
 * The compact binary result a browser point-cloud run posts to `POST /api/runs/:id/point-result`
 * (written by app/_components/browser-pointcloud-run.ts, read and checked by
 * server/services/pointcloud-runs.ts). Isomorphic, pure; all numbers little-endian.
 *
 *   offset  size      field
 *   0       4         magic "TPR1"
 *   4       4  u32    n        points (must equal the study's point count)
 *   8       4  u32    k        instances: ids are 0 (none) … k, every one of 1…k used
 *   12      4  u32    flags    bit 0: per-instance scores follow the class ids
 *   16      4  u32    metaBytes  length of the UTF-8 JSON meta at the end
 *   20      4  u32    reserved (0)
 *   24      4·n i32   instance id per point, in the study's point order
 *   24+4n   4·n i32   class id per point (ids of the model card's classes)
 *   24+8n   4·k f32   score of instance 1…k (only when flags bit 0)
 *   …       metaBytes JSON meta: { runner, device, adapter, model: { name, sha256 }, timings }
 *
 * The total length is exactly the sum of the parts (a shorter body is truncated, a longer one is
 * refused). `decodePointResult` checks only the layout; what the values mean (count, class ids,
 * dense instance ids) is checked by the server against the study and the model card.
 */
import { FormatError, TruncatedError } from '@/lib/errors';

export const POINT_RESULT_MAGIC = 'TPR1';
export const POINT_RESULT_HEADER_BYTES = 24;
const FLAG_SCORES = 1;
/** Largest meta JSON accepted (timings and a few names). */
export const POINT_RESULT_MAX_META_BYTES = 64 * 1024;

export interface PointResultMeta {
  runner: string;
  device: string;
  adapter: string | null;
  model: { name: string; sha256: string };
  timings: Record<string, number>;
  [k: string]: unknown;
}

export interface PointResult {
  /** Per point: instance id (0 = none). */
  instance: Int32Array;
  /** Per point: class id. */
  classIds: Int32Array;
  /** Instance count k (ids 1…k). */
  instances: number;
  /** Score of instance id i at index i − 1 (length k), or null when none were sent. */
  scores: Float32Array | null;
  /** The parsed JSON meta (unchecked: the server validates it). */
  meta: unknown;
}

/** Writes the result (inputs are not modified). `instances` = k, the largest instance id. */
export function encodePointResult(r: { instance: Int32Array; classIds: Int32Array; instances: number; scores?: ArrayLike<number> | null; meta: PointResultMeta }): Uint8Array {
  const n = r.instance.length;
  if (r.classIds.length !== n) throw new FormatError(`instance (${n}) and classIds (${r.classIds.length}) lengths differ`, { where: 'encodePointResult' });
  const k = r.instances;
  if (r.scores && r.scores.length !== k) throw new FormatError(`${r.scores.length} scores for ${k} instances`, { where: 'encodePointResult.scores' });
  const meta = new TextEncoder().encode(JSON.stringify(r.meta));
  const scoreBytes = r.scores ? 4 * k : 0;
  const out = new Uint8Array(POINT_RESULT_HEADER_BYTES + 8 * n + scoreBytes + meta.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = POINT_RESULT_MAGIC.charCodeAt(i);
  dv.setUint32(4, n, true);
  dv.setUint32(8, k, true);
  dv.setUint32(12, r.scores ? FLAG_SCORES : 0, true);
  dv.setUint32(16, meta.byteLength, true);
  dv.setUint32(20, 0, true);
  let o = POINT_RESULT_HEADER_BYTES;
  for (let i = 0; i < n; i++, o += 4) dv.setInt32(o, r.instance[i], true);
  for (let i = 0; i < n; i++, o += 4) dv.setInt32(o, r.classIds[i], true);
  if (r.scores) for (let i = 0; i < k; i++, o += 4) dv.setFloat32(o, r.scores[i], true);
  out.set(meta, o);
  return out;
}

/** Reads the layout; throws TruncatedError / FormatError (where = the field) on a malformed body. */
export function decodePointResult(bytes: Uint8Array, where = 'point result'): PointResult {
  if (bytes.byteLength < POINT_RESULT_HEADER_BYTES) {
    throw new TruncatedError(`${bytes.byteLength} bytes, shorter than the ${POINT_RESULT_HEADER_BYTES}-byte header`, { where, hint: 'Send the whole result body.' });
  }
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== POINT_RESULT_MAGIC) throw new FormatError(`bad magic "${magic.replace(/[^\x20-\x7e]/g, '?')}", expected "${POINT_RESULT_MAGIC}"`, { where: `${where}: header` });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(4, true);
  const k = dv.getUint32(8, true);
  const flags = dv.getUint32(12, true);
  const metaBytes = dv.getUint32(16, true);
  if (flags & ~FLAG_SCORES) throw new FormatError(`unknown flags 0x${flags.toString(16)}`, { where: `${where}: header.flags` });
  if (metaBytes > POINT_RESULT_MAX_META_BYTES) throw new FormatError(`meta of ${metaBytes} bytes exceeds ${POINT_RESULT_MAX_META_BYTES}`, { where: `${where}: header.metaBytes` });
  if (k > n) throw new FormatError(`${k} instances among ${n} points`, { where: `${where}: header.k`, hint: 'Instance ids must be dense 1…k, each used by at least one point.' });
  const hasScores = (flags & FLAG_SCORES) !== 0;
  const want = POINT_RESULT_HEADER_BYTES + 8 * n + (hasScores ? 4 * k : 0) + metaBytes;
  if (bytes.byteLength < want) {
    throw new TruncatedError(`${bytes.byteLength} bytes, the header announces ${want} (${n} points, ${k} instances)`, { where, hint: 'Send the whole result body.' });
  }
  if (bytes.byteLength > want) throw new FormatError(`${bytes.byteLength - want} bytes after the end of the result`, { where });
  const instance = new Int32Array(n);
  const classIds = new Int32Array(n);
  let o = POINT_RESULT_HEADER_BYTES;
  for (let i = 0; i < n; i++, o += 4) instance[i] = dv.getInt32(o, true);
  for (let i = 0; i < n; i++, o += 4) classIds[i] = dv.getInt32(o, true);
  let scores: Float32Array | null = null;
  if (hasScores) {
    scores = new Float32Array(k);
    for (let i = 0; i < k; i++, o += 4) scores[i] = dv.getFloat32(o, true);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(o, o + metaBytes)));
  } catch (e) {
    throw new FormatError(`the meta is not UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`, { where: `${where}: meta` });
  }
  return { instance, classIds, instances: k, scores, meta };
}
