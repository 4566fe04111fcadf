/**
 * Copy-paste augmentation of instances between volumes (Ghiasi et al. 2021, in 3-D).
 *
 * `copyPaste(bg, fg, opts)`: the chosen instances of `fg` (optionally rescaled per axis, then
 * shifted by `offset` voxels) are pasted onto `bg`:
 *
 *   I_new = I_bg ⊙ (1 − M) + I_fg ⊙ M        (M = 1 on the pasted instances' voxels, else 0)
 *
 * Labels are composed: a pasted instance gets a new id (bg's largest id + 1, + 2, … in the order of
 * `ids`), voxels of bg instances under M are removed (occluded), bg instances left with no voxel
 * disappear; ids are never reused, so no two instances share an id. Neither input is mutated.
 *
 * `rescaleInstances(src, scale)`: the volume resampled by per-axis factors (new size =
 * round(n·scale)), labels by nearest neighbour, intensities trilinearly (sample centres aligned:
 * output voxel i samples input (i + 0.5)/scale − 0.5, clamped at the border).
 *
 * `randomCopyPaste(bg, fg, rng, opts)`: picks `count` random fg instances, draws a scale per axis
 * (uniform in `scale`, the z factor times one in `anisotropy`: scale jitter over the anisotropy
 * range), cuts each instance's bounding box and pastes it at a random position (each instance
 * separately). Intensities of fg are matched to bg by `intensityMatch` (fg values multiplied by
 * bg's robust range / fg's, default on).
 */
import { ArgumentError, ShapeError } from '../errors';
import { type LabelVolume, type NumericArray, type Vec3, type Volume, sameShape, validateVolume } from '../volume';
import { uniform } from './prng';

export interface LabelledVolume {
  image: Volume;
  labels: LabelVolume;
}

export interface CopyPasteOptions {
  /** fg instance ids to paste (default: every id present). */
  ids?: number[];
  /** Where fg voxel (0,0,0) lands in bg (voxels, may be negative). Default [0, 0, 0]. */
  offset?: Vec3;
  /** Per-axis resampling of fg before pasting (> 0). Default [1, 1, 1]. */
  scale?: Vec3;
}

export interface CopyPasteResult {
  image: Volume<Float32Array>;
  labels: LabelVolume;
  /** fg id → new id, for the instances that landed at least one voxel. */
  idMap: Map<number, number>;
  /** bg ids with no voxel left. */
  removed: number[];
}

function checkPair(v: LabelledVolume, where: string): void {
  validateVolume(v.image, `${where}.image`);
  validateVolume(v.labels, `${where}.labels`);
  if (!sameShape(v.image.shape, v.labels.shape)) {
    throw new ShapeError(`image ${v.image.shape.join('×')} and labels ${v.labels.shape.join('×')} differ`, { where, hint: 'Give labels on the image grid.' });
  }
}

/** Resample image and labels by per-axis factors (module comment). */
export function rescaleInstances(src: LabelledVolume, scale: Vec3): { image: Volume<Float32Array>; labels: LabelVolume } {
  checkPair(src, 'rescaleInstances');
  scale.forEach((s, i) => {
    if (!(Number.isFinite(s) && s > 0)) throw new ArgumentError(`scale[${i}] must be > 0, got ${s}`, { where: 'rescaleInstances.scale' });
  });
  const [nx, ny, nz] = src.image.shape;
  const out: Vec3 = [Math.max(1, Math.round(nx * scale[0])), Math.max(1, Math.round(ny * scale[1])), Math.max(1, Math.round(nz * scale[2]))];
  const f: Vec3 = [nx / out[0], ny / out[1], nz / out[2]];
  const img = src.image.data, lab = src.labels.data;
  const oi = new Float32Array(out[0] * out[1] * out[2]);
  const ol = new Uint32Array(oi.length);
  const coord = (i: number, a: number, n: number) => Math.min(n - 1, Math.max(0, (i + 0.5) * f[a] - 0.5));
  for (let z = 0, o = 0; z < out[2]; z++) {
    const cz = coord(z, 2, nz), z0 = Math.floor(cz), z1 = Math.min(nz - 1, z0 + 1), wz = cz - z0, rz = Math.min(nz - 1, Math.round(cz));
    for (let y = 0; y < out[1]; y++) {
      const cy = coord(y, 1, ny), y0 = Math.floor(cy), y1 = Math.min(ny - 1, y0 + 1), wy = cy - y0, ry = Math.min(ny - 1, Math.round(cy));
      for (let x = 0; x < out[0]; x++, o++) {
        const cx = coord(x, 0, nx), x0 = Math.floor(cx), x1 = Math.min(nx - 1, x0 + 1), wx = cx - x0, rx = Math.min(nx - 1, Math.round(cx));
        const at = (xx: number, yy: number, zz: number) => img[xx + nx * (yy + ny * zz)];
        const c00 = at(x0, y0, z0) * (1 - wx) + at(x1, y0, z0) * wx;
        const c10 = at(x0, y1, z0) * (1 - wx) + at(x1, y1, z0) * wx;
        const c01 = at(x0, y0, z1) * (1 - wx) + at(x1, y0, z1) * wx;
        const c11 = at(x0, y1, z1) * (1 - wx) + at(x1, y1, z1) * wx;
        oi[o] = (c00 * (1 - wy) + c10 * wy) * (1 - wz) + (c01 * (1 - wy) + c11 * wy) * wz;
        ol[o] = lab[rx + nx * (ry + ny * rz)];
      }
    }
  }
  const spacing: Vec3 = [src.image.spacing[0] * f[0], src.image.spacing[1] * f[1], src.image.spacing[2] * f[2]];
  return {
    image: { data: oi, shape: out, spacing, units: src.image.units },
    labels: { data: ol, shape: [...out], spacing: [...spacing], units: src.labels.units },
  };
}

