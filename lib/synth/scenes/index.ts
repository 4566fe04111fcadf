/**
 * Synthetic RGB-D scenes for point-cloud instance segmentation (training data for PointNet++-style
 * models): analytic objects (boxes, cylinders, spheres, tori, mugs, bottles) placed on a table or on
 * the floor of a room, some of them touching (side by side or stacked), seen by a virtual pinhole
 * depth camera. Every pixel's ray is cast against the analytic solids, so only visible surfaces
 * return points (true occlusion); each return gets depth noise ∝ depth² along its ray, random and
 * grazing-angle dropout, and a shaded, noisy object colour. Points are in world coordinates (metres,
 * z up; the table top or floor is z = 0).
 *
 * Seed split: seeds 0 … 999 999 are training scenes, seeds ≥ 1 000 000 (`VALIDATION_SEED_START`)
 * are validation scenes; `sceneSplit(seed)` says which.
 */
import { ArgumentError } from '../../errors';
import { finishCloud, type PointCloud } from '../../formats/pointcloud/types';
import { mulberry32, normal, uniform } from '../prng';
import { aabbHit, sampleShapeSurface, shapeEdgePoints, shapeHit, shapeSdf, type Solid, type V3 } from './geometry';
import { CLASS_IDS, OBJECT_CLASSES, buildShape, flatTop, randomParams, type SceneClass, type ShapeParams } from './shapes';

export { CLASS_IDS, OBJECT_CLASSES, SCENE_CLASSES, buildShape, type SceneClass, type ShapeParams } from './shapes';
export type { V3 } from './geometry';

/** Seeds at or above this are validation scenes; below, training scenes. */
export const VALIDATION_SEED_START = 1_000_000;
export function sceneSplit(seed: number): 'train' | 'validation' {
  return seed >= VALIDATION_SEED_START ? 'validation' : 'train';
}

export interface SceneCameraOptions {
  /** Image size in pixels (default 320×240, scaled by √density). */
  width?: number;
  height?: number;
  /** Focal lengths in pixels (default 0.9·width, i.e. ~58° horizontal field of view). */
  fx?: number;
  fy?: number;
  /** Camera centre in world coordinates (default: random, above the table / at the room's front wall). */
  position?: V3;
  /** Point the camera looks at (default: near the table / floor centre). */
  target?: V3;
}

export interface SceneOptions {
  /** Integer 0 ≤ seed < 2³². Seeds ≥ 1 000 000 are reserved for validation scenes. */
  seed: number;
  kind: 'tabletop' | 'room';
  /** Inclusive range of the number of objects (default [6, 12]). */
  objects?: [number, number];
  /** Minimum number of object pairs in contact (default 2); must be < objects[0]. */
  touching?: number;
  /** Pixel-count multiplier of the default camera (default 1 → 320×240). */
  density?: number;
  /** Depth-noise coefficient k in σ(z) = k·z² (metres⁻¹; default 0.0025, a structured-light sensor). */
  noise?: number;
  /** Base probability that a return is dropped (default 0.03); grazing and far returns drop more. */
  dropout?: number;
  camera?: SceneCameraOptions;
  /** Exact number of output points: visible returns are subsampled (keeping every object). */
  points?: number;
}

export interface SceneCamera {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** Camera centre, world coordinates. */
  position: V3;
  /** Camera → world rotation, row-major 3×3; columns are the camera's x (right), y (down), z (forward). */
  rotation: number[];
}

export interface SceneObject {
  /** Instance id, 1..N. */
  id: number;
  class: SceneClass;
  classId: number;
  /** Centre of `bbox`. */
  centre: V3;
  /** World axis-aligned bounds of the whole object (visible or not), from dense surface samples. */
  bbox: { min: V3; max: V3 };
  /** Pose: the local frame (z up, base at z = 0) is rotated by `yaw` about z, then moved to `position`. */
  position: V3;
  yaw: number;
  /** Size parameters; `buildShape(class, params)` rebuilds the exact geometry. */
  params: ShapeParams;
  /** 0 when standing on the table / floor, else the id of the object it stands on. */
  support: number;
  /** Number of points of this object in the cloud. */
  points: number;
}

