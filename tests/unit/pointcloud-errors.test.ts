/** Malformed point-cloud inputs give the right typed error, with where and hint; never null. */
import { describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, TesseraError, TruncatedError, UnsupportedFormatError } from '@/lib/errors';
import {
  finishCloud, lzfDecompress, readLas, readPcd, readPly, readPointCloud, readRawLabels, readRawPoints, readXyz, withLabels, writePly,
} from '@/lib/formats/pointcloud';
import { makeLas, makePcd } from '../fixtures/pointcloud/make';

type Cls = abstract new (...args: never[]) => TesseraError;
function expectThrows(fn: () => unknown, cls: Cls, where?: RegExp): TesseraError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  const err = caught as TesseraError;
  expect(err.where).toBeTruthy();
  expect(err.hint).toBeTruthy();
  if (where) expect(err.where).toMatch(where);
  return err;
}

const enc = (s: string) => new TextEncoder().encode(s);
const cat = (a: Uint8Array, b: Uint8Array) => {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
};
const plyHead = (fmt: string, n: number | string, props = ['float x', 'float y', 'float z']) =>
  `ply\nformat ${fmt} 1.0\nelement vertex ${n}\n${props.map((p) => `property ${p}`).join('\n')}\nend_header\n`;

describe('PLY', () => {
  it('not PLY / no end_header / unknown keyword / bad property type', () => {
    expectThrows(() => readPly(enc('plx\n')), FormatError, /byte 0/);
    expectThrows(() => readPly(enc('ply\nformat ascii 1.0\nelement vertex 1\n')), TruncatedError, /header/);
    expectThrows(() => readPly(cat(enc('ply\n'), new Uint8Array(5 * 1024 * 1024).fill(0x41))), FormatError, /header/);
    expectThrows(() => readPly(enc('ply\nformat ascii 1.0\nvertices 3\nend_header\n')), FormatError, /line 3/);
    expectThrows(() => readPly(enc(plyHead('ascii', 1, ['float32 x', 'quad y', 'float z']))), FormatError, /line 5/);
    expectThrows(() => readPly(enc('ply\nelement vertex 0\nend_header\n')), FormatError);
    expectThrows(() => readPly(enc(plyHead('ascii', '-3'))), FormatError, /line 3/);
  });
  it('unsupported format variant', () => {
    expectThrows(() => readPly(enc(plyHead('binary_middle_endian', 1))), UnsupportedFormatError, /line 2/);
  });
  it('no vertex element, no x property', () => {
    expectThrows(() => readPly(enc('ply\nformat binary_little_endian 1.0\nelement face 0\nproperty list uchar int idx\nend_header\n')), FormatError);
    expectThrows(() => readPly(enc(plyHead('ascii', 1, ['float y', 'float z']) + '1 2\n')), FormatError, /vertex/);
  });
  it('binary: count larger than the data, including a forged 4e9 count (no huge allocation)', () => {
    const body = new Uint8Array(12 * 3);
    expectThrows(() => readPly(cat(enc(plyHead('binary_little_endian', 4)), body)), TruncatedError, /byte \d+/);
    const t0 = performance.now();
    expectThrows(() => readPly(cat(enc(plyHead('binary_big_endian', 4000000000)), body)), TruncatedError);
    expect(performance.now() - t0).toBeLessThan(100);
  });
  it('binary: a corrupt face list length before the vertices', () => {
    const head = enc('ply\nformat binary_little_endian 1.0\nelement face 1\nproperty list uint int idx\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n');
    const body = new Uint8Array(4 + 12 + 12);
    new DataView(body.buffer).setUint32(0, 0xfffffff0, true);
    expectThrows(() => readPly(cat(head, body)), TruncatedError, /byte/);
  });
  it('ascii: bad number, too few / too many values, missing lines — with the line number', () => {
    expect(expectThrows(() => readPly(enc(plyHead('ascii', 2) + '1 2 3\n4 five 6\n')), FormatError, /line 9/).message).toMatch(/five/);
    expectThrows(() => readPly(enc(plyHead('ascii', 2) + '1 2 3\n4 5\n')), FormatError, /line 9/);
    expectThrows(() => readPly(enc(plyHead('ascii', 2) + '1 2 3\n4 5 6 7\n')), FormatError, /line 9/);
    expectThrows(() => readPly(enc(plyHead('ascii', 3) + '1 2 3\n4 5 6\n\n')), TruncatedError, /line/);
    expectThrows(() => readPly(enc(plyHead('ascii', 1e9) + '1 2 3\n')), TruncatedError);
  });
  it('writer validates its inputs', () => {
    const c = finishCloud({ positions: new Float32Array(6), count: 2 });
    expectThrows(() => writePly(c, { classId: new Int32Array(1) }), ArgumentError, /classId/);
    expectThrows(() => writePly({ ...c, count: 3 }), ArgumentError, /positions/);
    expectThrows(() => writePly(c, { format: 'binary' as never }), ArgumentError, /format/);
  });
});

