/** Writers and generated fixtures read back exactly: PLY (ascii/LE/BE), PCD (3 encodings), text, LAS 0/2, LZF. */
import { describe, expect, it } from 'vitest';
import {
  finishCloud, lzfCompress, lzfDecompress, parsePlyHeader, readLas, readPcd, readPly, readPointCloud, readXyz, writePly,
  type PointCloud,
} from '@/lib/formats/pointcloud';
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

function randomCloud(n: number, seed: number): PointCloud {
  const r = mulberry32(seed);
  const positions = new Float32Array(3 * n).map(() => (r() - 0.5) * 200);
  const normals = new Float32Array(3 * n).map(() => r() * 2 - 1);
  const colors = new Uint8Array(3 * n).map(() => Math.floor(r() * 256));
  positions[3 * 5 + 1] = NaN; // a no-return point is kept
  return finishCloud({ positions, count: n, normals, colors });
}

describe('PLY writer → reader', () => {
  const n = 257;
  const cloud = randomCloud(n, 1);
  const r = mulberry32(2);
  const instance = Int32Array.from({ length: n }, () => Math.floor(r() * 50) - 1);
  const classId = Int32Array.from({ length: n }, () => Math.floor(r() * 2 ** 31) * (r() < 0.5 ? -1 : 1));
  for (const format of ['ascii', 'binary_little_endian', 'binary_big_endian'] as const) {
    it(`${format}: positions, normals, colours, instance and class preserved in order`, () => {
      const bytes = writePly(cloud, { instance, classId, format });
      expect(parsePlyHeader(bytes).format).toBe(format);
      const back = readPly(bytes);
      expect(back.count).toBe(n);
      expect(Array.from(back.positions)).toEqual(Array.from(cloud.positions)); // NaN-aware equality
      expect(back.normals).toEqual(cloud.normals);
      expect(back.colors).toEqual(cloud.colors);
      expect(back.labels!.instance).toEqual(instance);
      expect(back.labels!.class).toEqual(classId);
      expect(back.valid![5]).toBe(0);
      expect(back.valid!.reduce((a, v) => a + v, 0)).toBe(n - 1);
      expect(back.bounds).toEqual(cloud.bounds);
    });
  }
  it('defaults to binary little-endian and writes only xyz for a bare cloud', () => {
    const bare = finishCloud({ positions: new Float32Array([1, 2, 3, -1, -2, -3]), count: 2 });
    const bytes = writePly(bare);
    const h = parsePlyHeader(bytes);
    expect(h.format).toBe('binary_little_endian');
    expect(h.elements[0].properties.map((p) => p.name)).toEqual(['x', 'y', 'z']);
    expect(bytes.length).toBe(h.dataOffset + 24);
    expect(readPly(bytes).positions).toEqual(bare.positions);
  });
  it('rejects label arrays of the wrong length', () => {
    expect(() => writePly(cloud, { instance: new Int32Array(3) })).toThrow(/options.instance|3 values/);
  });
  it('an empty cloud round-trips', () => {
    const empty = finishCloud({ positions: new Float32Array(0), count: 0 });
    for (const format of ['ascii', 'binary_little_endian'] as const) {
      const back = readPly(writePly(empty, { format, instance: new Int32Array(0) }));
      expect(back.count).toBe(0);
      expect(back.bounds).toEqual({ min: [0, 0, 0], max: [0, 0, 0] });
    }
  });
});

describe('PLY elements other than vertex are skipped', () => {
  for (const format of ['ascii', 'binary_little_endian', 'binary_big_endian'] as const) {
    it(format, () => {
      const { bytes, xyz, label } = makePlyWithFaces(format);
      const pc = readPointCloud(bytes, 'mesh.ply');
      expect(pc.count).toBe(4);
      expect(Array.from(pc.positions)).toEqual(xyz.flat());
      expect(Array.from(pc.labels!.label)).toEqual(label);
      expect(Array.from(pc.extra!.curvature)).toEqual([0.5, 0.5, 0.5, 0.5]);
      expect(pc.extra!.curvature).toBeInstanceOf(Float32Array);
    });
  }
  it('maps diffuse_* colours, float colours, scalar_intensity, scalar_label and unknown properties', () => {
    const text = [
      'ply', 'format ascii 1.0', 'element vertex 2',
      'property float x', 'property float y', 'property float z',
      'property float diffuse_red', 'property float diffuse_green', 'property float diffuse_blue',
      'property float scalar_intensity', 'property float scalar_label', 'property uint timestamp', 'property short tag',
      'end_header', '1 2 3 1 0.5 0 0.25 4 4000000000 -7', '4 5 6 0 0 1 0.75 9 5 8', '',
    ].join('\r\n');
    const pc = readPly(new TextEncoder().encode(text));
    expect(Array.from(pc.colors!)).toEqual([255, 128, 0, 0, 0, 255]);
    expect(Array.from(pc.intensity!)).toEqual([0.25, 0.75]);
    expect(Array.from(pc.labels!.label)).toEqual([4, 9]);
    expect(pc.extra!.timestamp).toBeInstanceOf(Float32Array);
    expect(pc.extra!.timestamp[0]).toBe(4e9);
    expect(Array.from(pc.extra!.tag)).toEqual([-7, 8]);
  });
});

