/** Helpers shared by the point-cloud readers: property naming, strict number parsing, text lines. */
import { FormatError, TruncatedError } from '../../errors';

/** What a per-point property of a file becomes in a PointCloud. */
export type PropertyRole =
  | { kind: 'x' | 'y' | 'z' | 'nx' | 'ny' | 'nz' | 'r' | 'g' | 'b' | 'intensity' }
  | { kind: 'label'; name: string }
  | { kind: 'extra'; name: string };

const LABEL_NAMES = new Set([
  'label', 'labels', 'instance', 'instance_id', 'instance_label', 'ins', 'semantic', 'semantic_id',
  'semantic_label', 'sem', 'class', 'class_id', 'classification', 'category', 'category_id', 'segment',
  'segment_id', 'object', 'object_id', 'part', 'part_id', 'cluster', 'cluster_id',
]);

const ROLE_BY_NAME: { [name: string]: PropertyRole['kind'] } = {
  x: 'x', y: 'y', z: 'z',
  nx: 'nx', ny: 'ny', nz: 'nz', normal_x: 'nx', normal_y: 'ny', normal_z: 'nz', normalx: 'nx', normaly: 'ny', normalz: 'nz',
  red: 'r', green: 'g', blue: 'b', r: 'r', g: 'g', b: 'b', diffuse_red: 'r', diffuse_green: 'g', diffuse_blue: 'b',
  intensity: 'intensity', i: 'intensity', reflectance: 'intensity', remission: 'intensity',
};

/**
 * Maps a property/column name to its role (case-insensitive; CloudCompare's `scalar_` prefix is
 * ignored). Label-like names (label, instance, semantic, class, ...) become labels under the name as
 * written (minus `scalar_`); unknown names become extras.
 */
export function propertyRole(rawName: string): PropertyRole {
  const name = rawName.replace(/^scalar_/i, '');
  const lower = name.toLowerCase();
  const kind = ROLE_BY_NAME[lower];
  if (kind === 'x' || kind === 'y' || kind === 'z' || kind === 'nx' || kind === 'ny' || kind === 'nz' || kind === 'r' || kind === 'g' || kind === 'b' || kind === 'intensity') {
    return { kind };
  }
  if (LABEL_NAMES.has(lower)) return { kind: 'label', name };
  return { kind: 'extra', name: rawName };
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN_RE = /^[+-]?(?:nan|nan\(\w*\)|-?nan\(ind\))$/i;
const INF_RE = /^([+-]?)(?:inf|infinity)$/i;

/** Parses a decimal number token (also nan / inf); undefined when the token is not a number. */
export function parseNumberToken(tok: string): number | undefined {
  if (NUMBER_RE.test(tok)) return Number(tok);
  if (NAN_RE.test(tok)) return NaN;
  const m = INF_RE.exec(tok);
  if (m) return m[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

/** Like parseNumberToken but throws a FormatError naming the place. */
export function parseNumberOrThrow(tok: string, where: string, hint: string): number {
  const v = parseNumberToken(tok);
  if (v === undefined) throw new FormatError(`"${tok.slice(0, 40)}" is not a number`, { where, hint });
  return v;
}

/** Decodes bytes [start, end) as Latin-1 (every byte one character; never throws). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  const CHUNK = 8192;
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, Math.min(end, i + CHUNK))));
  }
  return s;
}

/** Encodes an ASCII string to bytes (characters above 0xff become '?'). */
export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 256 ? c : 0x3f;
  }
  return out;
}

/**
 * Reads header lines (terminated by \n, optional \r stripped) from `offset` until `isLast(line)` is true.
 * Returns the lines and the byte offset just past the last line. Throws TruncatedError when the input
 * ends first, FormatError when the header runs past `maxBytes`.
 */
export function readHeaderLines(
  bytes: Uint8Array,
  isLast: (line: string) => boolean,
  opts: { where: string; maxBytes: number; what: string; hint: string },
): { lines: string[]; end: number } {
  const lines: string[] = [];
  let pos = 0;
  const limit = Math.min(bytes.length, opts.maxBytes);
  while (pos < limit) {
    let nl = pos;
    while (nl < limit && bytes[nl] !== 0x0a) nl++;
    if (nl >= limit && limit < bytes.length) break; // line too long for a header
    let lineEnd = nl;
    if (lineEnd > pos && bytes[lineEnd - 1] === 0x0d) lineEnd--;
    const line = latin1(bytes, pos, lineEnd);
    lines.push(line);
    pos = Math.min(nl + 1, bytes.length);
    if (isLast(line.trim())) return { lines, end: pos };
    if (nl >= limit) break;
  }
  if (limit === bytes.length) {
    throw new TruncatedError(`file ends before the ${opts.what}`, { where: `${opts.where}: header, byte ${bytes.length}`, hint: opts.hint });
  }
  throw new FormatError(`${opts.what} not found in the first ${opts.maxBytes} bytes`, { where: `${opts.where}: header`, hint: opts.hint });
}

/** Splits on runs of whitespace, dropping empty tokens. */
export function splitWs(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Clamps and rounds a colour component to 0..255. */
export function toByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 255) return 255;
  return Math.round(v);
}
