/**
 * Analytic solids for synthetic scenes, in an object's local frame (z up, resting on z = 0):
 * exact (or lower-bound) signed distance functions, ray/solid intersection, and area-weighted
 * surface sampling. Composite objects (mugs, bottles) are unions of solids, where a solid is a
 * primitive or the difference of two convex primitives.
 */

export type V3 = [number, number, number];

/** Axis-aligned box (in the object frame): centre and half extents. */
export interface BoxPrim { type: 'box'; c: V3; h: V3 }
/** Finite solid cylinder along local axis `axis` (0 x, 1 y, 2 z): centre, radius, half length. */
export interface CylPrim { type: 'cyl'; c: V3; axis: 0 | 1 | 2; r: number; hl: number }
export interface SpherePrim { type: 'sphere'; c: V3; r: number }
/** Torus around `axis` through `c` (major radius R, tube radius r); `clipX` keeps only x ≥ clipX. */
export interface TorusPrim { type: 'torus'; c: V3; axis: 0 | 1 | 2; R: number; r: number; clipX?: number }
export type Prim = BoxPrim | CylPrim | SpherePrim | TorusPrim;
export type ConvexPrim = BoxPrim | CylPrim | SpherePrim;

/** A solid: one primitive, or `outer` minus `inner` (both convex). */
export type Solid = { prim: Prim } | { outer: ConvexPrim; inner: ConvexPrim };

export interface Hit { t: number; n: V3 }
interface Interval { t0: number; n0: V3; t1: number; n1: V3 }

const other = (a: number): [number, number] => (a === 0 ? [1, 2] : a === 1 ? [0, 2] : [0, 1]);
const len3 = (x: number, y: number, z: number) => Math.sqrt(x * x + y * y + z * z);

/** Signed distance to a primitive (exact for box, cylinder, sphere, torus; a lower bound when clipped). */
export function primSdf(q: Prim, p: V3): number {
  switch (q.type) {
    case 'box': {
      const dx = Math.abs(p[0] - q.c[0]) - q.h[0];
      const dy = Math.abs(p[1] - q.c[1]) - q.h[1];
      const dz = Math.abs(p[2] - q.c[2]) - q.h[2];
      return len3(Math.max(dx, 0), Math.max(dy, 0), Math.max(dz, 0)) + Math.min(Math.max(dx, dy, dz), 0);
    }
    case 'cyl': {
      const [i, j] = other(q.axis);
      const dr = Math.hypot(p[i] - q.c[i], p[j] - q.c[j]) - q.r;
      const da = Math.abs(p[q.axis] - q.c[q.axis]) - q.hl;
      return Math.hypot(Math.max(dr, 0), Math.max(da, 0)) + Math.min(Math.max(dr, da), 0);
    }
    case 'sphere':
      return len3(p[0] - q.c[0], p[1] - q.c[1], p[2] - q.c[2]) - q.r;
    case 'torus': {
      const [i, j] = other(q.axis);
      const d = Math.hypot(Math.hypot(p[i] - q.c[i], p[j] - q.c[j]) - q.R, p[q.axis] - q.c[q.axis]) - q.r;
      return q.clipX === undefined ? d : Math.max(d, q.clipX - p[0]);
    }
  }
}

export function solidSdf(s: Solid, p: V3): number {
  return 'prim' in s ? primSdf(s.prim, p) : Math.max(primSdf(s.outer, p), -primSdf(s.inner, p));
}

/** Signed distance to a union of solids (a lower bound of the true distance; exact on the surface). */
export function shapeSdf(solids: readonly Solid[], p: V3): number {
  let d = Infinity;
  for (const s of solids) d = Math.min(d, solidSdf(s, p));
  return d;
}

function unit(axis: number, sign: number): V3 {
  const n: V3 = [0, 0, 0];
  n[axis] = sign;
  return n;
}