/** Paste `fg`'s instances onto `bg` (module comment). */
export function copyPaste(bg: LabelledVolume, fg: LabelledVolume, opts: CopyPasteOptions = {}): CopyPasteResult {
  checkPair(bg, 'copyPaste.bg');
  checkPair(fg, 'copyPaste.fg');
  const offset: Vec3 = opts.offset ? [...opts.offset] : [0, 0, 0];
  offset.forEach((o, i) => {
    if (!Number.isInteger(o)) throw new ArgumentError(`offset[${i}] must be an integer, got ${o}`, { where: 'copyPaste.offset' });
  });
  const src = opts.scale && opts.scale.some((s) => s !== 1) ? rescaleInstances(fg, opts.scale) : fg;
  const present = new Set<number>();
  for (const l of src.labels.data) if (l) present.add(l);
  const ids = opts.ids ?? [...present].sort((a, b) => a - b);
  for (const id of ids) {
    if (!Number.isInteger(id) || id <= 0) throw new ArgumentError(`instance ids must be positive integers, got ${id}`, { where: 'copyPaste.ids' });
  }
  const bgl = bg.labels.data;
  let maxId = 0;
  for (let i = 0; i < bgl.length; i++) if (bgl[i] > maxId) maxId = bgl[i];
  const newId = new Map<number, number>();
  ids.forEach((id, k) => newId.set(id, maxId + 1 + k));

  const image = Float32Array.from(bg.image.data as NumericArray as ArrayLike<number>);
  const labels = Uint32Array.from(bgl);
  const [bx, by, bz] = bg.image.shape;
  const [fx, fy, fz] = src.image.shape;
  const fimg = src.image.data, flab = src.labels.data;
  const landed = new Set<number>();
  for (let z = 0; z < fz; z++) {
    const tz = z + offset[2];
    if (tz < 0 || tz >= bz) continue;
    for (let y = 0; y < fy; y++) {
      const ty = y + offset[1];
      if (ty < 0 || ty >= by) continue;
      for (let x = 0; x < fx; x++) {
        const tx = x + offset[0];
        if (tx < 0 || tx >= bx) continue;
        const s = x + fx * (y + fy * z);
        const nid = newId.get(flab[s]);
        if (nid === undefined) continue; // M = 0: keep I_bg
        const t = tx + bx * (ty + by * tz);
        image[t] = fimg[s]; // M = 1: I_fg
        labels[t] = nid;
        landed.add(flab[s]);
      }
    }
  }
  const idMap = new Map<number, number>();
  for (const id of ids) if (landed.has(id)) idMap.set(id, newId.get(id) as number);
  const before = new Set<number>();
  for (const l of bgl) if (l) before.add(l);
  const after = new Set<number>();
  for (const l of labels) if (l) after.add(l);
  const removed = [...before].filter((l) => !after.has(l)).sort((a, b) => a - b);
  return {
    image: { data: image, shape: [...bg.image.shape], spacing: [...bg.image.spacing], affine: bg.image.affine, units: bg.image.units },
    labels: { data: labels, shape: [...bg.labels.shape], spacing: [...bg.labels.spacing], affine: bg.labels.affine, units: bg.labels.units },
    idMap,
    removed,
  };
}

/** The sub-volume [lo, hi] (inclusive voxel box) holding only instance `id` (other labels → 0). */
export function cropInstance(src: LabelledVolume, id: number): LabelledVolume | null {
  const [nx, ny] = src.labels.shape;
  const lab = src.labels.data;
  const lo: Vec3 = [Infinity, Infinity, Infinity], hi: Vec3 = [-1, -1, -1];
  for (let i = 0; i < lab.length; i++) {
    if (lab[i] !== id) continue;
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    if (x < lo[0]) lo[0] = x; if (y < lo[1]) lo[1] = y; if (z < lo[2]) lo[2] = z;
    if (x > hi[0]) hi[0] = x; if (y > hi[1]) hi[1] = y; if (z > hi[2]) hi[2] = z;
  }
  if (hi[0] < 0) return null;
  const shape: Vec3 = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
  const img = new Float32Array(shape[0] * shape[1] * shape[2]);
  const l = new Uint32Array(img.length);
  for (let z = 0, o = 0; z < shape[2]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      for (let x = 0; x < shape[0]; x++, o++) {
        const s = x + lo[0] + nx * (y + lo[1] + ny * (z + lo[2]));
        img[o] = src.image.data[s];
        l[o] = lab[s] === id ? id : 0;
      }
    }
  }
  return {
    image: { data: img, shape, spacing: [...src.image.spacing], units: src.image.units },
    labels: { data: l, shape: [...shape], spacing: [...src.labels.spacing], units: src.labels.units },
  };
}

