/**
 * Every file under ../shared/data/pointclouds reads with the right count and fields. References:
 * PLY counts from the header text and points decoded by hand with DataView; PCD and raw samples from
 * tests/fixtures/pointcloud/refs.json (numpy + a pure-Python LZF, see make_refs.py).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPointCloud, readRawLabels, readRawPoints, readScanNetLike, readSemanticKitti, splitSemanticKittiLabels } from '@/lib/formats/pointcloud';
import { UnsupportedFormatError } from '@/lib/errors';
import refs from '../fixtures/pointcloud/refs.json';

const D = join(__dirname, '../../../shared/data/pointclouds');
const read = (p: string) => new Uint8Array(readFileSync(join(D, p)));

describe('ShapeNetPart PLYs', () => {
  const files = readdirSync(join(D, 'shapenetpart_cap')).filter((f) => f.endsWith('.ply')).sort();
  it('has the 16 files', () => expect(files).toHaveLength(16));
  for (const f of files) {
    it(f, () => {
      const bytes = read(`shapenetpart_cap/${f}`);
      // independent: header text and manual decoding of records (3+3 float32 + uint8 = 25 bytes)
      const text = new TextDecoder('latin1').decode(bytes.subarray(0, 1000));
      const n = Number(/element vertex (\d+)/.exec(text)![1]);
      const dataStart = text.indexOf('end_header\n') + 'end_header\n'.length;
      expect(bytes.length).toBe(dataStart + 25 * n);
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      const pc = readPointCloud(bytes, f);
      expect(pc.count).toBe(n);
      expect(pc.positions.length).toBe(3 * n);
      expect(pc.normals?.length).toBe(3 * n);
      expect(pc.colors).toBeUndefined();
      expect(pc.valid).toBeUndefined();
      expect(Object.keys(pc.labels ?? {})).toEqual(['label']);
      const labels = pc.labels!.label;
      for (const i of [0, 1, Math.floor(n / 2), n - 1]) {
        const o = dataStart + 25 * i;
        for (let k = 0; k < 3; k++) {
          expect(pc.positions[3 * i + k]).toBe(dv.getFloat32(o + 4 * k, true));
          expect(pc.normals![3 * i + k]).toBe(dv.getFloat32(o + 12 + 4 * k, true));
        }
        expect(labels[i]).toBe(bytes[o + 24]);
      }
      let all67 = true;
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) {
        if (labels[i] !== bytes[dataStart + 25 * i + 24]) all67 = false;
        seen.add(labels[i]);
      }
      expect(all67).toBe(true);
      for (const v of seen) expect([6, 7]).toContain(v);
      // bounds over all points
      for (let k = 0; k < 3; k++) {
        let mn = Infinity;
        let mx = -Infinity;
        for (let i = 0; i < n; i++) {
          const v = dv.getFloat32(dataStart + 25 * i + 4 * k, true);
          mn = Math.min(mn, v);
          mx = Math.max(mx, v);
        }
        expect(pc.bounds.min[k]).toBe(mn);
        expect(pc.bounds.max[k]).toBe(mx);
      }
    });
  }
});

describe('PCL PCDs (binary_compressed)', () => {
  for (const name of ['bun0.pcd', 'milk.pcd', 'milk_cartoon_all_small_clorox.pcd'] as const) {
    it(name, () => {
      const ref = refs[name];
      const pc = readPointCloud(read(`pcl/${name}`), name);
      expect(pc.count).toBe(ref.count);
      let valid = 0;
      const sum = [0, 0, 0];
      for (let i = 0; i < pc.count; i++) {
        if (pc.valid && !pc.valid[i]) {
          expect(Number.isNaN(pc.positions[3 * i]) || Number.isNaN(pc.positions[3 * i + 1]) || Number.isNaN(pc.positions[3 * i + 2])).toBe(true);
          continue;
        }
        valid++;
        for (let k = 0; k < 3; k++) sum[k] += pc.positions[3 * i + k];
      }
      expect(valid).toBe(ref.valid);
      for (let k = 0; k < 3; k++) {
        expect(pc.bounds.min[k]).toBe(ref.min[k]);
        expect(pc.bounds.max[k]).toBe(ref.max[k]);
        expect(sum[k]).toBeCloseTo(ref.sum[k], 6);
      }
      const firstValid = pc.valid ? pc.valid.indexOf(1) : 0;
      expect(Array.from(pc.positions.subarray(3 * firstValid, 3 * firstValid + 3))).toEqual(ref.first);
      if ('rgbSum' in ref) {
        expect(pc.colors).toBeDefined();
        const cs = [0, 0, 0];
        for (let i = 0; i < pc.count; i++) for (let k = 0; k < 3; k++) cs[k] += pc.colors![3 * i + k];
        expect(cs).toEqual(ref.rgbSum);
      } else expect(pc.colors).toBeUndefined();
    });
  }
  it('organised scene keeps 640×480 and flags the 65,793 NaN points', () => {
    const pc = readPointCloud(read('pcl/milk_cartoon_all_small_clorox.pcd'), 'scene.pcd');
    expect(pc.organized).toEqual({ width: 640, height: 480 });
    expect(pc.count).toBe(307200);
    expect(pc.valid!.length).toBe(307200);
    expect(pc.valid!.reduce((a, v) => a + v, 0)).toBe(241407);
  });
});

describe('format_samples (headerless arrays)', () => {
  const fs = 'format_samples';
  for (const [scene, tag] of [['scannet', 'scene0000_00'], ['s3dis', 'Area_1_office_2']] as const) {
    it(`${scene}: 100 points xyz+rgb with instance/semantic masks`, () => {
      const ref = refs[scene];
      const pc = readScanNetLike(read(`${fs}/test_${scene}_points_${tag}.bin`), {
        instance: read(`${fs}/test_${scene}_instance_mask_${tag}.bin`),
        semantic: read(`${fs}/test_${scene}_semantic_mask_${tag}.bin`),
      });
      expect(pc.count).toBe(100);
      expect(Array.from(pc.positions.subarray(0, 3))).toEqual(ref.first.slice(0, 3));
      expect(Array.from(pc.colors!.subarray(0, 3))).toEqual(ref.first.slice(3));
      expect(pc.bounds.min).toEqual(ref.min);
      expect(pc.bounds.max).toEqual(ref.max);
      expect(Array.from(pc.labels!.instance)).toEqual(ref.instance);
      expect(Array.from(pc.labels!.semantic)).toEqual(ref.semantic);
      // the generic raw reader agrees
      const raw = readRawPoints(read(`${fs}/test_${scene}_points_${tag}.bin`), { stride: 6, dtype: 'float32', fields: ['x', 'y', 'z', 'r', 'g', 'b'] });
      expect(raw.positions).toEqual(pc.positions);
      expect(raw.colors).toEqual(pc.colors);
    });
  }
  it('semantickitti: 50 points x,y,z,intensity; uint32 labels split instance<<16|semantic', () => {
    const ref = refs.semantickitti;
    const vel = read(`${fs}/test_semantickitti_sequences_00_velodyne_000000.bin`);
    const lab = read(`${fs}/test_semantickitti_sequences_00_labels_000000.label`);
    const pc = readSemanticKitti(vel, lab);
    expect(pc.count).toBe(50);
    expect(Array.from(pc.positions.subarray(0, 3))).toEqual(ref.first.slice(0, 3));
    expect(pc.intensity![0]).toBe(ref.first[3]);
    expect(pc.intensity!.reduce((a, v) => a + v, 0)).toBeCloseTo(ref.intensitySum, 4);
    expect(Array.from(pc.labels!.instance)).toEqual(ref.instance);
    expect(Array.from(pc.labels!.semantic)).toEqual(ref.semantic);
    const split = splitSemanticKittiLabels(readRawLabels(lab, 'uint32'));
    expect(Array.from(split.semantic)).toEqual(ref.semantic);
  });
  it('readPointCloud refuses .bin with a pointer to the raw readers', () => {
    let caught: unknown;
    try {
      readPointCloud(read(`${fs}/test_semantickitti_sequences_00_velodyne_000000.bin`), 'x.bin');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnsupportedFormatError);
    expect((caught as UnsupportedFormatError).hint).toMatch(/readRawPoints/);
  });
});
