/**
 * PLY reader (ascii, binary_little_endian, binary_big_endian) and writer.
 *
 * Only the `vertex` element becomes the PointCloud; every other element (faces, edges, custom) is
 * skipped, list properties included. Vertex property names map to PointCloud fields through
 * `propertyRole` (x/y/z, nx/ny/nz, red/green/blue, intensity, label-like names, others → extra).
 */
import { ArgumentError, FormatError, TruncatedError, UnsupportedFormatError } from '../../errors';
import { CloudBuilder, type ColumnSpec, type Setter } from './builder';
import { asciiBytes, parseNumberToken, readHeaderLines, splitWs } from './common';
import type { PointCloud } from './types';

type PlyFormat = 'ascii' | 'binary_little_endian' | 'binary_big_endian';

interface PlyType {
  size: number;
  float: boolean;
  signed: boolean;
  get: (dv: DataView, off: number, le: boolean) => number;
}

const T = (size: number, float: boolean, signed: boolean, get: PlyType['get']): PlyType => ({ size, float, signed, get });
const PLY_TYPES: { [name: string]: PlyType } = {};
{
  const i8 = T(1, false, true, (d, o) => d.getInt8(o));
  const u8 = T(1, false, false, (d, o) => d.getUint8(o));
  const i16 = T(2, false, true, (d, o, le) => d.getInt16(o, le));
  const u16 = T(2, false, false, (d, o, le) => d.getUint16(o, le));
  const i32 = T(4, false, true, (d, o, le) => d.getInt32(o, le));
  const u32 = T(4, false, false, (d, o, le) => d.getUint32(o, le));
  const f32 = T(4, true, true, (d, o, le) => d.getFloat32(o, le));
  const f64 = T(8, true, true, (d, o, le) => d.getFloat64(o, le));
  Object.assign(PLY_TYPES, {
    char: i8, int8: i8, uchar: u8, uint8: u8, short: i16, int16: i16, ushort: u16, uint16: u16,
    int: i32, int32: i32, uint: u32, uint32: u32, float: f32, float32: f32, double: f64, float64: f64,
  });
}

export interface PlyProperty {
  name: string;
  type: string;
  /** For list properties: the type of the item count. */
  countType?: string;
}

export interface PlyElement {
  name: string;
  count: number;
  properties: PlyProperty[];
}

export interface PlyHeader {
  format: PlyFormat;
  elements: PlyElement[];
  comments: string[];
  /** Byte offset of the body. */
  dataOffset: number;
}

const HEADER_HINT = 'A PLY header is "ply", "format <ascii|binary_little_endian|binary_big_endian> 1.0", element/property lines, then "end_header".';
const MAX_HEADER_BYTES = 4 * 1024 * 1024;
const MAX_COUNT = 2 ** 32;