describe('PCD encodings', () => {
  const fields = [
    { name: 'x', size: 4, type: 'F' }, { name: 'y', size: 4, type: 'F' }, { name: 'z', size: 4, type: 'F' },
    { name: '_', size: 1, type: 'U', count: 4 },
    { name: 'rgb', size: 4, type: 'F' },
    { name: 'normal_x', size: 4, type: 'F' }, { name: 'normal_y', size: 4, type: 'F' }, { name: 'normal_z', size: 4, type: 'F' },
    { name: 'label', size: 4, type: 'U' },
    { name: 'intensity', size: 2, type: 'U' },
    { name: 'hist', size: 8, type: 'F', count: 2 },
  ] as const;
  const W = 4;
  const H = 3;
  const r = mulberry32(7);
  const rgb: [number, number, number][] = [];
  const values: number[][] = [];
  for (let i = 0; i < W * H; i++) {
    const c: [number, number, number] = [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)];
    rgb.push(c);
    const nan = i === 2 || i === 7;
    values.push([
      nan ? NaN : Math.fround(r() * 10), nan ? NaN : Math.fround(r() * 10), nan ? NaN : Math.fround(r() * 10),
      0, 0, 0, 0,
      packRgbFloat(...c),
      Math.fround(r()), Math.fround(r()), Math.fround(r()),
      i * 3, 100 + i, r(), -r(),
    ]);
  }
  for (const data of ['ascii', 'binary', 'binary_compressed'] as const) {
    it(`${data}: organised 4×3 with NaNs, padding, packed rgb, normals, label, COUNT 2`, () => {
      const bytes = makePcd({ fields: fields.map((f) => ({ ...f })), width: W, height: H, values, data });
      const pc = readPointCloud(bytes, 'cloud.pcd');
      expect(pc.count).toBe(12);
      expect(pc.organized).toEqual({ width: W, height: H });
      expect(Array.from(pc.valid!)).toEqual(values.map((_, i) => (i === 2 || i === 7 ? 0 : 1)));
      expect(Array.from(pc.positions)).toEqual(values.flatMap((v) => v.slice(0, 3)));
      expect(Array.from(pc.colors!)).toEqual(rgb.flat());
      expect(Array.from(pc.normals!)).toEqual(values.flatMap((v) => v.slice(8, 11)));
      expect(Array.from(pc.labels!.label)).toEqual(values.map((v) => v[11]));
      expect(Array.from(pc.intensity!)).toEqual(values.map((v) => v[12]));
      expect(Array.from(pc.extra!.hist_0)).toEqual(values.map((v) => Math.fround(v[13])));
      expect(Array.from(pc.extra!.hist_1)).toEqual(values.map((v) => Math.fround(v[14])));
      expect(Object.keys(pc.extra!).sort()).toEqual(['hist_0', 'hist_1']);
    });
  }
  it('uint32 rgba colours (binary) and an unorganised cloud has no `valid` when all points are finite', () => {
    const bytes = makePcd({
      fields: [{ name: 'x', size: 4, type: 'F' }, { name: 'y', size: 4, type: 'F' }, { name: 'z', size: 4, type: 'F' }, { name: 'rgba', size: 4, type: 'U' }],
      width: 2, values: [[1, 2, 3, 0xff102030], [4, 5, 6, 0x00a0b0c0]], data: 'binary',
    });
    const pc = readPcd(bytes);
    expect(Array.from(pc.colors!)).toEqual([0x10, 0x20, 0x30, 0xa0, 0xb0, 0xc0]);
    expect(pc.valid).toBeUndefined();
    expect(pc.organized).toBeUndefined();
  });
});

