/**
 * Randomised nuclei scenes for training: `generateNuclei`'s geometry with scene parameters drawn far
 * beyond its demo defaults — density, nucleus size 3–15 voxels, anisotropy up to 1:3, background
 * level and gradient, contrast, dim nuclei, photon count (shot noise), read noise, anisotropic blur
 * and output bit depth (8, 12 or 16); optionally (zero in the defaults, on in
 * `MICROSCOPY_NUCLEI_RANGES`) a structured background — smooth random blotches brighter than the
 * background, as out-of-focus light and autofluorescence give in real stacks — and chromatin texture
 * inside the nuclei.
 *
 * `drawNucleiParams(seed, shape, ranges?)` draws one concrete parameter set (uniform within each
 * range; `bitDepth` uniform over its list); `generateRandomNuclei({ shape, seed, ranges?, params? })`
 * renders it. Rendering: `generateNuclei` gives the noiseless geometry (background 0, brightness
 * 1000 ± jitter with its centre-bright profile, no blur or noise; its defaults are not touched);
 * then, in units of the full grey range: signal = background·(1 + gradient·ramp) + contrast·shape/1000
 * (× dimFactor on the dim nuclei; × max(0, 1 + texture·t) with t a unit-sd Gaussian field of σ 1 voxel
 * in-plane) + clutter·contrast·max(0, c) with c a unit-sd Gaussian field of σ clutterScale voxels
 * in-plane (÷ anisotropy along z); blur (x/y sigma in voxels, z sigma = blurZRatio·xy / anisotropy:
 * the optical PSF is longer along z in physical units); Poisson noise with `photons` counts at
 * the level background + contrast; Gaussian read noise (sd `noise`); scaled to 2^bitDepth − 1,
 * rounded and clipped. Spacing is [xySpacing, xySpacing, xySpacing·anisotropy] (µm), recorded on
 * both volumes. Same seed (and shape, ranges) → same volume.
 */
import { ArgumentError } from '../errors';
import { gaussianSmooth } from '../segmentation/gaussian';
import type { Vec3 } from '../volume';
import { generateNuclei, type SyntheticNuclei } from './nuclei';
import { mulberry32, normal, poisson, uniform } from './prng';

export type Range = [number, number];

export interface NucleiRanges {
  /** Mean in-plane semi-axis of a nucleus, voxels. Default [3, 15]. */
  radiusVoxels: Range;
  /** Relative size variation between nuclei (generateNuclei `radiusJitter`). Default [0, 0.3]. */
  radiusJitter: Range;
  /** Relative variation of the semi-axes of one nucleus (`elongation`). Default [0, 0.35]. */
  elongation: Range;
  /** z spacing / x-y spacing. Default [1, 3]. */
  anisotropy: Range;
  /** Fraction of the volume covered by nuclei (sets the count). Default [0.02, 0.3]. */
  density: Range;
  /** Probability that a nucleus touches an existing one. Default [0.2, 0.9]. */
  touching: Range;
  /** Background level, fraction of the grey range. Default [0, 0.3]. */
  background: Range;
  /** Linear background ramp amplitude, relative to the background. Default [0, 1]. */
  gradient: Range;
  /** Nucleus signal above background, fraction of the grey range. Default [0.04, 0.6]. */
  contrast: Range;
  /** Relative brightness variation between nuclei. Default [0, 0.5]. */
  intensityJitter: Range;
  /** Fraction of nuclei that are dim. Default [0, 0.3]. */
  dimFraction: Range;
  /** Brightness factor of dim nuclei. Default [0.15, 0.5]. */
  dimFactor: Range;
  /** Optical blur sigma in x/y, voxels. Default [0, 2]. */
  blurVoxels: Range;
  /** PSF elongation: z blur / x-y blur in physical units. Default [1, 3]. */
  blurZRatio: Range;
  /** Photon count at the level background + contrast (shot noise; lower = noisier). Default [4, 400]. */
  photons: Range;
  /** Gaussian read noise sd, fraction of the grey range. Default [0, 0.05]. */
  noise: Range;
  /** Output bit depths to choose from. Default [8, 12, 16]. */
  bitDepth: (8 | 12 | 16)[];
  /** x-y voxel size, µm. Default [0.1, 0.5]. */
  xySpacing: Range;
  /** Structured background: amplitude of the positive part of a smooth unit-sd random field, relative to `contrast`. Default [0, 0] (none). */
  clutter: Range;
  /** In-plane correlation sigma of that field, voxels. Default [3, 12]. */
  clutterScale: Range;
  /** Chromatin texture: relative sd of a smooth (σ 1 voxel) multiplicative field inside the nuclei. Default [0, 0] (none). */
  texture: Range;
}