/** Entry/exit interval of a ray with a convex primitive, or null. */
function convexInterval(q: ConvexPrim, o: V3, d: V3): Interval | null {
  if (q.type === 'sphere') {
    const ox = o[0] - q.c[0], oy = o[1] - q.c[1], oz = o[2] - q.c[2];
    const b = ox * d[0] + oy * d[1] + oz * d[2];
    const c = ox * ox + oy * oy + oz * oz - q.r * q.r;
    const disc = b * b - c;
    if (disc < 0) return null;
    const s = Math.sqrt(disc);
    const t0 = -b - s, t1 = -b + s;
    const nAt = (t: number): V3 => [(ox + t * d[0]) / q.r, (oy + t * d[1]) / q.r, (oz + t * d[2]) / q.r];
    return { t0, n0: nAt(t0), t1, n1: nAt(t1) };
  }
  let t0 = -Infinity, t1 = Infinity;
  let n0: V3 = [0, 0, 0], n1: V3 = [0, 0, 0];
  const slab = (axis: number, lo: number, hi: number): boolean => {
    if (Math.abs(d[axis]) < 1e-15) return o[axis] >= lo && o[axis] <= hi;
    let ta = (lo - o[axis]) / d[axis], tb = (hi - o[axis]) / d[axis];
    let na = unit(axis, -1), nb = unit(axis, 1);
    if (ta > tb) {
      [ta, tb] = [tb, ta];
      [na, nb] = [nb, na];
    }
    if (ta > t0) { t0 = ta; n0 = na; }
    if (tb < t1) { t1 = tb; n1 = nb; }
    return t0 <= t1;
  };
  if (q.type === 'box') {
    for (let a = 0; a < 3; a++) if (!slab(a, q.c[a] - q.h[a], q.c[a] + q.h[a])) return null;
    return { t0, n0, t1, n1 };
  }
  // cylinder: axial slab, then the infinite cylinder
  if (!slab(q.axis, q.c[q.axis] - q.hl, q.c[q.axis] + q.hl)) return null;
  const [i, j] = other(q.axis);
  const ox = o[i] - q.c[i], oy = o[j] - q.c[j];
  const a = d[i] * d[i] + d[j] * d[j];
  const c = ox * ox + oy * oy - q.r * q.r;
  if (a < 1e-18) {
    if (c > 0) return null;
  } else {
    const b = ox * d[i] + oy * d[j];
    const disc = b * b - a * c;
    if (disc < 0) return null;
    const s = Math.sqrt(disc);
    const ta = (-b - s) / a, tb = (-b + s) / a;
    const nAt = (t: number): V3 => {
      const n: V3 = [0, 0, 0];
      n[i] = (ox + t * d[i]) / q.r;
      n[j] = (oy + t * d[j]) / q.r;
      return n;
    };
    if (ta > t0) { t0 = ta; n0 = nAt(ta); }
    if (tb < t1) { t1 = tb; n1 = nAt(tb); }
    if (t0 > t1) return null;
  }
  return { t0, n0, t1, n1 };
}

function gradient(f: (p: V3) => number, p: V3): V3 {
  const e = 1e-6;
  const g: V3 = [
    f([p[0] + e, p[1], p[2]]) - f([p[0] - e, p[1], p[2]]),
    f([p[0], p[1] + e, p[2]]) - f([p[0], p[1] - e, p[2]]),
    f([p[0], p[1], p[2] + e]) - f([p[0], p[1], p[2] - e]),
  ];
  const l = len3(g[0], g[1], g[2]) || 1;
  return [g[0] / l, g[1] / l, g[2] / l];
}

/** First hit (t > tMin) of a ray with a torus, by sphere tracing inside its bounding sphere. */
function torusHit(q: TorusPrim, o: V3, d: V3, tMin: number): Hit | null {
  const bound = convexInterval({ type: 'sphere', c: q.c, r: q.R + q.r + 1e-6 }, o, d);
  if (!bound || bound.t1 < tMin) return null;
  let t = Math.max(bound.t0, tMin);
  const eps = 1e-7 * Math.max(1, q.R);
  for (let k = 0; k < 400 && t <= bound.t1; k++) {
    const p: V3 = [o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]];
    const s = primSdf(q, p);
    if (s < eps) return { t, n: gradient((x) => primSdf(q, x), p) };
    t += s;
  }
  return null;
}