describe('XYZ / CSV / TXT', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('whitespace, no header: 6 columns → xyz rgb; comments skipped', () => {
    const pc = readPointCloud(enc('# scan\n// another\n1 2 3 255 0 10\n\n4 5 6 0 128 255\n'), 'a.xyz');
    expect(Array.from(pc.positions)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(pc.colors!)).toEqual([255, 0, 10, 0, 128, 255]);
  });
  it('CSV with a header of column names, float colours in [0,1], labels', () => {
    const pc = readPointCloud(enc('X,Y,Z,R,G,B,Nx,Ny,Nz,intensity,instance,semantic\r\n1,2,3,1,0.5,0,0,0,1,7,3,12\r\n-1,-2,-3,0,0,0.25,1,0,0,8,4,13\r\n'), 'a.csv');
    expect(pc.count).toBe(2);
    expect(Array.from(pc.colors!)).toEqual([255, 128, 0, 0, 0, 64]);
    expect(Array.from(pc.normals!)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(Array.from(pc.intensity!)).toEqual([7, 8]);
    expect(Array.from(pc.labels!.instance)).toEqual([3, 4]);
    expect(Array.from(pc.labels!.semantic)).toEqual([12, 13]);
    expect(pc.bounds).toEqual({ min: [-1, -2, -3], max: [1, 2, 3] });
  });
  it('.pts count line, 7 columns x y z i r g b (Semantic3D), nan kept as invalid', () => {
    const pc = readPointCloud(enc('2\n1 2 3 -1200 10 20 30\nnan nan nan 0 0 0 0\n'), 'a.pts');
    expect(pc.count).toBe(2);
    expect(Array.from(pc.intensity!)).toEqual([-1200, 0]);
    expect(Array.from(pc.colors!)).toEqual([10, 20, 30, 0, 0, 0]);
    expect(Array.from(pc.valid!)).toEqual([1, 0]);
    expect(pc.bounds).toEqual({ min: [1, 2, 3], max: [1, 2, 3] });
  });
  it('explicit columns override', () => {
    const pc = readXyz(enc('1 2 3 4\n'), { columns: ['z', 'y', 'x', 'label'] });
    expect(Array.from(pc.positions)).toEqual([3, 2, 1]);
    expect(Array.from(pc.labels!.label)).toEqual([4]);
  });
});

describe('LAS 1.2 (fixtures written by tests/fixtures/pointcloud/make.ts)', () => {
  const pts = [
    { x: 500000.25, y: 4200000.5, z: 12.345, intensity: 100, classification: 2, rgb: [65535, 0, 256] as [number, number, number] },
    { x: 500010.75, y: 4200020.125, z: -3.5, intensity: 65535, classification: 6 | 0x40, rgb: [0, 32768, 65280] as [number, number, number] },
    { x: 500005, y: 4200010, z: 0, intensity: 0, classification: 9, rgb: [512, 1024, 2048] as [number, number, number] },
  ];
  const scale: [number, number, number] = [0.001, 0.001, 0.001];
  const offset: [number, number, number] = [500000, 4200000, 0];
  for (const format of [0, 2] as const) {
    it(`point format ${format}: count, scaled coordinates, intensity, class${format === 2 ? ', colours' : ''}`, () => {
      const bytes = makeLas(pts, { format, scale, offset });
      const pc = readPointCloud(bytes, `a.${format === 0 ? 'las' : 'LAS'}`);
      expect(pc.count).toBe(3);
      pts.forEach((p, i) => {
        expect(pc.positions[3 * i]).toBe(Math.fround(p.x));
        expect(pc.positions[3 * i + 1]).toBe(Math.fround(p.y));
        expect(pc.positions[3 * i + 2]).toBe(Math.fround(p.z));
      });
      expect(Array.from(pc.intensity!)).toEqual([100, 65535, 0]);
      expect(Array.from(pc.labels!.class)).toEqual([2, 6, 9]); // flag bits stripped
      if (format === 2) expect(Array.from(pc.colors!)).toEqual([255, 0, 1, 0, 128, 255, 2, 4, 8]);
      else expect(pc.colors).toBeUndefined();
    });
  }
  it('a larger file (250k points, more than one decoder batch) keeps every point', () => {
    const n = 250_000;
    const many = Array.from({ length: n }, (_, i) => ({ x: i * 0.01, y: -i * 0.02, z: i % 100, intensity: i & 0xffff, classification: i % 20 }));
    const pc = readLas(makeLas(many, { format: 0, scale: [0.01, 0.01, 0.01], offset: [0, 0, 0] }));
    expect(pc.count).toBe(n);
    expect(pc.positions[3 * (n - 1)]).toBe(Math.fround((n - 1) * 0.01));
    expect(pc.labels!.class[n - 1]).toBe((n - 1) % 20);
    expect(pc.bounds.max[2]).toBe(99);
  });
});

describe('LZF', () => {
  it('compress → decompress is the identity on random, repetitive and empty input', () => {
    const r = mulberry32(3);
    const inputs = [
      new Uint8Array(0),
      new Uint8Array(5000).map(() => Math.floor(r() * 256)),
      new Uint8Array(100000).map((_, i) => (i % 300 < 280 ? 7 : i & 0xff)),
      new Uint8Array(70000).map((_, i) => Math.floor(i / 1000) & 3),
    ];
    for (const input of inputs) {
      const c = lzfCompress(input);
      expect(lzfDecompress(c, input.length)).toEqual(input);
    }
    expect(lzfCompress(inputs[2]).length).toBeLessThan(inputs[2].length / 10);
  });
  it('decodes a hand-made stream with an overlapping back-reference', () => {
    // literal "ab" then copy 6 bytes from distance 2 → "abababab"
    expect(Array.from(lzfDecompress(new Uint8Array([1, 97, 98, (4 << 5) | 0, 1]), 8))).toEqual([97, 98, 97, 98, 97, 98, 97, 98]);
  });
});