export const DEFAULT_NUCLEI_RANGES: NucleiRanges = {
  radiusVoxels: [3, 15],
  radiusJitter: [0, 0.3],
  elongation: [0, 0.35],
  anisotropy: [1, 3],
  density: [0.02, 0.3],
  touching: [0.2, 0.9],
  background: [0, 0.3],
  gradient: [0, 1],
  contrast: [0.04, 0.6],
  intensityJitter: [0, 0.5],
  dimFraction: [0, 0.3],
  dimFactor: [0.15, 0.5],
  blurVoxels: [0, 2],
  blurZRatio: [1, 3],
  photons: [4, 400],
  noise: [0, 0.05],
  bitDepth: [8, 12, 16],
  xySpacing: [0.1, 0.5],
  clutter: [0, 0],
  clutterScale: [3, 12],
  texture: [0, 0],
};

/**
 * Ranges closer to real stacks (`generate-training-data --ranges microscopy`): the defaults plus a
 * structured background (on 1136_mini's training half the background has blotches and bands as
 * large as nuclei; the defaults' background is a ramp plus white noise) and chromatin texture. The
 * defaults stay as they are: the held-out generated validation set (lib/eval/validation-set.ts) is
 * drawn from them. (training/unet/README.md says which ranges the bundled nuclei model trains on.)
 */
export const MICROSCOPY_NUCLEI_RANGES: NucleiRanges = {
  ...DEFAULT_NUCLEI_RANGES,
  clutter: [0, 0.25],
  texture: [0, 0.3],
};

/** Named range sets (the CLI's `--ranges`). */
export const NUCLEI_RANGE_PRESETS = { default: DEFAULT_NUCLEI_RANGES, microscopy: MICROSCOPY_NUCLEI_RANGES } as const;

/** One concrete draw: every number used to render the scene. */
export interface RandomNucleiParams {
  seed: number;
  shape: Vec3;
  spacing: Vec3;
  anisotropy: number;
  radiusVoxels: number;
  /** generateNuclei radius (physical) = radiusVoxels · spacing[0]. */
  radius: number;
  radiusJitter: number;
  elongation: number;
  density: number;
  /** Nuclei requested (generateNuclei may place fewer when crowded). */
  count: number;
  touching: number;
  background: number;
  gradient: number;
  /** Unit direction of the background ramp. */
  gradientDirection: Vec3;
  contrast: number;
  intensityJitter: number;
  dimFraction: number;
  dimFactor: number;
  blurVoxels: number;
  blurZRatio: number;
  photons: number;
  noise: number;
  bitDepth: 8 | 12 | 16;
  /** 0 = flat background (plus ramp and noise). Absent in parameter sets recorded before it existed. */
  clutter?: number;
  clutterScale?: number;
  texture?: number;
}

export interface RandomNuclei extends SyntheticNuclei {
  params: RandomNucleiParams;
  /** Labels of the nuclei rendered dim. */
  dimLabels: number[];
}

/** At most this many nuclei per volume (placement is quadratic in the count). */
export const MAX_RANDOM_NUCLEI = 1500;

