/**
 * Acceptance of the committed PointNet++ instance model (models/pointnet-scenes) on the CPU twins:
 * (a) AP@0.5 ≥ 0.8 on held-out generated scenes (validation seeds, default generator options: 6–12
 *     objects, ≥ 2 touching pairs, default camera / density / noise — none of it seen in training);
 * (b) the real PCL tabletop scan: every hand-measured object box (tests/fixtures/milk_cartoon_boxes.json,
 *     measured independently of the pipeline) is ≥ 80 % one instance, a different one per box, and
 *     floor-plane points belong to no instance.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPointCloud } from '../../lib/formats/pointcloud';
import { segmentPoints } from '../../lib/pointnet/model';
import { VALIDATION_SEED_START, generateScene } from '../../lib/synth/scenes';
import { apCounts, committedModel } from './pointnet-model-helpers';

const HELD_OUT = [0, 1, 2, 3, 4, 5].map((k) => VALIDATION_SEED_START + 500 + k);

describe('PointNet++ instance model — held-out generated scenes', () => {
  it('AP@0.5 ≥ 0.8 over 6 held-out scenes (≥ 6 objects, ≥ 2 touching)', () => {
    const model = committedModel();
    let tp = 0, fp = 0, fn = 0;
    const per: string[] = [];
    for (const seed of HELD_OUT) {
      const scene = generateScene({ seed, kind: 'tabletop' });
      expect(scene.split).toBe('validation');
      expect(scene.objects.length).toBeGreaterThanOrEqual(6);
      expect(scene.touching.length).toBeGreaterThanOrEqual(2);
      const seg = segmentPoints(scene.cloud, model);
      const c = apCounts(seg.instance, scene.instance);
      tp += c.tp; fp += c.fp; fn += c.fn;
      per.push(`${seed}: ${scene.objects.length} objects, TP ${c.tp} FP ${c.fp} FN ${c.fn}`);
    }
    const ap = tp / (tp + fp + fn);
    console.log(`held-out AP@0.5 = ${ap.toFixed(3)} (TP ${tp}, FP ${fp}, FN ${fn})\n  ${per.join('\n  ')}`);
    expect(ap).toBeGreaterThanOrEqual(0.8);
  });
});

interface Boxes {
  frame: { normal: number[]; d: number; x: number[]; y: number[] };
  planeTolerance: number;
  boxes: { name: string; min: number[]; max: number[] }[];
}

describe('PointNet++ instance model — real scan (PCL milk_cartoon_all_small_clorox.pcd)', () => {
  it('separates the three objects from the floor and from each other (hand-measured boxes)', () => {
    const fx = JSON.parse(readFileSync(new URL('../fixtures/milk_cartoon_boxes.json', import.meta.url), 'utf8')) as Boxes;
    const file = '../shared/data/pointclouds/pcl/milk_cartoon_all_small_clorox.pcd';
    const cloud = readPointCloud(new Uint8Array(readFileSync(file)), file);
    const seg = segmentPoints(cloud, committedModel());
    expect(seg.instance.length).toBe(cloud.count);
    const { normal: n, d, x, y } = fx.frame;
    const p = cloud.positions;
    const majority: number[] = [];
    const lines: string[] = [];
    let plane = 0, planeLabelled = 0;
    const inBox = fx.boxes.map(() => new Map<number, number>());
    for (let i = 0; i < cloud.count; i++) {
      const px = p[3 * i], py = p[3 * i + 1], pz = p[3 * i + 2];
      if (!Number.isFinite(px) || !Number.isFinite(py) || !Number.isFinite(pz)) {
        expect(seg.instance[i]).toBe(0);
        continue;
      }
      const t = [x[0] * px + x[1] * py + x[2] * pz, y[0] * px + y[1] * py + y[2] * pz, n[0] * px + n[1] * py + n[2] * pz + d];
      if (Math.abs(t[2]) < fx.planeTolerance) {
        plane++;
        if (seg.instance[i] !== 0) planeLabelled++;
      }
      fx.boxes.forEach((b, k) => {
        if (t.every((v, a) => v >= b.min[a] && v <= b.max[a])) inBox[k].set(seg.instance[i], (inBox[k].get(seg.instance[i]) ?? 0) + 1);
      });
    }
    fx.boxes.forEach((b, k) => {
      const total = [...inBox[k].values()].reduce((a, c) => a + c, 0);
      const [id, count] = [...inBox[k]].sort((u, v) => v[1] - u[1])[0];
      lines.push(`${b.name}: ${total} points, ${((100 * count) / total).toFixed(1)} % instance ${id}`);
      expect(total).toBeGreaterThan(1000);
      expect(id).toBeGreaterThan(0);
      expect(count / total).toBeGreaterThanOrEqual(0.8);
      majority.push(id);
    });
    console.log(`real scan: ${seg.instances.length} instances; floor points ${plane}, labelled ${planeLabelled}\n  ${lines.join('\n  ')}`);
    expect(new Set(majority).size).toBe(fx.boxes.length);
    expect(plane).toBeGreaterThan(100_000);
    expect(planeLabelled).toBe(0);
  });
});
