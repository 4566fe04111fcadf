/**
 * PCD (Point Cloud Library) reader: header v0.7 (v0.6 tolerated), DATA ascii | binary |
 * binary_compressed. Binary data is little-endian. binary_compressed holds a uint32 compressed size,
 * a uint32 uncompressed size, then LZF-compressed field-major (SoA) data.
 *
 * Organised clouds (HEIGHT > 1) keep width×height and every point (NaN ones flagged in `valid`).
 * Packed `rgb`/`rgba` (float or uint32 bits 0x00RRGGBB) becomes `colors`; `_` padding fields are
 * skipped; fields with COUNT > 1 become extras `<name>_<k>`.
 */
import { FormatError, TruncatedError, UnsupportedFormatError } from '../../errors';
import { CloudBuilder, type ColumnSpec, type Setter } from './builder';
import { parseNumberToken, readHeaderLines, splitWs } from './common';
import { lzfDecompress } from './lzf';
import type { PointCloud } from './types';

export interface PcdField {
  name: string;
  size: number;
  type: 'I' | 'U' | 'F';
  count: number;
}

export interface PcdHeader {
  version: string;
  fields: PcdField[];
  width: number;
  height: number;
  points: number;
  viewpoint: number[];
  data: 'ascii' | 'binary' | 'binary_compressed';
  /** Byte offset of the data. */
  dataOffset: number;
  /** Number of header lines (for ascii line numbers). */
  headerLines: number;
}

const HINT = 'A PCD header has VERSION, FIELDS, SIZE, TYPE, COUNT, WIDTH, HEIGHT, VIEWPOINT, POINTS and DATA lines (see pointclouds.org PCD format).';
const MAX_HEADER_BYTES = 1024 * 1024;

function intValue(tok: string | undefined, what: string, where: string, min = 0): number {
  const v = tok !== undefined && /^\d+$/.test(tok) ? Number(tok) : NaN;
  if (!(v >= min && v <= 2 ** 32)) {
    throw new FormatError(`${what} must be an integer ≥ ${min}, got "${String(tok).slice(0, 40)}"`, { where, hint: HINT });
  }
  return v;
}