function checkRanges(r: NucleiRanges): void {
  for (const [k, v] of Object.entries(r)) {
    if (k === 'bitDepth') {
      const b = v as number[];
      if (b.length === 0 || b.some((x) => x !== 8 && x !== 12 && x !== 16)) {
        throw new ArgumentError(`bitDepth must list 8, 12 or 16, got [${b.join(', ')}]`, { where: 'drawNucleiParams.ranges.bitDepth' });
      }
      continue;
    }
    const [lo, hi] = v as Range;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi && lo >= 0)) {
      throw new ArgumentError(`range ${k} must be [lo, hi] with 0 ≤ lo ≤ hi, got [${lo}, ${hi}]`, { where: `drawNucleiParams.ranges.${k}` });
    }
  }
  if (r.radiusVoxels[0] <= 0 || r.anisotropy[0] < 1 || r.xySpacing[0] <= 0 || r.photons[0] <= 0 || r.radiusJitter[1] >= 1 || r.elongation[1] >= 1 || r.touching[1] > 1) {
    throw new ArgumentError('ranges out of bounds', {
      where: 'drawNucleiParams.ranges',
      hint: 'radiusVoxels, xySpacing, photons > 0; anisotropy ≥ 1; radiusJitter, elongation < 1; touching ≤ 1.',
    });
  }
}

/** Draw one parameter set for a `shape` volume. */
export function drawNucleiParams(seed: number, shape: Vec3, ranges: Partial<NucleiRanges> = {}): RandomNucleiParams {
  if (!Number.isInteger(seed)) throw new ArgumentError(`seed must be an integer, got ${seed}`, { where: 'drawNucleiParams.seed' });
  const r: NucleiRanges = { ...DEFAULT_NUCLEI_RANGES, ...ranges };
  checkRanges(r);
  // a PRNG stream of its own (the scene's geometry uses `seed` inside generateNuclei)
  const rng = mulberry32((seed ^ 0x5bd1e995) >>> 0);
  const u = (k: Exclude<keyof NucleiRanges, 'bitDepth'>) => uniform(rng, r[k][0], r[k][1]);
  const anisotropy = u('anisotropy');
  const xy = u('xySpacing');
  const spacing: Vec3 = [xy, xy, xy * anisotropy];
  const radiusVoxels = u('radiusVoxels');
  const radius = radiusVoxels * xy;
  const density = u('density');
  const physical = shape[0] * shape[1] * shape[2] * spacing[0] * spacing[1] * spacing[2];
  const count = Math.min(MAX_RANDOM_NUCLEI, Math.max(1, Math.round((density * physical) / ((4 / 3) * Math.PI * radius ** 3))));
  const d: Vec3 = [normal(rng), normal(rng), normal(rng)];
  const len = Math.hypot(...d) || 1;
  return {
    seed,
    shape: [...shape],
    spacing,
    anisotropy,
    radiusVoxels,
    radius,
    radiusJitter: u('radiusJitter'),
    elongation: u('elongation'),
    density,
    count,
    touching: u('touching'),
    background: u('background'),
    gradient: u('gradient'),
    gradientDirection: [d[0] / len, d[1] / len, d[2] / len],
    contrast: u('contrast'),
    intensityJitter: u('intensityJitter'),
    dimFraction: u('dimFraction'),
    dimFactor: u('dimFactor'),
    blurVoxels: u('blurVoxels'),
    blurZRatio: u('blurZRatio'),
    photons: u('photons'),
    noise: u('noise'),
    bitDepth: r.bitDepth[Math.min(r.bitDepth.length - 1, Math.floor(rng() * r.bitDepth.length))],
    // drawn after everything above, so the draws of every earlier field are unchanged
    clutter: u('clutter'),
    clutterScale: u('clutterScale'),
    texture: u('texture'),
  };
}

/** A smooth random field over `shape` with unit standard deviation (σ in voxels per axis), from its own PRNG stream. */
function smoothField(shape: Vec3, spacing: Vec3, sigma: Vec3, seed: number): Float32Array {
  const rng = mulberry32(seed >>> 0);
  const n = shape[0] * shape[1] * shape[2];
  const white = new Float32Array(n);
  for (let i = 0; i < n; i++) white[i] = normal(rng);
  const f = gaussianSmooth({ data: white, shape, spacing }, 1, { sigmaVoxels: sigma }).data;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    s += f[i];
    s2 += f[i] * f[i];
  }
  const mean = s / n;
  const sd = Math.sqrt(Math.max(1e-12, s2 / n - mean * mean));
  for (let i = 0; i < n; i++) f[i] = (f[i] - mean) / sd;
  return f;
}