describe('PCD', () => {
  const xyz = [{ name: 'x', size: 4, type: 'F' }, { name: 'y', size: 4, type: 'F' }, { name: 'z', size: 4, type: 'F' }] as const;
  const good = (data: 'ascii' | 'binary' | 'binary_compressed') =>
    makePcd({ fields: xyz.map((f) => ({ ...f })), width: 3, values: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], data });
  const text = (b: Uint8Array) => new TextDecoder('latin1').decode(b);
  const edit = (b: Uint8Array, from: string | RegExp, to: string) => {
    const t = text(b);
    const headEnd = t.indexOf('DATA');
    return cat(enc(t.slice(0, headEnd).replace(from, to)), b.subarray(headEnd));
  };
  it('header errors', () => {
    expectThrows(() => readPcd(enc('VERSION 0.7\nFIELDS x y z\n')), TruncatedError, /header/);
    expectThrows(() => readPcd(edit(good('ascii'), 'SIZE 4 4 4', 'SIZE 4 4')), FormatError, /header/);
    expectThrows(() => readPcd(edit(good('ascii'), 'POINTS 3', 'POINTS 4')), FormatError, /header/);
    expectThrows(() => readPcd(edit(good('ascii'), 'WIDTH 3', 'WIDTH three')), FormatError, /line 7/);
    expectThrows(() => readPcd(edit(good('ascii'), 'FIELDS x y z', 'FIELDS a b c')), FormatError, /FIELDS/);
    expectThrows(() => readPcd(edit(good('ascii'), 'VIEWPOINT 0 0 0 1 0 0 0', 'VIEWPOINT 0 0')), FormatError, /line 9/);
    expectThrows(() => readPcd(edit(good('ascii'), 'VERSION', 'VERSON')), FormatError, /line 2/);
  });
  it('unsupported DATA / TYPE+SIZE', () => {
    const t = text(good('ascii')).replace('DATA ascii', 'DATA binary_lz4');
    expectThrows(() => readPcd(enc(t)), UnsupportedFormatError, /line 11/);
    expectThrows(() => readPcd(edit(good('ascii'), 'SIZE 4 4 4', 'SIZE 4 4 2')), UnsupportedFormatError);
  });
  it('binary: data shorter than POINTS × point size', () => {
    const b = good('binary');
    expectThrows(() => readPcd(b.subarray(0, b.length - 1)), TruncatedError, /byte/);
    expectThrows(() => readPcd(edit(edit(b, 'WIDTH 3', 'WIDTH 3000000000'), 'POINTS 3', 'POINTS 3000000000')), TruncatedError);
  });
  it('binary_compressed: truncated, size mismatch, forged sizes, corrupt stream', () => {
    const b = good('binary_compressed');
    expectThrows(() => readPcd(b.subarray(0, b.length - 2)), TruncatedError, /byte/);
    const hdrEnd = text(b).indexOf('DATA binary_compressed\n') + 'DATA binary_compressed\n'.length;
    expectThrows(() => readPcd(b.subarray(0, hdrEnd + 5)), TruncatedError);
    const wrongU = b.slice();
    new DataView(wrongU.buffer).setUint32(hdrEnd + 4, 40, true);
    expectThrows(() => readPcd(wrongU), FormatError, /byte/);
    const forged = edit(edit(b, 'WIDTH 3', 'WIDTH 300000000'), 'POINTS 3', 'POINTS 300000000');
    const fh = text(forged).indexOf('DATA binary_compressed\n') + 'DATA binary_compressed\n'.length;
    new DataView(forged.buffer).setUint32(fh + 4, 300000000 * 12, true);
    expectThrows(() => readPcd(forged), FormatError, /byte/);
    const corrupt = b.slice();
    corrupt[hdrEnd + 8] = 0xff; // first token becomes a back-reference before the output start
    expectThrows(() => readPcd(corrupt), FormatError, /compressed/);
  });
  it('ascii: bad number, ragged line, missing lines', () => {
    const t = text(good('ascii'));
    expectThrows(() => readPcd(enc(t.replace('4 5 6', '4 x 6'))), FormatError, /line 13/);
    expectThrows(() => readPcd(enc(t.replace('4 5 6', '4 5'))), FormatError, /line 13/);
    expectThrows(() => readPcd(enc(t.replace('7 8 9\n', ''))), TruncatedError, /line/);
  });
  it('LZF decoder rejects streams that overrun either buffer', () => {
    expectThrows(() => lzfDecompress(new Uint8Array([5, 1, 2]), 6), FormatError);
    expectThrows(() => lzfDecompress(new Uint8Array([2, 1, 2, 3]), 2), FormatError);
    expectThrows(() => lzfDecompress(new Uint8Array([0, 1, 0xe0]), 20), FormatError);
    expectThrows(() => lzfDecompress(new Uint8Array([0, 1]), 2), FormatError);
  });
});

