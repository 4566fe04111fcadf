/**
 * Object classes of the synthetic scenes and their geometry: each class has size parameters drawn
 * at random, and `buildShape(class, params)` turns them into solids in the object's local frame
 * (z up, resting on z = 0, centred on the z axis). Dimensions are in metres.
 */
import { uniform } from '../prng';
import type { Solid, V3 } from './geometry';

export const SCENE_CLASSES = ['background', 'box', 'cylinder', 'sphere', 'torus', 'mug', 'bottle'] as const;
export type SceneClass = Exclude<(typeof SCENE_CLASSES)[number], 'background'>;
/** Class ids: 0 background (table, floor, walls), 1 box, 2 cylinder, 3 sphere, 4 torus, 5 mug, 6 bottle. */
export const CLASS_IDS: Record<SceneClass, number> = { box: 1, cylinder: 2, sphere: 3, torus: 4, mug: 5, bottle: 6 };
export const OBJECT_CLASSES: readonly SceneClass[] = ['box', 'cylinder', 'sphere', 'torus', 'mug', 'bottle'];

export type ShapeParams = Record<string, number>;

/** Random size parameters for a class; `s` scales every length (1 for tabletop objects). */
export function randomParams(cls: SceneClass, s: number, rng: () => number): ShapeParams {
  const u = (lo: number, hi: number) => s * uniform(rng, lo, hi);
  switch (cls) {
    case 'box':
      return { hx: u(0.025, 0.075), hy: u(0.02, 0.06), h: u(0.03, 0.12) };
    case 'cylinder': {
      const lying = rng() < 0.3 ? 1 : 0;
      return { r: u(0.02, 0.045), h: lying ? u(0.08, 0.16) : u(0.04, 0.15), lying };
    }
    case 'sphere':
      return { r: u(0.025, 0.055) };
    case 'torus': {
      const R = u(0.03, 0.055);
      return { R, r: R * uniform(rng, 0.25, 0.45) };
    }
    case 'mug': {
      const h = u(0.08, 0.11);
      const w = u(0.004, 0.006);
      return { R: u(0.035, 0.048), h, wall: w, base: u(0.006, 0.009), handleR: h * uniform(rng, 0.26, 0.34), handleT: w * uniform(rng, 0.9, 1.3) };
    }
    case 'bottle': {
      const r1 = u(0.025, 0.04);
      const r2 = r1 * uniform(rng, 0.3, 0.45);
      return { r1, h1: u(0.1, 0.18), r2, h2: u(0.03, 0.06), r3: r2 + u(0.0015, 0.003), h3: u(0.01, 0.02) };
    }
  }
}

/** The solids of an object in its local frame. */
export function buildShape(cls: SceneClass, p: ShapeParams): Solid[] {
  switch (cls) {
    case 'box':
      return [{ prim: { type: 'box', c: [0, 0, p.h / 2], h: [p.hx, p.hy, p.h / 2] } }];
    case 'cylinder':
      return p.lying
        ? [{ prim: { type: 'cyl', c: [0, 0, p.r], axis: 0, r: p.r, hl: p.h / 2 } }]
        : [{ prim: { type: 'cyl', c: [0, 0, p.h / 2], axis: 2, r: p.r, hl: p.h / 2 } }];
    case 'sphere':
      return [{ prim: { type: 'sphere', c: [0, 0, p.r], r: p.r } }];
    case 'torus':
      return [{ prim: { type: 'torus', c: [0, 0, p.r], axis: 2, R: p.R, r: p.r } }];
    case 'mug': {
      const top = p.h + 0.1 * p.h; // the cavity pokes out of the rim: the mug is open
      const clipX = p.R - p.wall / 2; // the handle's ends are buried in the wall, never in the cavity
      return [
        {
          outer: { type: 'cyl', c: [0, 0, p.h / 2], axis: 2, r: p.R, hl: p.h / 2 },
          inner: { type: 'cyl', c: [0, 0, (p.base + top) / 2], axis: 2, r: p.R - p.wall, hl: (top - p.base) / 2 },
        },
        { prim: { type: 'torus', c: [clipX, 0, p.h * 0.52], axis: 1, R: p.handleR, r: p.handleT, clipX } },
      ];
    }
    case 'bottle': {
      const o = 0.05 * p.h2; // overlaps so that the joints are inside the material
      const neck0 = p.h1 - o, neck1 = p.h1 + p.h2;
      const cap0 = neck1 - o, cap1 = neck1 + p.h3;
      return [
        { prim: { type: 'cyl', c: [0, 0, p.h1 / 2], axis: 2, r: p.r1, hl: p.h1 / 2 } },
        { prim: { type: 'cyl', c: [0, 0, (neck0 + neck1) / 2], axis: 2, r: p.r2, hl: (neck1 - neck0) / 2 } },
        { prim: { type: 'cyl', c: [0, 0, (cap0 + cap1) / 2], axis: 2, r: p.r3, hl: (cap1 - cap0) / 2 } },
      ];
    }
  }
}

/** Local-frame axis-aligned bounds of a shape (conservative for the torus handle). */
export function shapeBounds(solids: readonly Solid[]): { min: V3; max: V3 } {
  const min: V3 = [Infinity, Infinity, Infinity];
  const max: V3 = [-Infinity, -Infinity, -Infinity];
  const grow = (c: V3, e: V3) => {
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a], c[a] - e[a]);
      max[a] = Math.max(max[a], c[a] + e[a]);
    }
  };
  for (const s of solids) {
    const q = 'prim' in s ? s.prim : s.outer;
    if (q.type === 'box') grow(q.c, q.h);
    else if (q.type === 'sphere') grow(q.c, [q.r, q.r, q.r]);
    else if (q.type === 'cyl') {
      const e: V3 = [q.r, q.r, q.r];
      e[q.axis] = q.hl;
      grow(q.c, e);
    } else {
      const e: V3 = [q.R + q.r, q.R + q.r, q.R + q.r];
      e[q.axis] = q.r;
      if (q.clipX === undefined) grow(q.c, e);
      else {
        const x0 = Math.max(q.clipX, q.c[0] - e[0]), x1 = q.c[0] + e[0];
        grow([(x0 + x1) / 2, q.c[1], q.c[2]], [(x1 - x0) / 2, e[1], e[2]]);
      }
    }
  }
  return { min, max };
}

/** Whether the object has a flat, horizontal top that another object can stand on. */
export function flatTop(cls: SceneClass, p: ShapeParams): { height: number; inradius: number } | null {
  if (cls === 'box') return { height: p.h, inradius: Math.min(p.hx, p.hy) };
  if (cls === 'cylinder' && !p.lying) return { height: p.h, inradius: p.r };
  return null;
}