export interface RandomNucleiOptions {
  /** Grid [nx, ny, nz]. Default [96, 96, 48]. */
  shape?: Vec3;
  /** Seed of the draw and the geometry. Default 1. */
  seed?: number;
  ranges?: Partial<NucleiRanges>;
  /** Render these parameters instead of drawing them (shape and seed then come from here). */
  params?: RandomNucleiParams;
}

const SHAPE_LEVEL = 1000;

export function generateRandomNuclei(opts: RandomNucleiOptions = {}): RandomNuclei {
  const p = opts.params ?? drawNucleiParams(opts.seed ?? 1, opts.shape ?? [96, 96, 48], opts.ranges);
  const g = generateNuclei({
    shape: p.shape,
    spacing: p.spacing,
    count: p.count,
    radius: p.radius,
    radiusJitter: p.radiusJitter,
    elongation: p.elongation,
    touching: p.touching,
    background: 0,
    intensity: SHAPE_LEVEL,
    intensityJitter: p.intensityJitter,
    blur: 0,
    noise: 0,
    poisson: false,
    seed: p.seed,
  });
  const rng = mulberry32((p.seed ^ 0x2545f491) >>> 0);
  const nLabels = g.nuclei.length;
  const factor = new Float32Array(nLabels + 1).fill(1);
  const dimLabels: number[] = [];
  for (let l = 1; l <= nLabels; l++) {
    if (rng() < p.dimFraction) {
      factor[l] = p.dimFactor;
      dimLabels.push(l);
    }
  }
  const [nx, ny, nz] = p.shape;
  const n = nx * ny * nz;
  const signal = new Float32Array(n);
  const [gx, gy, gz] = p.gradientDirection;
  // ramp in [0, 1] along the direction across the volume (voxel coordinates scaled to [0, 1] per axis)
  const span = Math.abs(gx) + Math.abs(gy) + Math.abs(gz) || 1;
  const off = Math.min(0, gx) + Math.min(0, gy) + Math.min(0, gz);
  const shapeData = g.image.data;
  const lab = g.labels.data;
  const clutter = p.clutter ?? 0;
  const texture = p.texture ?? 0;
  const cs = p.clutterScale ?? 0;
  const clutterField = clutter > 0 && cs > 0 ? smoothField(p.shape, p.spacing, [cs, cs, cs / p.anisotropy], p.seed ^ 0x68e31da4) : null;
  const textureField = texture > 0 ? smoothField(p.shape, p.spacing, [1, 1, 1 / p.anisotropy], p.seed ^ 0x1b873593) : null;
  for (let z = 0, i = 0; z < nz; z++) {
    const fz = nz > 1 ? z / (nz - 1) : 0;
    for (let y = 0; y < ny; y++) {
      const fy = ny > 1 ? y / (ny - 1) : 0;
      for (let x = 0; x < nx; x++, i++) {
        const fx = nx > 1 ? x / (nx - 1) : 0;
        const ramp = (gx * fx + gy * fy + gz * fz - off) / span;
        const tex = textureField && lab[i] > 0 ? Math.max(0, 1 + texture * textureField[i]) : 1;
        const blot = clutterField ? clutter * p.contrast * Math.max(0, clutterField[i]) : 0;
        signal[i] = p.background * (1 + p.gradient * ramp) + blot + (p.contrast * factor[lab[i]] * tex * shapeData[i]) / SHAPE_LEVEL;
      }
    }
  }
  const sxy = p.blurVoxels;
  const sz = (p.blurVoxels * p.blurZRatio) / p.anisotropy;
  const blurred = sxy > 0 ? gaussianSmooth({ data: signal, shape: p.shape, spacing: p.spacing }, 1, { sigmaVoxels: [sxy, sxy, sz] }).data : signal;
  const maxGrey = 2 ** p.bitDepth - 1;
  const gain = p.photons / Math.max(1e-6, p.background + p.contrast); // counts per unit signal
  const image = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    let v = poisson(rng, blurred[i] * gain) / gain;
    if (p.noise > 0) v += p.noise * normal(rng);
    v *= maxGrey;
    image[i] = v <= 0 ? 0 : v >= maxGrey ? maxGrey : Math.round(v);
  }
  return { image: { ...g.image, data: image }, labels: g.labels, nuclei: g.nuclei, params: p, dimLabels };
}