/** Parses and validates a PCD header. */
export function parsePcdHeader(bytes: Uint8Array, where = 'PCD'): PcdHeader {
  const { lines, end } = readHeaderLines(bytes, (l) => /^DATA(\s|$)/.test(l), {
    where, maxBytes: MAX_HEADER_BYTES, what: '"DATA" line', hint: 'A PCD header ends with "DATA ascii|binary|binary_compressed"; the file may be cut short or not PCD.',
  });
  let version = '';
  let names: string[] | undefined;
  let sizes: string[] | undefined;
  let types: string[] | undefined;
  let counts: string[] | undefined;
  let width: number | undefined;
  let height = 1;
  let points: number | undefined;
  let viewpoint = [0, 0, 0, 1, 0, 0, 0];
  let data: PcdHeader['data'] | undefined;
  for (let n = 0; n < lines.length; n++) {
    const at = `${where}: header line ${n + 1}`;
    const tok = splitWs(lines[n]);
    if (tok.length === 0 || tok[0].startsWith('#')) continue;
    const [kw, ...rest] = tok;
    switch (kw.toUpperCase()) {
      case 'VERSION': version = rest[0] ?? ''; break;
      case 'FIELDS': case 'COLUMNS': names = rest; break;
      case 'SIZE': sizes = rest; break;
      case 'TYPE': types = rest; break;
      case 'COUNT': counts = rest; break;
      case 'WIDTH': width = intValue(rest[0], 'WIDTH', at); break;
      case 'HEIGHT': height = intValue(rest[0], 'HEIGHT', at, 1); break;
      case 'POINTS': points = intValue(rest[0], 'POINTS', at); break;
      case 'VIEWPOINT': {
        const v = rest.map((t) => parseNumberToken(t));
        if (v.length !== 7 || v.some((x) => x === undefined)) throw new FormatError('VIEWPOINT needs 7 numbers (tx ty tz qw qx qy qz)', { where: at, hint: HINT });
        viewpoint = v as number[];
        break;
      }
      case 'DATA': {
        const d = rest[0];
        if (d !== 'ascii' && d !== 'binary' && d !== 'binary_compressed') {
          throw new UnsupportedFormatError(`PCD DATA "${String(d).slice(0, 40)}" is not supported`, { where: at, hint: 'Re-save the cloud with DATA ascii, binary or binary_compressed.' });
        }
        data = d;
        break;
      }
      default:
        throw new FormatError(`unknown header keyword "${kw.slice(0, 40)}"`, { where: at, hint: HINT });
    }
  }
  const hw = `${where}: header`;
  if (!names || names.length === 0) throw new FormatError('no FIELDS line', { where: hw, hint: HINT });
  if (!sizes || sizes.length !== names.length) throw new FormatError(`SIZE has ${sizes?.length ?? 0} entries for ${names.length} FIELDS`, { where: hw, hint: HINT });
  if (!types || types.length !== names.length) throw new FormatError(`TYPE has ${types?.length ?? 0} entries for ${names.length} FIELDS`, { where: hw, hint: HINT });
  if (counts && counts.length !== names.length) throw new FormatError(`COUNT has ${counts.length} entries for ${names.length} FIELDS`, { where: hw, hint: HINT });
  if (width === undefined) throw new FormatError('no WIDTH line', { where: hw, hint: HINT });
  if (points === undefined) points = width * height;
  if (points !== width * height) {
    throw new FormatError(`POINTS ${points} ≠ WIDTH ${width} × HEIGHT ${height}`, { where: hw, hint: 'Fix WIDTH/HEIGHT (organised clouds) or POINTS so they agree.' });
  }
  const fields: PcdField[] = names.map((name, k) => {
    const size = intValue(sizes![k], `SIZE of field "${name}"`, hw, 1);
    const type = types![k].toUpperCase();
    const count = counts ? intValue(counts[k], `COUNT of field "${name}"`, hw, 1) : 1;
    const ok = (type === 'F' && (size === 4 || size === 8)) || ((type === 'I' || type === 'U') && (size === 1 || size === 2 || size === 4 || size === 8));
    if (!ok) {
      throw new UnsupportedFormatError(`field "${name}": TYPE ${types![k]} with SIZE ${size} is not supported`, { where: hw, hint: 'Use TYPE F with SIZE 4/8, or I/U with SIZE 1/2/4/8.' });
    }
    return { name, size, type: type as PcdField['type'], count };
  });
  if (!data) throw new FormatError('no DATA line', { where: hw, hint: HINT });
  // every value of a point takes at least one byte: a forged COUNT must not drive allocations
  const components = fields.reduce((a, f) => a + f.count, 0);
  if (components > Math.max(1024, bytes.length)) {
    throw new FormatError(`FIELDS × COUNT announce ${components} values per point, more than the file's ${bytes.length} bytes`, { where: hw, hint: 'COUNT is corrupt.' });
  }
  return { version, fields, width, height, points, viewpoint, data, dataOffset: end, headerLines: lines.length };
}

type Get = (dv: DataView, off: number) => number;
function getter(f: PcdField): Get {
  if (f.type === 'F') return f.size === 4 ? (d, o) => d.getFloat32(o, true) : (d, o) => d.getFloat64(o, true);
  const s = f.type === 'I';
  switch (f.size) {
    case 1: return s ? (d, o) => d.getInt8(o) : (d, o) => d.getUint8(o);
    case 2: return s ? (d, o) => d.getInt16(o, true) : (d, o) => d.getUint16(o, true);
    case 4: return s ? (d, o) => d.getInt32(o, true) : (d, o) => d.getUint32(o, true);
    default: return s ? (d, o) => Number(d.getBigInt64(o, true)) : (d, o) => Number(d.getBigUint64(o, true));
  }
}

/** One value slot of a point: what to do with it. */
type Slot =
  | { kind: 'skip' }
  | { kind: 'value'; set: Setter }
  | { kind: 'rgb'; r: Setter; g: Setter; b: Setter; float: boolean };

function isPackedRgb(f: PcdField): boolean {
  const n = f.name.toLowerCase();
  return (n === 'rgb' || n === 'rgba') && f.size === 4 && f.count === 1;
}

