import { describe, expect, it } from 'vitest';
import {
  CLASS_IDS, VALIDATION_SEED_START, backgroundDistance, generateScene, objectSdf, sampleObjectSurface, sceneSplit,
  type Scene, type V3,
} from '@/lib/synth/scenes';
import { readPly, writePly } from '@/lib/formats/pointcloud';
import { ArgumentError } from '@/lib/errors';

const small = { width: 160, height: 120 };
const pt = (s: Scene, i: number): V3 => [s.cloud.positions[3 * i], s.cloud.positions[3 * i + 1], s.cloud.positions[3 * i + 2]];

/** Camera-frame coordinates of a world point. */
function toCamera(s: Scene, p: V3): V3 {
  const R = s.camera.rotation, o = s.camera.position;
  const d = [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
  return [R[0] * d[0] + R[3] * d[1] + R[6] * d[2], R[1] * d[0] + R[4] * d[1] + R[7] * d[2], R[2] * d[0] + R[5] * d[1] + R[8] * d[2]];
}

describe('generateScene', () => {
  const clean = generateScene({ seed: 11, kind: 'tabletop', noise: 0, dropout: 0, objects: [6, 8], touching: 3, camera: small });
  const noisy = generateScene({ seed: 12, kind: 'tabletop', objects: [6, 8], touching: 2, camera: small });

  it('is deterministic per seed, and different seeds give different scenes', () => {
    const a = generateScene({ seed: 5, kind: 'tabletop', camera: small });
    const b = generateScene({ seed: 5, kind: 'tabletop', camera: small });
    const c = generateScene({ seed: 6, kind: 'tabletop', camera: small });
    expect(b.cloud.count).toBe(a.cloud.count);
    expect(b.cloud.positions).toEqual(a.cloud.positions);
    expect(b.cloud.colors).toEqual(a.cloud.colors);
    expect(b.instance).toEqual(a.instance);
    expect(b.objects).toEqual(a.objects);
    expect(c.cloud.positions.length === a.cloud.positions.length && c.cloud.positions.every((v, i) => v === a.cloud.positions[i])).toBe(false);
  });

  it('has ≥ 6 objects and ≥ the requested touching pairs, verified geometrically, with no interpenetration', () => {
    for (const s of [clean, noisy]) {
      expect(s.objects.length).toBeGreaterThanOrEqual(6);
      expect(s.touching.length).toBeGreaterThanOrEqual(s === clean ? 3 : 2);
    }
    const s = clean;
    const dense = s.objects.map((o) => sampleObjectSurface(o, 3000, o.id));
    const touching = new Set(s.touching.map(([a, b]) => `${a},${b}`));
    for (let i = 0; i < s.objects.length; i++) {
      for (let j = i + 1; j < s.objects.length; j++) {
        const A = s.objects[i], B = s.objects[j];
        let sdfGap = Infinity; // min signed distance of either object's surface points to the other object
        for (const p of dense[j]) sdfGap = Math.min(sdfGap, objectSdf(A, p));
        for (const p of dense[i]) sdfGap = Math.min(sdfGap, objectSdf(B, p));
        expect(sdfGap).toBeGreaterThan(-0.001); // no interpenetration beyond 1 mm
        if (touching.has(`${A.id},${B.id}`)) {
          expect(sdfGap).toBeLessThan(0.0015);
          let minPts = Infinity; // point-to-point distance between the two dense samplings
          for (const p of dense[i]) for (const q of dense[j]) minPts = Math.min(minPts, (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2);
          expect(Math.sqrt(minPts)).toBeLessThan(0.006);
        } else {
          expect(sdfGap).toBeGreaterThan(0.002); // non-touching objects keep a clear gap
        }
      }
    }
  });

  it('labels: every instance 1..N has points, class ids match the objects, counts agree', () => {
    for (const s of [clean, noisy]) {
      const counts = new Map<number, number>();
      let wrongClass = 0;
      for (let i = 0; i < s.cloud.count; i++) {
        const id = s.instance[i];
        counts.set(id, (counts.get(id) ?? 0) + 1);
        if (s.classId[i] !== (id === 0 ? 0 : s.objects[id - 1].classId)) wrongClass++;
      }
      expect(wrongClass).toBe(0);
      expect(s.objects.map((o) => o.id)).toEqual(s.objects.map((_, k) => k + 1));
      for (const o of s.objects) {
        expect(counts.get(o.id) ?? 0).toBe(o.points);
        expect(o.points).toBeGreaterThan(0);
        expect(o.classId).toBe(CLASS_IDS[o.class]);
      }
      expect(counts.get(0) ?? 0).toBeGreaterThan(s.cloud.count / 4); // table/floor is most of the view
      expect(s.cloud.labels?.instance).toBe(s.instance);
    }
  });

  it('without noise every point lies on its own surface; background on the table/floor', () => {
    for (let i = 0; i < clean.cloud.count; i++) {
      const id = clean.instance[i];
      const p = pt(clean, i);
      const d = id === 0 ? backgroundDistance(clean.background, p) : Math.abs(objectSdf(clean.objects[id - 1], p));
      if (d > 2e-5) throw new Error(`point ${i} (instance ${id}) is ${d} m off its surface`);
    }
  });

  it('with noise, background points stay on the table/floor within 5σ = 5·k·z²', () => {
    const k = 0.0025;
    let bg = 0, outliers = 0;
    for (let i = 0; i < noisy.cloud.count; i++) {
      if (noisy.instance[i] !== 0) continue;
      bg++;
      const p = pt(noisy, i);
      const z = toCamera(noisy, p)[2];
      if (backgroundDistance(noisy.background, p) > 5 * k * z * z + 1e-6) outliers++;
    }
    expect(outliers).toBe(0);
    expect(bg).toBeGreaterThan(1000);
    // and the noise is really there: not every background point sits exactly on a plane
    let off = 0;
    for (let i = 0; i < noisy.cloud.count; i++) if (noisy.instance[i] === 0 && backgroundDistance(noisy.background, pt(noisy, i)) > 1e-4) off++;
    expect(off).toBeGreaterThan(bg / 4);
  });

  it('occlusion: one point per pixel, each on its pixel ray, and nothing in front of it along the ray', () => {
    for (const s of [clean, noisy]) {
      const seen = new Set<number>();
      let bad = 0;
      for (let i = 0; i < s.cloud.count; i++) {
        if (seen.has(s.pixel[i])) bad++;
        seen.add(s.pixel[i]);
        const c = toCamera(s, pt(s, i));
        const col = Math.floor((s.camera.fx * c[0]) / c[2] + s.camera.cx);
        const row = Math.floor((s.camera.fy * c[1]) / c[2] + s.camera.cy);
        if (!(c[2] > 0) || row * s.camera.width + col !== s.pixel[i]) bad++;
      }
      expect(bad).toBe(0);
    }
    // sphere-trace each ray (independent of the intersection code) with the scene's signed distances
    const s = clean;
    const o = s.camera.position;
    const dist = (p: V3) => Math.min(backgroundDistance(s.background, p), ...s.objects.map((ob) => objectSdf(ob, p)));
    let violations = 0, checked = 0;
    for (let i = 0; i < s.cloud.count; i += 3) {
      const p = pt(s, i);
      const tp = Math.hypot(p[0] - o[0], p[1] - o[1], p[2] - o[2]);
      const d: V3 = [(p[0] - o[0]) / tp, (p[1] - o[1]) / tp, (p[2] - o[2]) / tp];
      let t = 0;
      for (let k = 0; k < 4000; k++) {
        if (t >= tp - 2e-3) { checked++; break; }
        const h = dist([o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]]);
        if (h < 1e-6) { violations++; break; }
        t += h;
      }
    }
    expect(violations).toBe(0);
    expect(checked).toBeGreaterThan(0.95 * (s.cloud.count / 3));
  });

  it('bounds are sane: objects rest on the table or on another object, points within the scene', () => {
    for (const s of [clean, noisy]) {
      if (s.background.kind !== 'tabletop') throw new Error('tabletop expected');
      const { table } = s.background;
      for (const o of s.objects) {
        expect(o.bbox.min[0]).toBeGreaterThanOrEqual(table.min[0]);
        expect(o.bbox.max[0]).toBeLessThanOrEqual(table.max[0]);
        expect(o.bbox.min[1]).toBeGreaterThanOrEqual(table.min[1]);
        expect(o.bbox.max[1]).toBeLessThanOrEqual(table.max[1]);
        expect(o.bbox.max[2]).toBeLessThan(0.6);
        const base = o.support === 0 ? 0 : s.objects[o.support - 1].bbox.max[2];
        expect(o.position[2]).toBeCloseTo(base, 6);
        expect(o.bbox.min[2]).toBeGreaterThan(base - 1e-6);
        expect(o.bbox.min[2]).toBeLessThan(base + 1e-3);
        for (let a = 0; a < 3; a++) expect(o.centre[a]).toBeCloseTo((o.bbox.min[a] + o.bbox.max[a]) / 2, 9);
      }
      const { min, max } = s.cloud.bounds;
      expect(min[2]).toBeGreaterThan(-0.85);
      expect(max[2]).toBeLessThan(0.6);
      expect(Math.max(...max.map(Math.abs), ...min.map(Math.abs))).toBeLessThan(5);
      expect(s.cloud.positions.every(Number.isFinite)).toBe(true);
    }
  });

  it('room scenes: objects on the floor, background on the floor and walls', () => {
    const s = generateScene({ seed: 21, kind: 'room', noise: 0, camera: small });
    expect(s.background.kind).toBe('room');
    expect(s.objects.length).toBeGreaterThanOrEqual(6);
    expect(s.touching.length).toBeGreaterThanOrEqual(2);
    let floor = 0, wall = 0, off = 0;
    for (let i = 0; i < s.cloud.count; i++) {
      const p = pt(s, i);
      if (s.instance[i] === 0) {
        if (backgroundDistance(s.background, p) > 2e-5) off++;
        if (Math.abs(p[2]) < 1e-5) floor++;
        else wall++;
      } else if (Math.abs(objectSdf(s.objects[s.instance[i] - 1], p)) > 2e-5) off++;
    }
    expect(off).toBe(0);
    expect(floor).toBeGreaterThan(100);
    expect(wall).toBeGreaterThan(100);
    for (const o of s.objects) if (o.support === 0) expect(o.position[2]).toBe(0);
  });

  it('points: exactly that many, every object kept; the PLY round-trips instance and class', () => {
    const s = generateScene({ seed: 3, kind: 'tabletop', points: 4096, camera: small });
    expect(s.cloud.count).toBe(4096);
    for (const o of s.objects) expect(o.points).toBeGreaterThan(0);
    const back = readPly(writePly(s.cloud, { instance: s.instance, classId: s.classId }));
    expect(back.count).toBe(4096);
    expect(back.labels?.instance).toEqual(s.instance);
    expect(back.labels?.class).toEqual(s.classId);
  });

  it('train/validation seed split', () => {
    expect(sceneSplit(0)).toBe('train');
    expect(sceneSplit(VALIDATION_SEED_START - 1)).toBe('train');
    expect(sceneSplit(VALIDATION_SEED_START)).toBe('validation');
    expect(clean.split).toBe('train');
  });

  it('rejects bad options with typed errors', () => {
    const bad: unknown[] = [
      { seed: -1, kind: 'tabletop' },
      { seed: 1.5, kind: 'tabletop' },
      { seed: 1, kind: 'garden' },
      { seed: 1, kind: 'tabletop', objects: [6, 3] },
      { seed: 1, kind: 'tabletop', objects: [3, 6], touching: 3 },
      { seed: 1, kind: 'tabletop', noise: -0.1 },
      { seed: 1, kind: 'tabletop', points: 0 },
      { seed: 1, kind: 'tabletop', camera: { width: 2 } },
      { seed: 1, kind: 'tabletop', camera: { position: [0, 0] } },
    ];
    for (const o of bad) expect(() => generateScene(o as never)).toThrow(ArgumentError);
  });
});