export type SceneBackground =
  | { kind: 'tabletop'; /** table-top slab; its top face is z = 0 */ table: { min: V3; max: V3 }; floor: { min: V3; max: V3 } }
  | { kind: 'room'; /** interior of the room: floor z = 0, back and side walls */ room: { min: V3; max: V3 } };

export interface Scene {
  cloud: PointCloud;
  /** Per point: 0 background (table, floor, walls), 1..N objects. */
  instance: Int32Array;
  /** Per point: CLASS_IDS (0 background, 1 box, 2 cylinder, 3 sphere, 4 torus, 5 mug, 6 bottle). */
  classId: Int32Array;
  objects: SceneObject[];
  /** Pairs [a, b] (a < b) of objects in contact. */
  touching: [number, number][];
  camera: SceneCamera;
  /** Per point: the camera pixel (row·width + column) whose ray produced it. */
  pixel: Int32Array;
  background: SceneBackground;
  seed: number;
  split: 'train' | 'validation';
}

interface Placed {
  cls: SceneClass;
  params: ShapeParams;
  solids: Solid[];
  yaw: number;
  cos: number;
  sin: number;
  pos: V3;
  local: V3[];
  world: V3[];
  /** bounding sphere (local centre on the z axis) and horizontal radius */
  bz: number;
  br: number;
  rxy: number;
  support: number;
}

function hash(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d) >>> 0;
    h ^= h >>> 12;
  }
  return h >>> 0;
}

function toLocal(o: Placed, p: V3): V3 {
  const dx = p[0] - o.pos[0], dy = p[1] - o.pos[1];
  return [o.cos * dx + o.sin * dy, -o.sin * dx + o.cos * dy, p[2] - o.pos[2]];
}
function rotLocal(o: Placed, d: V3): V3 {
  return [o.cos * d[0] + o.sin * d[1], -o.sin * d[0] + o.cos * d[1], d[2]];
}
function rotWorld(o: Placed, d: V3): V3 {
  return [o.cos * d[0] - o.sin * d[1], o.sin * d[0] + o.cos * d[1], d[2]];
}
function setPose(o: Placed, pos: V3): void {
  o.pos = pos;
  o.world = o.local.map((q) => {
    const w = rotWorld(o, q);
    return [w[0] + pos[0], w[1] + pos[1], w[2] + pos[2]] as V3;
  });
}

/** Signed distance from a world point to a placed object. */
function sdfWorld(o: Placed, p: V3): number {
  return shapeSdf(o.solids, toLocal(o, p));
}

/** Sampled separation of two placed objects (≈ their distance; negative when they interpenetrate). */
function gap(a: Placed, b: Placed, farEnough: number): number {
  const dc = Math.hypot(a.pos[0] - b.pos[0], a.pos[1] - b.pos[1], a.pos[2] + a.bz - b.pos[2] - b.bz);
  if (dc - a.br - b.br > farEnough) return dc - a.br - b.br;
  let g = Infinity;
  for (const p of b.world) g = Math.min(g, sdfWorld(a, p));
  for (const p of a.world) g = Math.min(g, sdfWorld(b, p));
  return g;
}

function makeObject(cls: SceneClass, params: ShapeParams, yaw: number, scale: number, rng: () => number): Placed {
  const solids = buildShape(cls, params);
  const { points } = sampleShapeSurface(solids, 700, rng);
  const local = points.concat(shapeEdgePoints(solids, 0.004 * scale));
  let zmin = Infinity, zmax = -Infinity, rxy = 0;
  for (const p of local) {
    zmin = Math.min(zmin, p[2]);
    zmax = Math.max(zmax, p[2]);
    rxy = Math.max(rxy, Math.hypot(p[0], p[1]));
  }
  const bz = (zmin + zmax) / 2;
  let br = 0;
  for (const p of local) br = Math.max(br, Math.hypot(p[0], p[1], p[2] - bz));
  const o: Placed = { cls, params, solids, yaw, cos: Math.cos(yaw), sin: Math.sin(yaw), pos: [0, 0, 0], local, world: [], bz, br: br * 1.01 + 1e-4, rxy: rxy * 1.01, support: 0 };
  setPose(o, [0, 0, 0]);
  return o;
}

interface Region { x0: number; x1: number; y0: number; y1: number }