/** Builds the cloud sink and one slot per (field, component), in file order. */
function makeSlots(h: PcdHeader, where: string): { builder: CloudBuilder; slots: Slot[][] } {
  const specs: ColumnSpec[] = [];
  const plan: ({ kind: 'skip' } | { kind: 'value'; spec: number } | { kind: 'rgb'; spec: number })[][] = [];
  const hasPacked = h.fields.some(isPackedRgb);
  for (const f of h.fields) {
    const comps: (typeof plan)[number] = [];
    if (f.name === '_') {
      for (let c = 0; c < f.count; c++) comps.push({ kind: 'skip' });
    } else if (isPackedRgb(f) && !specs.some((s) => s.name === 'r')) {
      comps.push({ kind: 'rgb', spec: specs.length });
      specs.push({ name: 'r', isFloat: false, colorScale: 1 }, { name: 'g', isFloat: false, colorScale: 1 }, { name: 'b', isFloat: false, colorScale: 1 });
    } else if (f.count === 1) {
      comps.push({ kind: 'value', spec: specs.length });
      // a separate r/g/b field would clash with the packed colour: keep it as an extra
      const role = hasPacked && /^(r|g|b|red|green|blue)$/i.test(f.name) ? { kind: 'extra' as const, name: f.name } : undefined;
      specs.push({ name: f.name, isFloat: f.type === 'F', wide: f.size >= 4 && f.type === 'U', role });
    } else {
      for (let c = 0; c < f.count; c++) {
        comps.push({ kind: 'value', spec: specs.length });
        specs.push({ name: `${f.name}_${c}`, isFloat: f.type === 'F', wide: f.size >= 4 && f.type === 'U', role: { kind: 'extra', name: `${f.name}_${c}` } });
      }
    }
    plan.push(comps);
  }
  const builder = new CloudBuilder(h.points, specs, `${where}: FIELDS`);
  const s = builder.setters;
  const slots: Slot[][] = plan.map((comps, k) =>
    comps.map((c): Slot => {
      if (c.kind === 'skip') return c;
      if (c.kind === 'rgb') return { kind: 'rgb', r: s[c.spec], g: s[c.spec + 1], b: s[c.spec + 2], float: h.fields[k].type === 'F' };
      return { kind: 'value', set: s[c.spec] };
    }),
  );
  return { builder, slots };
}

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);
function setRgb(slot: { r: Setter; g: Setter; b: Setter }, i: number, bits: number): void {
  slot.r(i, (bits >>> 16) & 0xff);
  slot.g(i, (bits >>> 8) & 0xff);
  slot.b(i, bits & 0xff);
}