describe('LAS', () => {
  const pts = [{ x: 1, y: 2, z: 3, intensity: 4, classification: 5 }, { x: 6, y: 7, z: 8, intensity: 9, classification: 1 }];
  const good = () => makeLas(pts, { format: 0, scale: [0.01, 0.01, 0.01], offset: [0, 0, 0] });
  it('truncated header / points', () => {
    expectThrows(() => readLas(good().subarray(0, 100)), TruncatedError, /header/);
    expectThrows(() => readLas(good().subarray(0, 227 + 30)), TruncatedError, /byte 227/);
    const forged = good();
    new DataView(forged.buffer).setUint32(107, 0xffffffff, true);
    expectThrows(() => readLas(forged), TruncatedError);
  });
  it('not LAS, unsupported version / point format', () => {
    expectThrows(() => readLas(enc('LASX' + ' '.repeat(300))), FormatError, /byte 0/);
    const v14 = good();
    v14[25] = 4;
    expectThrows(() => readLas(v14), UnsupportedFormatError, /byte 24/);
    const f6 = good();
    f6[104] = 6;
    expectThrows(() => readLas(f6), UnsupportedFormatError, /byte 104/);
  });
  it('inconsistent header fields', () => {
    const rec = good();
    new DataView(rec.buffer).setUint16(105, 12, true);
    expectThrows(() => readLas(rec), FormatError, /byte 105/);
    const off = good();
    new DataView(off.buffer).setUint32(96, 10, true);
    expectThrows(() => readLas(off), FormatError, /byte 94/);
    const sc = good();
    new DataView(sc.buffer).setFloat64(131, 0, true);
    expectThrows(() => readLas(sc), FormatError, /byte 131/);
  });
  it('a LAS flagged as compressed (garbage LAZ) becomes a FormatError', () => {
    const laz = good();
    laz[104] = 0x80;
    expectThrows(() => readPointCloud(laz, 'x.laz'), FormatError);
  });
});

describe('XYZ / raw / dispatch', () => {
  it('ragged rows and bad numbers name the line', () => {
    expect(expectThrows(() => readXyz(enc('# c\n1 2 3\n4 5 6\n7 8\n')), FormatError, /line 4/).message).toMatch(/2 values, expected 3/);
    expectThrows(() => readXyz(enc('x,y,z\n1,2,3\n1,,3\n')), FormatError, /line 3/);
    expectThrows(() => readXyz(enc('1 2 3\n4 5 0x10\n')), FormatError, /line 2/);
    expectThrows(() => readXyz(enc('# only comments\n\n')), FormatError, /line 1/);
    expectThrows(() => readXyz(enc('a b c\n1 2 3\n')), FormatError, /columns/);
  });
  it('raw arrays: bad layout is an ArgumentError, a partial record a FormatError', () => {
    expectThrows(() => readRawPoints(new Uint8Array(24), { stride: 0, dtype: 'float32', fields: [] }), ArgumentError, /stride/);
    expectThrows(() => readRawPoints(new Uint8Array(24), { stride: 3, dtype: 'int8' as never, fields: ['x', 'y', 'z'] }), ArgumentError, /dtype/);
    expectThrows(() => readRawPoints(new Uint8Array(24), { stride: 2, dtype: 'float32', fields: ['x', 'y', 'z'] }), ArgumentError, /fields/);
    expectThrows(() => readRawPoints(new Uint8Array(26), { stride: 3, dtype: 'float32', fields: ['x', 'y', 'z'] }), FormatError, /byte 24/);
    expectThrows(() => readRawPoints(new Uint8Array(24), { stride: 3, dtype: 'float32', fields: ['x', 'y'] }), FormatError, /fields/);
    expectThrows(() => readRawLabels(new Uint8Array(12), 'int64'), FormatError, /byte 8/);
    expectThrows(() => readRawLabels(new Uint8Array(8), 'uint16' as never), ArgumentError, /dtype/);
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigInt64(8, 2n ** 40n, true);
    expectThrows(() => readRawLabels(big, 'int64'), FormatError, /byte 8/);
    const neg = new Uint8Array(8);
    new DataView(neg.buffer).setBigInt64(0, -5n, true);
    expect(Array.from(readRawLabels(neg, 'int64'))).toEqual([-5]);
    const c = readRawPoints(new Uint8Array(24), { stride: 3, dtype: 'float32', fields: ['x', 'y', 'z'] });
    expectThrows(() => withLabels(c, { instance: new Int32Array(3) }), FormatError, /instance/);
  });
  it('unknown extension without a magic is UnsupportedFormatError', () => {
    expectThrows(() => readPointCloud(enc('1 2 3'), 'cloud.obj'), UnsupportedFormatError, /cloud.obj/);
    expectThrows(() => readPointCloud(enc('1 2 3'), 'noext'), UnsupportedFormatError);
    // magic wins over the extension
    expect(readPointCloud(enc(plyHead('ascii', 1) + '1 2 3\n'), 'mislabelled.txt').count).toBe(1);
  });
});