function inRegion(o: Placed, r: Region): boolean {
  return o.pos[0] - o.rxy >= r.x0 && o.pos[0] + o.rxy <= r.x1 && o.pos[1] - o.rxy >= r.y0 && o.pos[1] + o.rxy <= r.y1;
}

/** Places objects; returns null when the draw cannot satisfy the constraints (the caller redraws). */
function layout(rng: () => number, nObj: number, touching: number, scale: number, region: Region): { placed: Placed[]; touching: [number, number][] } | null {
  const clear = 0.004 * scale; // free objects keep at least this gap
  const contactEps = 0.0015 * scale;
  const placed: Placed[] = [];
  let contacts = 0;
  for (let i = 0; i < nObj; i++) {
    const wantContact = i > 0 && contacts < touching;
    let cls = OBJECT_CLASSES[Math.floor(rng() * OBJECT_CLASSES.length)];
    let ok = false;
    for (let attempt = 0; attempt < 60 && !ok; attempt++) {
      if (attempt > 0 && attempt % 15 === 0) cls = OBJECT_CLASSES[Math.floor(rng() * OBJECT_CLASSES.length)];
      const params = randomParams(cls, scale, rng);
      const b = makeObject(cls, params, rng() * 2 * Math.PI, scale, rng);
      let anchor: Placed | null = null;
      if (wantContact) {
        const grounded = placed.filter((p) => p.support === 0);
        anchor = grounded[Math.floor(rng() * grounded.length)];
        const top = flatTop(anchor.cls, anchor.params);
        if (top && rng() < 0.5 && b.rxy <= 1.6 * top.inradius) {
          // stacked: b stands on the anchor's flat top
          const r = 0.3 * top.inradius * Math.sqrt(rng());
          const a = 2 * Math.PI * rng();
          setPose(b, [anchor.pos[0] + r * Math.cos(a), anchor.pos[1] + r * Math.sin(a), anchor.pos[2] + top.height]);
          b.support = placed.indexOf(anchor) + 1;
          if (gap(anchor, b, clear) < -1e-4 * scale) continue;
        } else {
          // side by side: slide b towards the anchor until they touch (conservative advancement)
          const phi = 2 * Math.PI * rng();
          const dir: V3 = [Math.cos(phi), Math.sin(phi), 0];
          let s = anchor.rxy + b.rxy + 0.01 * scale;
          let g = Infinity;
          for (let k = 0; k < 300 && s > 0; k++) {
            setPose(b, [anchor.pos[0] + s * dir[0], anchor.pos[1] + s * dir[1], anchor.pos[2]]);
            g = gap(anchor, b, Infinity);
            if (g < 2e-4 * scale) break;
            s -= g;
          }
          if (!(g < 2e-4 * scale && g > -3e-4 * scale)) continue;
        }
      } else {
        setPose(b, [uniform(rng, region.x0 + b.rxy, region.x1 - b.rxy), uniform(rng, region.y0 + b.rxy, region.y1 - b.rxy), 0]);
      }
      if (!inRegion(b, region)) continue;
      if (placed.some((c) => c !== anchor && gap(c, b, clear) < clear)) continue;
      placed.push(b);
      if (anchor) contacts++;
      ok = true;
    }
    if (!ok) return null;
  }
  const pairs: [number, number][] = [];
  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) if (gap(placed[i], placed[j], contactEps) < contactEps) pairs.push([i + 1, j + 1]);
  }
  return pairs.length >= touching ? { placed, touching: pairs } : null;
}

function lookAt(position: V3, target: V3): number[] {
  const f = [target[0] - position[0], target[1] - position[1], target[2] - position[2]];
  const fl = Math.hypot(f[0], f[1], f[2]);
  f[0] /= fl; f[1] /= fl; f[2] /= fl;
  let r = [f[1], -f[0], 0]; // f × (0, 0, 1)
  const rl = Math.hypot(r[0], r[1]);
  r = rl < 1e-9 ? [1, 0, 0] : [r[0] / rl, r[1] / rl, 0];
  const dn = [f[1] * r[2] - f[2] * r[1], f[2] * r[0] - f[0] * r[2], f[0] * r[1] - f[1] * r[0]]; // f × r
  return [r[0], dn[0], f[0], r[1], dn[1], f[1], r[2], dn[2], f[2]];
}