/** Reads a PCD file into a PointCloud. Input bytes are never modified. */
export function readPcd(bytes: Uint8Array, where = 'PCD'): PointCloud {
  const h = parsePcdHeader(bytes, where);
  const len = bytes.length;
  const n = h.points;
  const pointSize = h.fields.reduce((s, f) => s + f.size * f.count, 0);
  const organized = h.height > 1 ? { width: h.width, height: h.height } : undefined;

  if (h.data === 'ascii') {
    const remaining = len - h.dataOffset;
    const perLine = h.fields.reduce((a, f) => a + f.count, 0);
    if (n * perLine > remaining) {
      throw new TruncatedError(`POINTS ${n} × ${perLine} values need at least ${n * perLine} bytes of text, ${remaining} remain`, {
        where: `${where}: line ${h.headerLines + 1}`, hint: 'The file is cut short or POINTS is wrong; re-export it.',
      });
    }
    const { builder, slots } = makeSlots(h, where);
    const perPoint = slots.reduce((s, c) => s + c.length, 0);
    let pos = h.dataOffset;
    let lineNo = h.headerLines;
    for (let i = 0; i < n; i++) {
      let tok: string[] = [];
      while (pos < len && tok.length === 0) {
        let nl = pos;
        while (nl < len && bytes[nl] !== 0x0a) nl++;
        let s = '';
        for (let k = pos; k < nl; k++) s += String.fromCharCode(bytes[k]);
        pos = nl + 1;
        lineNo++;
        tok = splitWs(s);
      }
      if (tok.length === 0) {
        throw new TruncatedError(`file ends after ${i} of ${n} points`, { where: `${where}: line ${lineNo}`, hint: 'The file is cut short or POINTS is wrong; re-export it.' });
      }
      if (tok.length !== perPoint) {
        throw new FormatError(`expected ${perPoint} values, found ${tok.length}`, {
          where: `${where}: line ${lineNo}`, hint: `Each point line holds one value per FIELDS×COUNT entry (${h.fields.map((f) => f.name).join(' ')}).`,
        });
      }
      let t = 0;
      for (let k = 0; k < slots.length; k++) {
        for (const slot of slots[k]) {
          const v = parseNumberToken(tok[t]);
          if (v === undefined) {
            throw new FormatError(`"${tok[t].slice(0, 40)}" is not a number (field "${h.fields[k].name}")`, { where: `${where}: line ${lineNo}`, hint: 'Point values are decimal numbers (nan allowed).' });
          }
          t++;
          if (slot.kind === 'value') slot.set(i, v);
          else if (slot.kind === 'rgb') {
            if (slot.float) {
              scratchF[0] = v;
              setRgb(slot, i, scratchU[0]);
            } else setRgb(slot, i, v >>> 0);
          }
        }
      }
    }
    return builder.finish(organized);
  }

  let data: Uint8Array;
  let dataStart: number;
  const need = n * pointSize;
  if (h.data === 'binary') {
    if (h.dataOffset + need > len) {
      throw new TruncatedError(`${n} points × ${pointSize} bytes need ${need} bytes of data, ${len - h.dataOffset} remain`, {
        where: `${where}: byte ${h.dataOffset}`, hint: 'The file is cut short or POINTS/SIZE/COUNT are wrong; re-export it.',
      });
    }
    data = bytes;
    dataStart = h.dataOffset;
  } else {
    const o = h.dataOffset;
    if (o + 8 > len) throw new TruncatedError('binary_compressed data lacks its 8-byte size prefix', { where: `${where}: byte ${o}`, hint: 'The file is cut short; re-export it.' });
    const dvh = new DataView(bytes.buffer, bytes.byteOffset + o, 8);
    const compressed = dvh.getUint32(0, true);
    const uncompressed = dvh.getUint32(4, true);
    if (o + 8 + compressed > len) {
      throw new TruncatedError(`compressed size ${compressed} but only ${len - o - 8} bytes remain`, { where: `${where}: byte ${o}`, hint: 'The file is cut short; re-export it.' });
    }
    if (uncompressed !== need) {
      throw new FormatError(`uncompressed size ${uncompressed} ≠ ${n} points × ${pointSize} bytes = ${need}`, {
        where: `${where}: byte ${o + 4}`, hint: 'POINTS/SIZE/COUNT disagree with the compressed block; the header or data is corrupt.',
      });
    }
    // an LZF token of at most 3 bytes yields at most 264 bytes: reject forged sizes before allocating
    if (need > compressed * 88 + 32) {
      throw new FormatError(`${compressed} compressed bytes cannot expand to ${need} bytes`, { where: `${where}: byte ${o}`, hint: 'POINTS or the size prefix is corrupt.' });
    }
    data = lzfDecompress(bytes.subarray(o + 8, o + 8 + compressed), need, `${where}: binary_compressed data`);
    dataStart = 0;
  }
  const { builder, slots } = makeSlots(h, where);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const soa = h.data === 'binary_compressed';
  let fieldOffset = 0; // AoS: offset within a point; SoA: offset of the field's block
  for (let k = 0; k < h.fields.length; k++) {
    const f = h.fields[k];
    const get = getter(f);
    for (let c = 0; c < f.count; c++) {
      const slot = slots[k][c];
      const base = soa ? dataStart + fieldOffset + c * f.size : dataStart + fieldOffset + c * f.size;
      const step = soa ? f.size * f.count : pointSize;
      if (slot.kind === 'value') {
        for (let i = 0; i < n; i++) slot.set(i, get(dv, base + i * step));
      } else if (slot.kind === 'rgb') {
        for (let i = 0; i < n; i++) setRgb(slot, i, dv.getUint32(base + i * step, true));
      }
    }
    fieldOffset += soa ? f.size * f.count * n : f.size * f.count;
  }
  return builder.finish(organized);
}