export interface RandomCopyPasteOptions {
  /** Instances to paste. Default 4. */
  count?: number;
  /** Isotropic scale range. Default [0.75, 1.33]. */
  scale?: [number, number];
  /** Extra z factor range, drawn log-uniformly (scale jitter over the anisotropy range). Default [0.5, 2]. */
  anisotropy?: [number, number];
  /** Map fg values linearly so its 1st–99th percentile range matches bg's. Default true. */
  intensityMatch?: boolean;
}

export interface PastedInstance {
  fgId: number;
  newId: number;
  scale: Vec3;
  offset: Vec3;
}

export interface RandomCopyPasteResult {
  image: Volume<Float32Array>;
  labels: LabelVolume;
  /** Each placement that landed at least one voxel (its id may be occluded later by another). */
  pasted: PastedInstance[];
  /** Ids (bg or pasted) with no voxel left at the end. */
  removed: number[];
}

function robustRange(data: ArrayLike<number>): [number, number] {
  const step = Math.max(1, Math.floor(data.length / 20000));
  const s: number[] = [];
  for (let i = 0; i < data.length; i += step) s.push(data[i]);
  s.sort((a, b) => a - b);
  return [s[Math.floor(0.01 * (s.length - 1))], s[Math.floor(0.99 * (s.length - 1))]];
}

/** Paste `count` random fg instances, each rescaled and placed at random (module comment). */
export function randomCopyPaste(bg: LabelledVolume, fg: LabelledVolume, rng: () => number, opts: RandomCopyPasteOptions = {}): RandomCopyPasteResult {
  checkPair(bg, 'randomCopyPaste.bg');
  checkPair(fg, 'randomCopyPaste.fg');
  const count = opts.count ?? 4;
  const [slo, shi] = opts.scale ?? [0.75, 1.33];
  const [alo, ahi] = opts.anisotropy ?? [0.5, 2];
  if (!(slo > 0 && shi >= slo && alo > 0 && ahi >= alo)) {
    throw new ArgumentError(`scale [${slo}, ${shi}] and anisotropy [${alo}, ${ahi}] must be positive ranges`, { where: 'randomCopyPaste' });
  }
  const ids = [...new Set(fg.labels.data)].filter((l) => l > 0).sort((a, b) => a - b);
  let fgImage: Volume = fg.image;
  if (opts.intensityMatch ?? true) {
    const [b0, b1] = robustRange(bg.image.data);
    const [f0, f1] = robustRange(fg.image.data);
    const k = f1 > f0 ? (b1 - b0) / (f1 - f0) : 1;
    fgImage = { ...fg.image, data: Float32Array.from(fg.image.data as ArrayLike<number>, (v) => b0 + (v - f0) * k) };
  }
  let cur: LabelledVolume = bg;
  let image: Volume<Float32Array> = { ...bg.image, data: Float32Array.from(bg.image.data as ArrayLike<number>) };
  const pasted: PastedInstance[] = [];
  for (let k = 0; k < count && ids.length > 0; k++) {
    const id = ids[Math.floor(rng() * ids.length)];
    const piece = cropInstance({ image: fgImage, labels: fg.labels }, id) as LabelledVolume; // id is present
    const s = uniform(rng, slo, shi);
    const scale: Vec3 = [s, s, s * Math.exp(uniform(rng, Math.log(alo), Math.log(ahi)))];
    const sized = rescaleInstances(piece, scale);
    const offset = bg.image.shape.map((n, a) => Math.floor(uniform(rng, -sized.image.shape[a] / 2, n - sized.image.shape[a] / 2))) as Vec3;
    const next = copyPaste(cur, sized, { ids: [id], offset });
    const newId = next.idMap.get(id);
    if (newId !== undefined) pasted.push({ fgId: id, newId, scale, offset });
    image = next.image;
    cur = { image: next.image, labels: next.labels };
  }
  const before = new Set<number>(bg.labels.data);
  for (const p of pasted) before.add(p.newId);
  const after = new Set<number>(cur.labels.data);
  const removed = [...before].filter((l) => l > 0 && !after.has(l)).sort((a, b) => a - b);
  return { image, labels: cur.labels, pasted, removed };
}
