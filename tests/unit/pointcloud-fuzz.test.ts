/**
 * Seeded mutation fuzzing of every point-cloud reader: bit flips, byte insert/delete, truncation,
 * header number edits, chunk duplication. Every outcome is a consistent PointCloud or a TesseraError;
 * each parse is fast (no hang) and no forged count leads to a large allocation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '@/lib/errors';
import { finishCloud, readPointCloud, readRawLabels, readRawPoints, writePly, type PointCloud } from '@/lib/formats/pointcloud';
import { makeLas, makePcd, makePlyWithFaces, packRgbFloat } from '../fixtures/pointcloud/make';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FORGED = ['0', '1', '4294967295', '2147483648', '99999999999', '-1', '65535', '3.5', 'nan', '1e308', ''];

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const ri = (n: number) => Math.floor(r() * n);
  const headerLen = Math.min(src.length, 400);
  switch (ri(7)) {
    case 0: { // bit flips, biased to the header
      const b = src.slice();
      const flips = 1 + ri(8);
      for (let k = 0; k < flips; k++) {
        const i = r() < 0.6 ? ri(headerLen) : ri(b.length);
        b[i] ^= 1 << ri(8);
      }
      return b;
    }
    case 1: { // insert bytes
      const i = ri(src.length + 1);
      const ins = new Uint8Array(1 + ri(8)).map(() => ri(256));
      const b = new Uint8Array(src.length + ins.length);
      b.set(src.subarray(0, i));
      b.set(ins, i);
      b.set(src.subarray(i), i + ins.length);
      return b;
    }
    case 2: { // delete bytes
      const n = Math.min(src.length, 1 + ri(16));
      const i = ri(src.length - n + 1);
      const b = new Uint8Array(src.length - n);
      b.set(src.subarray(0, i));
      b.set(src.subarray(i + n).subarray(0, b.length - i), i);
      return b;
    }
    case 3: // truncate
      return src.slice(0, ri(src.length));
    case 4: { // replace a number in the header text with a forged one
      const text = new TextDecoder('latin1').decode(src.subarray(0, headerLen));
      const nums = [...text.matchAll(/\d+(\.\d+)?/g)];
      if (nums.length === 0) return src.slice();
      const m = nums[ri(nums.length)];
      const rep = new TextEncoder().encode(FORGED[ri(FORGED.length)]);
      const at = m.index!;
      const b = new Uint8Array(src.length - m[0].length + rep.length);
      b.set(src.subarray(0, at));
      b.set(rep, at);
      b.set(src.subarray(at + m[0].length), at + rep.length);
      return b;
    }
    case 5: { // forge a 32-bit little-endian field anywhere in the first 256 bytes (binary headers)
      const b = src.slice();
      const i = ri(Math.max(1, Math.min(b.length - 4, 256)));
      if (i + 4 <= b.length) new DataView(b.buffer).setUint32(i, [0xffffffff, 0x7fffffff, 0x10000000, 0, 1][ri(5)], true);
      return b;
    }
    default: { // duplicate a chunk
      const i = ri(src.length);
      const n = Math.min(src.length - i, 1 + ri(64));
      const b = new Uint8Array(src.length + n);
      b.set(src.subarray(0, i + n));
      b.set(src.subarray(i), i + n);
      return b;
    }
  }
}

function checkCloud(pc: PointCloud, inputBytes: number): void {
  expect(Number.isInteger(pc.count) && pc.count >= 0).toBe(true);
  // compressed formats expand at most ~88× (LZF) / 64× (LAZ bound); nothing may exceed that
  expect(pc.count).toBeLessThanOrEqual(100 * inputBytes + 1);
  expect(pc.positions).toBeInstanceOf(Float32Array);
  expect(pc.positions.length).toBe(3 * pc.count);
  if (pc.colors) expect(pc.colors.length).toBe(3 * pc.count);
  if (pc.normals) expect(pc.normals.length).toBe(3 * pc.count);
  if (pc.intensity) expect(pc.intensity.length).toBe(pc.count);
  if (pc.valid) expect(pc.valid.length).toBe(pc.count);
  for (const a of Object.values(pc.labels ?? {})) expect(a.length).toBe(pc.count);
  for (const a of Object.values(pc.extra ?? {})) expect(a.length).toBe(pc.count);
  if (pc.organized) expect(pc.organized.width * pc.organized.height).toBe(pc.count);
  for (let k = 0; k < 3; k++) expect(pc.bounds.min[k] <= pc.bounds.max[k]).toBe(true);
}

interface Stats { ok: number; errors: number; maxMs: number }

function fuzz(seeds: { bytes: Uint8Array; name: string }[], iterations: number, seed: number, parse: (b: Uint8Array, name: string) => PointCloud | Int32Array): Stats {
  const r = mulberry32(seed);
  const stats: Stats = { ok: 0, errors: 0, maxMs: 0 };
  const baseAB = process.memoryUsage().arrayBuffers;
  for (let it = 0; it < iterations; it++) {
    const s = seeds[it % seeds.length];
    let bytes = mutate(s.bytes, r);
    if (r() < 0.2) bytes = mutate(bytes, r);
    const t0 = performance.now();
    let out: PointCloud | Int32Array | undefined;
    try {
      out = parse(bytes, s.name);
    } catch (e) {
      if (!(e instanceof TesseraError)) {
        throw new Error(`iteration ${it} (${s.name}): non-Tessera exception ${String(e)}`, { cause: e });
      }
      expect(e.where).toBeTruthy();
    }
    const ms = performance.now() - t0;
    stats.maxMs = Math.max(stats.maxMs, ms);
    expect(ms, `iteration ${it} (${s.name}) took ${ms} ms`).toBeLessThan(1500);
    if (out === undefined) stats.errors++;
    else {
      stats.ok++;
      if (!(out instanceof Int32Array)) checkCloud(out, bytes.length);
    }
    if (it % 64 === 0) expect(process.memoryUsage().arrayBuffers - baseAB).toBeLessThan(512 * 1024 * 1024);
  }
  return stats;
}

function cloud(n: number, seed: number): PointCloud {
  const r = mulberry32(seed);
  return finishCloud({
    positions: new Float32Array(3 * n).map(() => r() * 10 - 5),
    normals: new Float32Array(3 * n).map(() => r()),
    colors: new Uint8Array(3 * n).map(() => Math.floor(r() * 256)),
    count: n,
  });
}
const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 7);

describe('fuzz: every outcome is a PointCloud or a TesseraError', () => {
  it('PLY (ascii, LE, BE, with faces, a real ShapeNet file): 1200 mutations', () => {
    const c = cloud(30, 1);
    const seeds = [
      ...(['ascii', 'binary_little_endian', 'binary_big_endian'] as const).map((format) => ({ bytes: writePly(c, { format, instance: ids(30), classId: ids(30) }), name: 'a.ply' })),
      ...(['ascii', 'binary_little_endian', 'binary_big_endian'] as const).map((f) => ({ bytes: makePlyWithFaces(f).bytes, name: 'm.ply' })),
      { bytes: new Uint8Array(readFileSync(join(__dirname, '../../../shared/data/pointclouds/shapenetpart_cap/shapenetpart_cap_test_01.ply'))), name: 'real.ply' },
    ];
    const s = fuzz(seeds, 1200, 11, readPointCloud);
    expect(s.ok).toBeGreaterThan(50);
    expect(s.errors).toBeGreaterThan(50);
  });

  it('PCD (ascii, binary, binary_compressed; organised with NaN, rgb, padding): 1200 mutations', () => {
    const fields = [
      { name: 'x', size: 4, type: 'F' }, { name: 'y', size: 4, type: 'F' }, { name: 'z', size: 4, type: 'F' },
      { name: 'rgb', size: 4, type: 'F' }, { name: '_', size: 1, type: 'U', count: 4 }, { name: 'label', size: 2, type: 'U' },
    ] as const;
    const r = mulberry32(5);
    const values = Array.from({ length: 24 }, (_, i) => [
      i === 3 ? NaN : Math.fround(r()), Math.fround(r()), Math.fround(r()), packRgbFloat(i, 2 * i, 3 * i), 0, 0, 0, 0, i % 5,
    ]);
    const seeds = (['ascii', 'binary', 'binary_compressed'] as const).map((data) => ({
      bytes: makePcd({ fields: fields.map((f) => ({ ...f })), width: 6, height: 4, values, data }), name: 'a.pcd',
    }));
    const s = fuzz(seeds, 1200, 12, readPointCloud);
    expect(s.ok).toBeGreaterThan(50);
    expect(s.errors).toBeGreaterThan(50);
  });

  it('LAS (point formats 0 and 2; flips reach the LAZ path too): 600 mutations', () => {
    const pts = Array.from({ length: 20 }, (_, i) => ({ x: i, y: -i, z: i / 2, intensity: i * 100, classification: i % 10, rgb: [i * 256, 0, 65535] as [number, number, number] }));
    const seeds = ([0, 2] as const).map((format) => ({ bytes: makeLas(pts, { format, scale: [0.01, 0.01, 0.01], offset: [100, 200, 0] }), name: 'a.las' }));
    const s = fuzz(seeds, 600, 13, readPointCloud);
    expect(s.ok).toBeGreaterThan(20);
    expect(s.errors).toBeGreaterThan(20);
  });

  it('XYZ / CSV text: 600 mutations', () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const seeds = [
      { bytes: enc('# comment\nx y z r g b label\n' + Array.from({ length: 20 }, (_, i) => `${i} ${i / 3} ${-i} ${i * 10} 5 6 ${i % 3}`).join('\n') + '\n'), name: 'a.txt' },
      { bytes: enc('X,Y,Z,intensity\r\n' + Array.from({ length: 20 }, (_, i) => `${i}.5,${i},-${i}e-3,${i}`).join('\r\n')), name: 'a.csv' },
      { bytes: enc(Array.from({ length: 20 }, (_, i) => `${i} ${i} ${i}`).join('\n')), name: 'a.xyz' },
    ];
    const s = fuzz(seeds, 600, 14, readPointCloud);
    expect(s.ok).toBeGreaterThan(50);
    expect(s.errors).toBeGreaterThan(20);
  });

  it('raw arrays: 400 mutations', () => {
    const pts = new Uint8Array(new Float32Array(60).map((_, i) => i * 0.5).buffer);
    const labels = new Uint8Array(new BigInt64Array(10).map((_, i) => BigInt(i)).buffer);
    const s1 = fuzz([{ bytes: pts, name: 'p.bin' }], 200, 15, (b) => readRawPoints(b, { stride: 6, dtype: 'float32', fields: ['x', 'y', 'z', 'r', 'g', 'b'] }));
    const s2 = fuzz([{ bytes: labels, name: 'l.bin' }], 200, 16, (b) => readRawLabels(b, 'int64'));
    expect(s1.ok + s2.ok).toBeGreaterThan(20);
    expect(s1.errors + s2.errors).toBeGreaterThan(20);
  });
});