/** First hit (t > tMin) of a ray (unit direction) with a solid; the normal points out of the solid. */
export function solidHit(s: Solid, o: V3, d: V3, tMin: number): Hit | null {
  if ('prim' in s) {
    if (s.prim.type === 'torus') return torusHit(s.prim, o, d, tMin);
    const iv = convexInterval(s.prim, o, d);
    if (!iv || iv.t1 < tMin || iv.t0 < tMin) return null; // ray starting inside: no visible front face
    return { t: iv.t0, n: iv.n0 };
  }
  const a = convexInterval(s.outer, o, d);
  if (!a || a.t0 < tMin) return null;
  const b = convexInterval(s.inner, o, d);
  if (!b || b.t1 <= a.t0 || b.t0 > a.t0) return { t: a.t0, n: a.n0 };
  // entry point of the outer solid lies inside the cavity: the hit is where the ray leaves the cavity
  if (b.t1 < a.t1) return { t: b.t1, n: [-b.n1[0], -b.n1[1], -b.n1[2]] };
  return null;
}

export function shapeHit(solids: readonly Solid[], o: V3, d: V3, tMin: number): Hit | null {
  let best: Hit | null = null;
  for (const s of solids) {
    const h = solidHit(s, o, d, tMin);
    if (h && (!best || h.t < best.t)) best = h;
  }
  return best;
}

/** Surface area of a primitive's whole boundary (a clipped torus counts fully; samples are rejected). */
export function primArea(q: Prim): number {
  switch (q.type) {
    case 'box': return 8 * (q.h[0] * q.h[1] + q.h[1] * q.h[2] + q.h[0] * q.h[2]);
    case 'cyl': return 2 * Math.PI * q.r * 2 * q.hl + 2 * Math.PI * q.r * q.r;
    case 'sphere': return 4 * Math.PI * q.r * q.r;
    case 'torus': return 4 * Math.PI * Math.PI * q.R * q.r;
  }
}

/** One uniform point (and outward normal) on a primitive's boundary. */
export function samplePrim(q: Prim, rng: () => number): { p: V3; n: V3 } | null {
  switch (q.type) {
    case 'box': {
      const [hx, hy, hz] = q.h;
      const areas = [hy * hz, hx * hz, hx * hy];
      let u = rng() * (areas[0] + areas[1] + areas[2]);
      let axis = 0;
      while (axis < 2 && u >= areas[axis]) u -= areas[axis++];
      const sign = rng() < 0.5 ? -1 : 1;
      const p: V3 = [q.c[0] + (2 * rng() - 1) * hx, q.c[1] + (2 * rng() - 1) * hy, q.c[2] + (2 * rng() - 1) * hz];
      p[axis] = q.c[axis] + sign * q.h[axis];
      return { p, n: unit(axis, sign) };
    }
    case 'cyl': {
      const side = 2 * q.r * 2 * q.hl, cap = q.r * q.r;
      const [i, j] = other(q.axis);
      const p: V3 = [q.c[0], q.c[1], q.c[2]];
      const n: V3 = [0, 0, 0];
      const th = 2 * Math.PI * rng();
      if (rng() * (side + 2 * cap) < side) {
        p[i] += q.r * Math.cos(th);
        p[j] += q.r * Math.sin(th);
        p[q.axis] += (2 * rng() - 1) * q.hl;
        n[i] = Math.cos(th);
        n[j] = Math.sin(th);
      } else {
        const rr = q.r * Math.sqrt(rng());
        const sign = rng() < 0.5 ? -1 : 1;
        p[i] += rr * Math.cos(th);
        p[j] += rr * Math.sin(th);
        p[q.axis] += sign * q.hl;
        n[q.axis] = sign;
      }
      return { p, n };
    }
    case 'sphere': {
      const z = 2 * rng() - 1;
      const th = 2 * Math.PI * rng();
      const s = Math.sqrt(1 - z * z);
      const n: V3 = [s * Math.cos(th), s * Math.sin(th), z];
      return { p: [q.c[0] + q.r * n[0], q.c[1] + q.r * n[1], q.c[2] + q.r * n[2]], n };
    }
    case 'torus': {
      const [i, j] = other(q.axis);
      const u = 2 * Math.PI * rng();
      let v = 0;
      for (;;) {
        v = 2 * Math.PI * rng();
        if (rng() * (q.R + q.r) <= q.R + q.r * Math.cos(v)) break;
      }
      const p: V3 = [q.c[0], q.c[1], q.c[2]];
      const n: V3 = [0, 0, 0];
      n[i] = Math.cos(v) * Math.cos(u);
      n[j] = Math.cos(v) * Math.sin(u);
      n[q.axis] = Math.sin(v);
      const rad = q.R + q.r * Math.cos(v);
      p[i] += rad * Math.cos(u);
      p[j] += rad * Math.sin(u);
      p[q.axis] += q.r * Math.sin(v);
      if (q.clipX !== undefined && p[0] < q.clipX) return null;
      return { p, n };
    }
  }
}