function hsv(h: number, s: number, v: number): V3 {
  const k = (n: number) => {
    const x = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(x, 4 - x, 1));
  };
  return [255 * k(5), 255 * k(3), 255 * k(1)];
}

interface Render {
  count: number;
  positions: number[];
  normals: number[];
  colors: number[];
  instance: number[];
  pixel: number[];
  perObject: number[];
}

interface Sensor { noise: number; dropout: number; maxRange: number }

function render(cam: SceneCamera, placed: Placed[], bg: SceneBackground, objColors: V3[], sensor: Sensor, rng: () => number): Render {
  const out: Render = { count: 0, positions: [], normals: [], colors: [], instance: [], pixel: [], perObject: new Array(placed.length + 1).fill(0) };
  const R = cam.rotation;
  const o = cam.position;
  const locals = placed.map((p) => toLocal(p, o));
  const centres = placed.map((p) => [p.pos[0], p.pos[1], p.pos[2] + p.bz] as V3);
  for (let row = 0; row < cam.height; row++) {
    for (let col = 0; col < cam.width; col++) {
      const xc = (col + 0.5 - cam.cx) / cam.fx, yc = (row + 0.5 - cam.cy) / cam.fy;
      const norm = Math.hypot(xc, yc, 1);
      const d: V3 = [(R[0] * xc + R[1] * yc + R[2]) / norm, (R[3] * xc + R[4] * yc + R[5]) / norm, (R[6] * xc + R[7] * yc + R[8]) / norm];
      let bestT = Infinity, inst = 0;
      let n: V3 = [0, 0, 1];
      for (let k = 0; k < placed.length; k++) {
        const c = centres[k];
        const ox = o[0] - c[0], oy = o[1] - c[1], oz = o[2] - c[2];
        const b = ox * d[0] + oy * d[1] + oz * d[2];
        const disc = b * b - (ox * ox + oy * oy + oz * oz - placed[k].br * placed[k].br);
        if (disc < 0 || -b - Math.sqrt(disc) > bestT) continue;
        const h = shapeHit(placed[k].solids, locals[k], rotLocal(placed[k], d), 1e-9);
        if (h && h.t < bestT) {
          bestT = h.t;
          inst = k + 1;
          n = rotWorld(placed[k], h.n);
        }
      }
      if (bg.kind === 'tabletop') {
        for (const box of [bg.table, bg.floor]) {
          const h = aabbHit(box.min, box.max, o, d, 1e-9);
          if (h && h.t < bestT) {
            bestT = h.t;
            inst = 0;
            n = h.n;
          }
        }
      } else {
        // leaving the room through the floor, the back wall or a side wall (not the ceiling / front wall)
        let tExit = Infinity, axis = -1, side = 0;
        for (let a = 0; a < 3; a++) {
          if (Math.abs(d[a]) < 1e-12) continue;
          const s = d[a] > 0 ? 1 : -1;
          const t = ((s > 0 ? bg.room.max[a] : bg.room.min[a]) - o[a]) / d[a];
          if (t < tExit) { tExit = t; axis = a; side = s; }
        }
        const seen = !(axis === 2 && side > 0) && !(axis === 1 && side < 0);
        if (seen && tExit < bestT) {
          bestT = tExit;
          inst = 0;
          n = [0, 0, 0];
          n[axis] = -side;
        }
      }
      if (bestT === Infinity) continue;
      const zc = bestT / norm;
      if (zc < 0.1 || zc > sensor.maxRange) continue;
      const cos = Math.abs(n[0] * d[0] + n[1] * d[1] + n[2] * d[2]);
      const pDrop = sensor.dropout + (cos < 0.2 ? 3 * (0.2 - cos) : 0) + 0.15 * (zc / sensor.maxRange) ** 2;
      if (rng() < pDrop) continue;
      const zn = zc + sensor.noise * zc * zc * normal(rng);
      const t = (bestT * zn) / zc;
      out.positions.push(o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]);
      const flip = n[0] * d[0] + n[1] * d[1] + n[2] * d[2] > 0 ? -1 : 1;
      out.normals.push(flip * n[0], flip * n[1], flip * n[2]);
      const base = objColors[inst];
      const shade = 0.35 + 0.65 * cos;
      for (let c = 0; c < 3; c++) out.colors.push(Math.max(0, Math.min(255, Math.round(base[c] * shade + 5 * normal(rng)))));
      out.instance.push(inst);
      out.pixel.push(row * cam.width + col);
      out.perObject[inst]++;
      out.count++;
    }
  }
  return out;
}