/** Parses and validates a PLY header. */
export function parsePlyHeader(bytes: Uint8Array, where = 'PLY'): PlyHeader {
  if (!(bytes.length >= 4 && bytes[0] === 0x70 && bytes[1] === 0x6c && bytes[2] === 0x79 && (bytes[3] === 0x0a || bytes[3] === 0x0d || bytes[3] === 0x20))) {
    throw new FormatError('not a PLY file: it does not start with "ply"', { where: `${where}: byte 0`, hint: HEADER_HINT });
  }
  const { lines, end } = readHeaderLines(bytes, (l) => l === 'end_header', {
    where, maxBytes: MAX_HEADER_BYTES, what: '"end_header" line', hint: 'The header must end with an "end_header" line; the file may be cut short or not PLY.',
  });
  let format: PlyFormat | undefined;
  const elements: PlyElement[] = [];
  const comments: string[] = [];
  for (let n = 1; n < lines.length - 1; n++) {
    const at = `${where}: header line ${n + 1}`;
    const tok = splitWs(lines[n]);
    if (tok.length === 0) continue;
    const kw = tok[0];
    if (kw === 'comment' || kw === 'obj_info') {
      comments.push(lines[n].trim().slice(kw.length).trim());
    } else if (kw === 'format') {
      if (tok.length < 2) throw new FormatError('"format" line without a format', { where: at, hint: HEADER_HINT });
      if (tok[1] !== 'ascii' && tok[1] !== 'binary_little_endian' && tok[1] !== 'binary_big_endian') {
        throw new UnsupportedFormatError(`PLY format "${tok[1]}" is not supported`, { where: at, hint: 'Re-save as ascii, binary_little_endian or binary_big_endian.' });
      }
      format = tok[1];
    } else if (kw === 'element') {
      const count = tok.length === 3 && /^\d+$/.test(tok[2]) ? Number(tok[2]) : NaN;
      if (!(count <= MAX_COUNT)) throw new FormatError(`bad element line "${lines[n].trim().slice(0, 60)}"`, { where: at, hint: 'Expected "element <name> <non-negative count>".' });
      elements.push({ name: tok[1], count, properties: [] });
    } else if (kw === 'property') {
      const el = elements[elements.length - 1];
      if (!el) throw new FormatError('"property" line before any "element" line', { where: at, hint: HEADER_HINT });
      if (tok[1] === 'list') {
        if (tok.length !== 5 || !PLY_TYPES[tok[2]] || !PLY_TYPES[tok[3]] || PLY_TYPES[tok[2]].float) {
          throw new FormatError(`bad list property "${lines[n].trim().slice(0, 60)}"`, { where: at, hint: 'Expected "property list <integer count type> <item type> <name>".' });
        }
        el.properties.push({ name: tok[4], type: tok[3], countType: tok[2] });
      } else {
        if (tok.length !== 3 || !PLY_TYPES[tok[1]]) {
          throw new FormatError(`bad property "${lines[n].trim().slice(0, 60)}"`, { where: at, hint: 'Expected "property <type> <name>" with type char/uchar/short/ushort/int/uint/float/double (or int8…float64).' });
        }
        el.properties.push({ name: tok[2], type: tok[1] });
      }
    } else {
      throw new FormatError(`unknown header keyword "${kw.slice(0, 40)}"`, { where: at, hint: HEADER_HINT });
    }
  }
  if (!format) throw new FormatError('no "format" line in the header', { where: `${where}: header`, hint: HEADER_HINT });
  return { format, elements, comments, dataOffset: end };
}

/** Minimum bytes one binary item of `el` occupies, and whether all its properties are fixed-size. */
function itemSize(el: PlyElement): { min: number; fixed: boolean } {
  let min = 0;
  let fixed = true;
  for (const p of el.properties) {
    if (p.countType) {
      fixed = false;
      min += PLY_TYPES[p.countType].size;
    } else min += PLY_TYPES[p.type].size;
  }
  return { min, fixed };
}

function vertexSpecs(el: PlyElement): ColumnSpec[] {
  return el.properties.map((p) => {
    const t = PLY_TYPES[p.type];
    return {
      name: p.name,
      isFloat: t.float,
      wide: t.size >= 4 && !t.signed,
      colorScale: t.float ? 255 : t.size === 2 ? 1 / 257 : 1,
      role: p.countType ? { kind: 'extra', name: p.name } : undefined,
    };
  });
}

function readBinaryBody(bytes: Uint8Array, h: PlyHeader, where: string): PointCloud {
  const le = h.format === 'binary_little_endian';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let off = h.dataOffset;
  for (const el of h.elements) {
    const { min, fixed } = itemSize(el);
    const remaining = len - off;
    if (el.count * min > remaining) {
      throw new TruncatedError(
        `element "${el.name}" announces ${el.count} items of ≥${min} bytes (${el.count * min} bytes) but only ${remaining} bytes remain`,
        { where: `${where}: byte ${off}, element ${el.name}`, hint: 'The file is cut short or its element count is wrong; re-export it.' },
      );
    }
    const isVertex = el.name === 'vertex';
    if (!isVertex && (fixed || el.properties.length === 0)) {
      off += el.count * min;
      continue;
    }
    // count·min ≤ remaining bytes, so every loop below is bounded by the input length
    let builder: CloudBuilder | undefined;
    let setters: Setter[] = [];
    if (isVertex) {
      builder = new CloudBuilder(el.count, vertexSpecs(el), `${where}: element vertex`);
      setters = builder.setters;
    }
    const props = el.properties.map((p) => ({ t: PLY_TYPES[p.type], ct: p.countType ? PLY_TYPES[p.countType] : undefined }));
    for (let i = 0; i < el.count; i++) {
      for (let k = 0; k < props.length; k++) {
        const { t, ct } = props[k];
        if (ct) {
          if (off + ct.size > len) throw truncatedItem(el, i, off, where);
          const n = ct.get(dv, off, le);
          if (!(n >= 0)) throw new FormatError(`negative list length ${n}`, { where: `${where}: byte ${off}, element ${el.name} item ${i}`, hint: 'The list count is corrupt; re-export the file.' });
          off += ct.size + n * t.size;
          if (off > len) throw truncatedItem(el, i, off, where);
        } else {
          if (off + t.size > len) throw truncatedItem(el, i, off, where);
          if (builder) setters[k](i, t.get(dv, off, le));
          off += t.size;
        }
      }
    }
    if (builder) return builder.finish();
  }
  throw new FormatError('no "vertex" element', { where: `${where}: header`, hint: 'A point-cloud PLY needs "element vertex <count>" with x, y, z properties.' });
}