/** Points along the sharp edges of a primitive (box edges, cylinder rims), spaced about `step`. */
export function primEdges(q: Prim, step: number): V3[] {
  const out: V3[] = [];
  if (q.type === 'box') {
    for (let a = 0; a < 3; a++) {
      const [i, j] = other(a);
      const m = Math.max(2, Math.ceil((2 * q.h[a]) / step));
      for (const si of [-1, 1]) for (const sj of [-1, 1]) {
        for (let k = 0; k <= m; k++) {
          const p: V3 = [q.c[0], q.c[1], q.c[2]];
          p[i] += si * q.h[i];
          p[j] += sj * q.h[j];
          p[a] += q.h[a] * (2 * k / m - 1);
          out.push(p);
        }
      }
    }
  } else if (q.type === 'cyl') {
    const [i, j] = other(q.axis);
    const m = Math.max(8, Math.ceil((2 * Math.PI * q.r) / step));
    for (const s of [-1, 1]) for (let k = 0; k < m; k++) {
      const th = (2 * Math.PI * k) / m;
      const p: V3 = [q.c[0], q.c[1], q.c[2]];
      p[i] += q.r * Math.cos(th);
      p[j] += q.r * Math.sin(th);
      p[q.axis] += s * q.hl;
      out.push(p);
    }
  }
  return out;
}

/** Every primitive of a shape, with the sign its normals take on the shape's boundary. */
function boundaryPrims(solids: readonly Solid[]): { prim: Prim; sign: 1 | -1 }[] {
  const out: { prim: Prim; sign: 1 | -1 }[] = [];
  for (const s of solids) {
    if ('prim' in s) out.push({ prim: s.prim, sign: 1 });
    else out.push({ prim: s.outer, sign: 1 }, { prim: s.inner, sign: -1 });
  }
  return out;
}

/**
 * `n` area-weighted points on the boundary of a union of solids (outward normals), by sampling each
 * primitive in proportion to its area and keeping only points on the composite surface.
 */
export function sampleShapeSurface(solids: readonly Solid[], n: number, rng: () => number): { points: V3[]; normals: V3[] } {
  const prims = boundaryPrims(solids);
  const areas = prims.map((p) => primArea(p.prim));
  const total = areas.reduce((a, b) => a + b, 0);
  const points: V3[] = [];
  const normals: V3[] = [];
  const scale = Math.sqrt(total);
  const tol = 1e-9 * Math.max(1, scale);
  for (let guard = 0; points.length < n && guard < 200 * n + 1000; guard++) {
    let u = rng() * total;
    let k = 0;
    while (k < prims.length - 1 && u >= areas[k]) u -= areas[k++];
    const s = samplePrim(prims[k].prim, rng);
    if (!s) continue;
    if (Math.abs(shapeSdf(solids, s.p)) > tol) continue;
    points.push(s.p);
    const g = prims[k].sign;
    normals.push([g * s.n[0], g * s.n[1], g * s.n[2]]);
  }
  return { points, normals };
}

/** Sharp-edge points that lie on the composite surface (for contact search). */
export function shapeEdgePoints(solids: readonly Solid[], step: number): V3[] {
  const out: V3[] = [];
  for (const { prim } of boundaryPrims(solids)) {
    for (const p of primEdges(prim, step)) if (Math.abs(shapeSdf(solids, p)) < 1e-9) out.push(p);
  }
  return out;
}

/** Entry of a ray into an axis-aligned box [min, max] (t ≥ tMin), with the outward face normal. */
export function aabbHit(min: V3, max: V3, o: V3, d: V3, tMin: number): Hit | null {
  const c: V3 = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  const h: V3 = [(max[0] - min[0]) / 2, (max[1] - min[1]) / 2, (max[2] - min[2]) / 2];
  return solidHit({ prim: { type: 'box', c, h } }, o, d, tMin);
}