function checkInt(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new ArgumentError(`${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`, { where: `generateScene: options.${name}` });
  }
  return v;
}
function checkNum(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new ArgumentError(`${name} must be a number in [${lo}, ${hi}], got ${String(v)}`, { where: `generateScene: options.${name}` });
  }
  return v;
}
function checkVec(v: unknown, name: string): V3 {
  if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new ArgumentError(`${name} must be three finite numbers`, { where: `generateScene: options.${name}` });
  }
  return [v[0], v[1], v[2]];
}

/** Generates one synthetic depth-camera scene; the same options always give the same scene. */
export function generateScene(opts: SceneOptions): Scene {
  if (!opts || typeof opts !== 'object') throw new ArgumentError('options are required', { where: 'generateScene' });
  const seed = checkInt(opts.seed, 'seed', 0, 0xffffffff);
  if (opts.kind !== 'tabletop' && opts.kind !== 'room') {
    throw new ArgumentError(`kind must be 'tabletop' or 'room', got ${String(opts.kind)}`, { where: 'generateScene: options.kind' });
  }
  const kind = opts.kind;
  const range = opts.objects ?? [6, 12];
  if (!Array.isArray(range) || range.length !== 2) throw new ArgumentError('objects must be [min, max]', { where: 'generateScene: options.objects' });
  const oMin = checkInt(range[0], 'objects[0]', 1, 40);
  const oMax = checkInt(range[1], 'objects[1]', oMin, 40);
  const touching = checkInt(opts.touching ?? Math.min(2, oMin - 1), 'touching', 0, oMin - 1);
  const density = checkNum(opts.density ?? 1, 'density', 0.01, 16);
  const noise = checkNum(opts.noise ?? 0.0025, 'noise', 0, 0.1);
  const dropout = checkNum(opts.dropout ?? 0.03, 'dropout', 0, 0.9);
  const co = opts.camera ?? {};
  const sizeSet = co.width !== undefined || co.height !== undefined;
  let width = co.width === undefined ? Math.max(8, Math.round(320 * Math.sqrt(density))) : checkInt(co.width, 'camera.width', 8, 4096);
  let height = co.height === undefined ? Math.round((width * 3) / 4) : checkInt(co.height, 'camera.height', 8, 4096);
  const fxOpt = co.fx === undefined ? undefined : checkNum(co.fx, 'camera.fx', 1, 1e5);
  const fyOpt = co.fy === undefined ? undefined : checkNum(co.fy, 'camera.fy', 1, 1e5);
  const posOpt = co.position === undefined ? undefined : checkVec(co.position, 'camera.position');
  const targetOpt = co.target === undefined ? undefined : checkVec(co.target, 'camera.target');
  const points = opts.points === undefined ? undefined : checkInt(opts.points, 'points', 1, 10_000_000);

  const scale = kind === 'tabletop' ? 1 : 3;
  const geo = mulberry32(hash(seed, 1));
  let bg: SceneBackground;
  let region: Region;
  if (kind === 'tabletop') {
    const lx = uniform(geo, 0.45, 0.6), ly = uniform(geo, 0.32, 0.42);
    bg = { kind, table: { min: [-lx, -ly, -0.03], max: [lx, ly, 0] }, floor: { min: [-3, -3, -0.76], max: [3, 3, -0.75] } };
    region = { x0: -lx + 0.02, x1: lx - 0.02, y0: -ly + 0.02, y1: ly - 0.02 };
  } else {
    const w = uniform(geo, 2, 3), dd = uniform(geo, 1.8, 2.5);
    bg = { kind, room: { min: [-w, -dd, 0], max: [w, dd, 2.6] } };
    region = { x0: -w + 0.4, x1: w - 0.4, y0: -dd + 1.4, y1: dd - 0.4 };
  }
  const sensor: Sensor = { noise, dropout, maxRange: kind === 'tabletop' ? 4 : 8 };
  const minVisible = 25;

  let best: { placed: Placed[]; pairs: [number, number][]; cam: SceneCamera; r: Render; score: number } | null = null;
  for (let attempt = 0; attempt < 8 && !(best && best.score >= minVisible); attempt++) {
    const rng = mulberry32(hash(seed, 2, attempt));
    const nObj = oMin + Math.floor(rng() * (oMax - oMin + 1));
    const lay = layout(rng, nObj, touching, scale, region);
    if (!lay) continue;
    const colors: V3[] = [kind === 'tabletop' ? [150, 108, 66] : [150, 150, 155]];
    for (let k = 0; k < nObj; k++) colors.push(hsv(rng(), uniform(rng, 0.5, 0.9), uniform(rng, 0.65, 0.95)));
    for (let view = 0; view < 6; view++) {
      const crng = mulberry32(hash(seed, 3, attempt, view));
      let position: V3, target: V3;
      if (kind === 'tabletop') {
        const tl = bg.kind === 'tabletop' ? bg.table.max : [0, 0, 0];
        target = targetOpt ?? [uniform(crng, -0.15, 0.15) * tl[0], uniform(crng, -0.15, 0.15) * tl[1], 0.03];
        const az = 2 * Math.PI * crng(), el = (uniform(crng, 40, 72) * Math.PI) / 180, dist = uniform(crng, 0.85, 1.2);
        position = posOpt ?? [target[0] + dist * Math.cos(el) * Math.cos(az), target[1] + dist * Math.cos(el) * Math.sin(az), target[2] + dist * Math.sin(el)];
      } else {
        const rm = bg.kind === 'room' ? bg.room : { min: [0, 0, 0], max: [0, 0, 0] };
        position = posOpt ?? [uniform(crng, 0.3, 0.3) * rm.max[0] * (2 * crng() - 1), rm.min[1] + 0.25, uniform(crng, 1.8, 2.4)];
        target = targetOpt ?? [uniform(crng, -0.3, 0.3), uniform(crng, 0.1, 0.5) * rm.max[1], 0];
      }
      const renderAt = (w: number, h: number): { cam: SceneCamera; r: Render } => {
        const fx = fxOpt ?? 0.9 * w;
        const cam: SceneCamera = { width: w, height: h, fx, fy: fyOpt ?? fx, cx: w / 2, cy: h / 2, position, rotation: lookAt(position, target) };
        return { cam, r: render(cam, lay.placed, bg, colors, sensor, mulberry32(hash(seed, 4, attempt, view))) };
      };
      let { cam, r } = renderAt(width, height);
      for (let up = 0; points !== undefined && !sizeSet && r.count < points && up < 4; up++) {
        ({ cam, r } = renderAt(Math.round(cam.width * Math.SQRT2), Math.round(cam.height * Math.SQRT2)));
      }
      const score = Math.min(...r.perObject.slice(1));
      if (!best || score > best.score) best = { placed: lay.placed, pairs: lay.touching, cam, r, score };
      if (score >= minVisible) break;
    }
  }
  if (!best) {
    throw new ArgumentError(`could not place ${oMin}–${oMax} objects with ${touching} touching pairs`, {
      where: 'generateScene: options.objects',
      hint: 'Ask for fewer objects or fewer touching pairs.',
    });
  }
  width = best.cam.width;
  height = best.cam.height;
  const { placed, cam, r } = best;

  // objects nobody can see are dropped (only after every redraw failed); ids are renumbered
  const newId = new Int32Array(placed.length + 1);
  let next = 0;
  for (let k = 1; k <= placed.length; k++) newId[k] = r.perObject[k] > 0 ? ++next : 0;

  // choose the output points: all returns, or `points` of them keeping some of every object
  let order: number[] = Array.from({ length: r.count }, (_, i) => i);
  if (points !== undefined) {
    const srng = mulberry32(hash(seed, 5));
    const shuffled = order.slice();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(srng() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    if (shuffled.length >= points) {
      const reserve = Math.min(16, Math.floor(points / Math.max(1, next + 1)));
      const taken = new Uint8Array(r.count);
      const per = new Array(placed.length + 1).fill(0);
      const chosen: number[] = [];
      for (const i of shuffled) {
        const inst = r.instance[i];
        if (inst > 0 && per[inst] < reserve) { per[inst]++; taken[i] = 1; chosen.push(i); }
      }
      for (const i of shuffled) if (chosen.length < points && !taken[i]) { taken[i] = 1; chosen.push(i); }
      order = chosen.sort((a, b) => a - b);
    } else {
      // not enough returns even at the highest resolution: repeat some points
      order = order.concat(Array.from({ length: points - order.length }, () => Math.floor(srng() * r.count))).sort((a, b) => a - b);
    }
  }
  const n = order.length;
  const positions = new Float32Array(3 * n), normals = new Float32Array(3 * n), colors = new Uint8Array(3 * n);
  const instance = new Int32Array(n), classId = new Int32Array(n), pixel = new Int32Array(n);
  const counts = new Array(next + 1).fill(0);
  order.forEach((i, k) => {
    for (let c = 0; c < 3; c++) {
      positions[3 * k + c] = r.positions[3 * i + c];
      normals[3 * k + c] = r.normals[3 * i + c];
      colors[3 * k + c] = r.colors[3 * i + c];
    }
    const id = newId[r.instance[i]];
    instance[k] = id;
    classId[k] = id > 0 ? CLASS_IDS[placed[r.instance[i] - 1].cls] : 0;
    pixel[k] = r.pixel[i];
    counts[id]++;
  });

  const objects: SceneObject[] = [];
  placed.forEach((p, k) => {
    const id = newId[k + 1];
    if (!id) return;
    const min: V3 = [Infinity, Infinity, Infinity], max: V3 = [-Infinity, -Infinity, -Infinity];
    for (const q of p.world) for (let a = 0; a < 3; a++) { min[a] = Math.min(min[a], q[a]); max[a] = Math.max(max[a], q[a]); }
    objects.push({
      id, class: p.cls, classId: CLASS_IDS[p.cls],
      centre: [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2],
      bbox: { min, max }, position: p.pos, yaw: p.yaw, params: p.params,
      support: p.support ? newId[p.support] : 0, points: counts[id],
    });
  });
  const touchingOut = best.pairs.filter(([a, b]) => newId[a] && newId[b]).map(([a, b]) => [newId[a], newId[b]] as [number, number]);
  const cloud = finishCloud({ positions, count: n, colors, normals, labels: { instance, class: classId } });
  return { cloud, instance, classId, objects, touching: touchingOut, camera: cam, pixel, background: bg, seed, split: sceneSplit(seed) };
}

/** Signed distance from a world point to a scene object (exact on its surface). */
export function objectSdf(o: Pick<SceneObject, 'class' | 'params' | 'position' | 'yaw'>, p: V3): number {
  const c = Math.cos(o.yaw), s = Math.sin(o.yaw);
  const dx = p[0] - o.position[0], dy = p[1] - o.position[1];
  return shapeSdf(buildShape(o.class, o.params), [c * dx + s * dy, -s * dx + c * dy, p[2] - o.position[2]]);
}

/** Distance from a world point to the nearest background surface (table, floor, walls). */
export function backgroundDistance(bg: SceneBackground, p: V3): number {
  const boxSdf = (b: { min: V3; max: V3 }) => {
    const q = [0, 1, 2].map((a) => Math.abs(p[a] - (b.min[a] + b.max[a]) / 2) - (b.max[a] - b.min[a]) / 2);
    return Math.hypot(Math.max(q[0], 0), Math.max(q[1], 0), Math.max(q[2], 0)) + Math.min(Math.max(q[0], q[1], q[2]), 0);
  };
  if (bg.kind === 'tabletop') return Math.min(Math.abs(boxSdf(bg.table)), Math.abs(boxSdf(bg.floor)));
  return Math.abs(boxSdf(bg.room));
}

/** Area-weighted surface samples of a scene object, in world coordinates. */
export function sampleObjectSurface(o: Pick<SceneObject, 'class' | 'params' | 'position' | 'yaw'>, n: number, seed = 1): V3[] {
  const c = Math.cos(o.yaw), s = Math.sin(o.yaw);
  return sampleShapeSurface(buildShape(o.class, o.params), n, mulberry32(seed)).points.map(
    (q) => [c * q[0] - s * q[1] + o.position[0], s * q[0] + c * q[1] + o.position[1], q[2] + o.position[2]] as V3,
  );
}