function truncatedItem(el: PlyElement, i: number, off: number, where: string): TruncatedError {
  return new TruncatedError(`file ends inside item ${i} of element "${el.name}" (${el.count} announced)`, {
    where: `${where}: byte ${off}`,
    hint: 'The file is cut short or a list count is corrupt; re-export it.',
  });
}

function readAsciiBody(bytes: Uint8Array, h: PlyHeader, headerLines: number, where: string): PointCloud {
  let pos = h.dataOffset;
  let lineNo = headerLines;
  const len = bytes.length;
  /** Next non-blank line, or undefined at the end of the input. */
  const nextLine = (): string[] | undefined => {
    while (pos < len) {
      let nl = pos;
      while (nl < len && bytes[nl] !== 0x0a) nl++;
      let s = '';
      for (let i = pos; i < nl; i++) s += String.fromCharCode(bytes[i]);
      pos = nl + 1;
      lineNo++;
      const tok = splitWs(s);
      if (tok.length > 0) return tok;
    }
    return undefined;
  };
  for (const el of h.elements) {
    const isVertex = el.name === 'vertex';
    if (el.properties.length === 0) continue;
    // each value of an item takes at least one byte: bounds the allocation by the input
    if (el.count * el.properties.length > len - pos) {
      throw new TruncatedError(`element "${el.name}" announces ${el.count} lines of ${el.properties.length} values but only ${len - pos} bytes remain`, {
        where: `${where}: line ${lineNo + 1}`,
        hint: 'The file is cut short or its element count is wrong; re-export it.',
      });
    }
    let builder: CloudBuilder | undefined;
    if (isVertex) builder = new CloudBuilder(el.count, vertexSpecs(el), `${where}: element vertex`);
    for (let i = 0; i < el.count; i++) {
      const tok = nextLine();
      if (!tok) {
        throw new TruncatedError(`file ends after ${i} of ${el.count} "${el.name}" lines`, {
          where: `${where}: line ${lineNo}`,
          hint: 'The file is cut short or its element count is wrong; re-export it.',
        });
      }
      if (!builder) continue; // other elements: one line per item, whatever it holds
      let t = 0;
      const props = el.properties;
      for (let k = 0; k < props.length; k++) {
        const p = props[k];
        const v = t < tok.length ? parseNumberToken(tok[t]) : undefined;
        if (v === undefined) {
          throw new FormatError(
            t < tok.length ? `"${tok[t].slice(0, 40)}" is not a number (property "${p.name}")` : `too few values: property "${p.name}" missing`,
            { where: `${where}: line ${lineNo}`, hint: `Each vertex line needs ${props.length} values (${props.map((q) => q.name).join(' ')}).` },
          );
        }
        t++;
        if (p.countType) {
          if (!(Number.isInteger(v) && v >= 0)) throw new FormatError(`bad list length "${tok[t - 1]}"`, { where: `${where}: line ${lineNo}`, hint: 'List counts are non-negative integers.' });
          t += v;
        } else builder.setters[k](i, v);
      }
      if (t !== tok.length) {
        throw new FormatError(`expected ${t} values, found ${tok.length}`, {
          where: `${where}: line ${lineNo}`,
          hint: `Each vertex line holds exactly the header's properties (${props.map((q) => q.name).join(' ')}).`,
        });
      }
    }
    if (builder) return builder.finish();
  }
  throw new FormatError('no "vertex" element', { where: `${where}: header`, hint: 'A point-cloud PLY needs "element vertex <count>" with x, y, z properties.' });
}

/** Reads a PLY file's vertices into a PointCloud. Input bytes are never modified. */
export function readPly(bytes: Uint8Array, where = 'PLY'): PointCloud {
  const h = parsePlyHeader(bytes, where);
  if (h.format === 'ascii') {
    let headerLines = 0;
    for (let i = 0; i < h.dataOffset; i++) if (bytes[i] === 0x0a) headerLines++;
    return readAsciiBody(bytes, h, headerLines, where);
  }
  return readBinaryBody(bytes, h, where);
}

export interface PlyWriteOptions {
  /** Per-point instance ids, written as `property int instance`. */
  instance?: Int32Array;
  /** Per-point class ids, written as `property int class`. */
  classId?: Int32Array;
  /** Default binary_little_endian. */
  format?: PlyFormat;
  /** Extra header comments. */
  comments?: string[];
}

/**
 * Writes `cloud` as PLY in its point order: float x y z, float nx ny nz (if normals), uchar red green
 * blue (if colours), float intensity (if present), int instance / int class (if given).
 */
export function writePly(cloud: PointCloud, opts: PlyWriteOptions = {}): Uint8Array {
  const n = cloud.count;
  const format = opts.format ?? 'binary_little_endian';
  if (format !== 'ascii' && format !== 'binary_little_endian' && format !== 'binary_big_endian') {
    throw new ArgumentError(`unknown PLY format "${String(format)}"`, { where: 'writePly: options.format', hint: 'Use ascii, binary_little_endian or binary_big_endian.' });
  }
  if (!Number.isInteger(n) || n < 0 || cloud.positions.length !== 3 * n) {
    throw new ArgumentError(`positions has ${cloud.positions.length} values for ${n} points`, { where: 'writePly: cloud.positions', hint: 'positions must hold 3·count values.' });
  }
  const check = (a: ArrayLike<number> | undefined, per: number, what: string) => {
    if (a && a.length !== per * n) {
      throw new ArgumentError(`${what} has ${a.length} values for ${n} points`, { where: `writePly: ${what}`, hint: `${what} must hold ${per}·count values, in the cloud's point order.` });
    }
  };
  check(cloud.normals, 3, 'cloud.normals');
  check(cloud.colors, 3, 'cloud.colors');
  check(cloud.intensity, 1, 'cloud.intensity');
  check(opts.instance, 1, 'options.instance');
  check(opts.classId, 1, 'options.classId');
  type Col = { name: string; type: 'float' | 'uchar' | 'int'; src: ArrayLike<number>; stride: number; o: number };
  const cols: Col[] = [];
  const add3 = (src: ArrayLike<number>, names: string[], type: Col['type']) => names.forEach((name, o) => cols.push({ name, type, src, stride: 3, o }));
  add3(cloud.positions, ['x', 'y', 'z'], 'float');
  if (cloud.normals) add3(cloud.normals, ['nx', 'ny', 'nz'], 'float');
  if (cloud.colors) add3(cloud.colors, ['red', 'green', 'blue'], 'uchar');
  if (cloud.intensity) cols.push({ name: 'intensity', type: 'float', src: cloud.intensity, stride: 1, o: 0 });
  if (opts.instance) cols.push({ name: 'instance', type: 'int', src: opts.instance, stride: 1, o: 0 });
  if (opts.classId) cols.push({ name: 'class', type: 'int', src: opts.classId, stride: 1, o: 0 });

  const header = [
    'ply',
    `format ${format} 1.0`,
    'comment written by Tessera',
    ...(opts.comments ?? []).map((c) => `comment ${c.replace(/[\r\n]+/g, ' ')}`),
    `element vertex ${n}`,
    ...cols.map((c) => `property ${c.type} ${c.name}`),
    'end_header',
    '',
  ].join('\n');
  const head = asciiBytes(header);
  if (format === 'ascii') {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const vals: string[] = [];
      for (const c of cols) {
        const v = c.src[i * c.stride + c.o];
        vals.push(c.type === 'float' ? fmtFloat(v) : String(v));
      }
      lines.push(vals.join(' '));
    }
    const body = asciiBytes(lines.length ? lines.join('\n') + '\n' : '');
    const out = new Uint8Array(head.length + body.length);
    out.set(head, 0);
    out.set(body, head.length);
    return out;
  }
  const le = format === 'binary_little_endian';
  const stride = cols.reduce((s, c) => s + (c.type === 'uchar' ? 1 : 4), 0);
  const out = new Uint8Array(head.length + stride * n);
  out.set(head, 0);
  const dv = new DataView(out.buffer);
  let off = head.length;
  for (let i = 0; i < n; i++) {
    for (const c of cols) {
      const v = c.src[i * c.stride + c.o];
      if (c.type === 'float') { dv.setFloat32(off, v, le); off += 4; }
      else if (c.type === 'int') { dv.setInt32(off, v, le); off += 4; }
      else { dv.setUint8(off, v); off += 1; }
    }
  }
  return out;
}

/** Shortest text that reads back to the same float32 (nan / inf / -inf for non-finite values). */
function fmtFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return String(Math.fround(v));
}
