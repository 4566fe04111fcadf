/**
 * Synthetic fluorescence-nuclei volumes with exact instance ground truth.
 *
 * Nuclei are randomly oriented ellipsoids (semi-axes around `radius`, physical units). Most are
 * placed against an existing nucleus (probability `touching`) with their surfaces interpenetrating
 * by `overlap` of the summed radii, so clusters of touching nuclei appear — the case a
 * distance-transform watershed exists for. No two nuclei overlap by more than `overlap`.
 *
 * Ground truth: a voxel belongs to the nucleus with the smallest normalised ellipsoid distance
 * `|diag(1/a) Rᵀ (p − c)|` when that distance is ≤ 1, else background.
 *
 * Image: `background` + per-nucleus brightness (mean `intensity`, ±`intensityJitter` relative)
 * with a mild centre-bright profile, Gaussian blur (`blur`, physical sigma), Poisson shot noise
 * (`poisson`), additive Gaussian read noise (sd `noise`), rounded and clipped to uint16.
 *
 * Defaults: 128³ voxels of 0.5×0.5×1.0 (µm), radius 4.5, ~100 nuclei (count scales with the
 * physical volume), seed 1. Same options → same volume, bit for bit.
 */
import { type LabelVolume, type Vec3, type Volume, identityAffine } from '../volume';
import { gaussianSmooth } from '../segmentation/gaussian';
import { checkOption, sensorImage } from './sensor';
import { mulberry32, normal, randomRotation, uniform } from './prng';

export interface NucleiOptions {
  /** Grid size [nx, ny, nz]. Default [128, 128, 128]. */
  shape?: Vec3;
  /** Voxel size. Default [0.5, 0.5, 1.0]. */
  spacing?: Vec3;
  /** Number of nuclei to place; default ≈ 100 per 128·128·128 voxels of 0.5×0.5×1 (by physical volume). */
  count?: number;
  /** Mean semi-axis length, physical units. Default 4.5. */
  radius?: number;
  /** Relative size variation between nuclei (uniform ±). Default 0.2. */
  radiusJitter?: number;
  /** Relative variation of the three semi-axes of one nucleus (uniform ±). Default 0.2. */
  elongation?: number;
  /** Probability that a nucleus is placed touching an existing one. Default 0.7. */
  touching?: number;
  /** Surface interpenetration of touching nuclei, as a fraction of their summed radii. Default 0.15. */
  overlap?: number;
  /** Background level. Default 100. */
  background?: number;
  /** Mean nucleus signal above background. Default 500. */
  intensity?: number;
  /** Relative brightness variation between nuclei (uniform ±). Default 0.3. */
  intensityJitter?: number;
  /** Optical blur sigma, physical units; 0 = none. Default 0.5. */
  blur?: number;
  /** Additive Gaussian noise sd (grey levels). Default 20. */
  noise?: number;
  /** Poisson shot noise on the blurred signal. Default true. */
  poisson?: boolean;
  /** PRNG seed. Default 1. */
  seed?: number;
}

export interface Nucleus {
  /** Label in the ground truth (1-based, placement order). */
  label: number;
  /** Centre, physical units from voxel (0,0,0). */
  centre: Vec3;
  /** Semi-axes, physical units. */
  semiAxes: Vec3;
  /** Row-major rotation (body → volume axes). */
  rotation: number[];
  /** Brightness above background. */
  brightness: number;
}

export interface SyntheticNuclei {
  image: Volume<Uint16Array>;
  labels: LabelVolume;
  nuclei: Nucleus[];
}

const DEFAULT_DENSITY = 100 / (64 * 64 * 128);

const check = (name: string, v: number, ok: boolean, hint: string): void => checkOption('generateNuclei', name, v, ok, hint);

/** Extent of ellipsoid n along unit direction d (distance from its centre to its surface). */
function extentAlong(n: Nucleus, d: Vec3): number {
  const r = n.rotation;
  let s = 0;
  for (let k = 0; k < 3; k++) {
    // body coordinate k = (Rᵀ d)_k
    const b = r[k] * d[0] + r[3 + k] * d[1] + r[6 + k] * d[2];
    s += (b / n.semiAxes[k]) ** 2;
  }
  return 1 / Math.sqrt(s);
}

export function generateNuclei(opts: NucleiOptions = {}): SyntheticNuclei {
  const shape: Vec3 = opts.shape ? [...opts.shape] : [128, 128, 128];
  const spacing: Vec3 = opts.spacing ? [...opts.spacing] : [0.5, 0.5, 1.0];
  for (let i = 0; i < 3; i++) {
    check(`shape[${i}]`, shape[i], Number.isInteger(shape[i]) && shape[i] >= 1, 'Use positive integer sizes.');
    check(`spacing[${i}]`, spacing[i], spacing[i] > 0, 'Use positive voxel sizes.');
  }
  const extent: Vec3 = [shape[0] * spacing[0], shape[1] * spacing[1], shape[2] * spacing[2]];
  const radius = opts.radius ?? 4.5;
  const count = opts.count ?? Math.max(1, Math.round(DEFAULT_DENSITY * extent[0] * extent[1] * extent[2]));
  const radiusJitter = opts.radiusJitter ?? 0.2;
  const elongation = opts.elongation ?? 0.2;
  const touching = opts.touching ?? 0.7;
  const overlap = opts.overlap ?? 0.15;
  const background = opts.background ?? 100;
  const intensity = opts.intensity ?? 500;
  const intensityJitter = opts.intensityJitter ?? 0.3;
  const blur = opts.blur ?? 0.5;
  const noiseSd = opts.noise ?? 20;
  const usePoisson = opts.poisson ?? true;
  const seed = opts.seed ?? 1;
  check('radius', radius, radius > 0, 'Use a positive radius in physical units.');
  check('count', count, Number.isInteger(count) && count >= 0, 'Use a non-negative integer.');
  check('radiusJitter', radiusJitter, radiusJitter >= 0 && radiusJitter < 1, 'Use a fraction in [0, 1).');
  check('elongation', elongation, elongation >= 0 && elongation < 1, 'Use a fraction in [0, 1).');
  check('touching', touching, touching >= 0 && touching <= 1, 'Use a probability in [0, 1].');
  check('overlap', overlap, overlap >= 0 && overlap < 0.5, 'Use a fraction in [0, 0.5).');
  check('background', background, background >= 0, 'Use a level ≥ 0.');
  check('intensity', intensity, intensity >= 0, 'Use a level ≥ 0.');
  check('intensityJitter', intensityJitter, intensityJitter >= 0 && intensityJitter < 1, 'Use a fraction in [0, 1).');
  check('blur', blur, blur >= 0, 'Use a sigma ≥ 0 (0 disables blur).');
  check('noise', noiseSd, noiseSd >= 0, 'Use an sd ≥ 0.');
  check('seed', seed, Number.isInteger(seed), 'Use an integer seed.');

  const rng = mulberry32(seed);
  const nuclei: Nucleus[] = [];
  const maxAttempts = 400;
  for (let n = 0; n < count; n++) {
    const scale = radius * uniform(rng, 1 - radiusJitter, 1 + radiusJitter);
    const semiAxes: Vec3 = [0, 0, 0].map(() => scale * uniform(rng, 1 - elongation, 1 + elongation)) as Vec3;
    const rotation = randomRotation(rng);
    const brightness = intensity * uniform(rng, 1 - intensityJitter, 1 + intensityJitter);
    const cand: Nucleus = { label: nuclei.length + 1, centre: [0, 0, 0], semiAxes, rotation, brightness };
    const rmin = Math.min(...semiAxes);
    let placed = false;
    for (let attempt = 0; attempt < maxAttempts && !placed; attempt++) {
      if (nuclei.length > 0 && rng() < touching) {
        const other = nuclei[Math.floor(rng() * nuclei.length)];
        const d: Vec3 = [normal(rng), normal(rng), normal(rng)];
        const len = Math.hypot(...d) || 1;
        d[0] /= len;
        d[1] /= len;
        d[2] /= len;
        const dist = (1 - overlap) * (extentAlong(other, d) + extentAlong(cand, d));
        cand.centre = [other.centre[0] + d[0] * dist, other.centre[1] + d[1] * dist, other.centre[2] + d[2] * dist];
      } else {
        cand.centre = [uniform(rng, 0, extent[0]), uniform(rng, 0, extent[1]), uniform(rng, 0, extent[2])];
      }
      // keep at least about half of each nucleus inside the volume
      const c = cand.centre;
      if (c.some((v, i) => v < 0.3 * rmin || v > extent[i] - 0.3 * rmin)) continue;
      placed = true;
      for (const o of nuclei) {
        const dv: Vec3 = [c[0] - o.centre[0], c[1] - o.centre[1], c[2] - o.centre[2]];
        const dist = Math.hypot(...dv);
        if (dist === 0) {
          placed = false;
          break;
        }
        const u: Vec3 = [dv[0] / dist, dv[1] / dist, dv[2] / dist];
        if (dist < (1 - overlap) * (extentAlong(o, u) + extentAlong(cand, u)) - 1e-9) {
          placed = false;
          break;
        }
      }
    }
    if (placed) nuclei.push(cand);
  }

  const [nx, ny, nz] = shape;
  const nvox = nx * ny * nz;
  const labels = new Uint32Array(nvox);
  const best = new Float32Array(nvox).fill(Infinity);
  const signal = new Float32Array(nvox).fill(background);
  for (const nu of nuclei) {
    const rmax = Math.max(...nu.semiAxes);
    const lo = nu.centre.map((c, i) => Math.max(0, Math.floor((c - rmax) / spacing[i]))) as Vec3;
    const hi = nu.centre.map((c, i) => Math.min(shape[i] - 1, Math.ceil((c + rmax) / spacing[i]))) as Vec3;
    const r = nu.rotation;
    const [a0, a1, a2] = nu.semiAxes;
    for (let z = lo[2]; z <= hi[2]; z++) {
      const pz = z * spacing[2] - nu.centre[2];
      for (let y = lo[1]; y <= hi[1]; y++) {
        const py = y * spacing[1] - nu.centre[1];
        let i = lo[0] + nx * (y + ny * z);
        for (let x = lo[0]; x <= hi[0]; x++, i++) {
          const px = x * spacing[0] - nu.centre[0];
          const b0 = (r[0] * px + r[3] * py + r[6] * pz) / a0;
          const b1 = (r[1] * px + r[4] * py + r[7] * pz) / a1;
          const b2 = (r[2] * px + r[5] * py + r[8] * pz) / a2;
          const d2 = b0 * b0 + b1 * b1 + b2 * b2;
          if (d2 <= 1 && d2 < best[i]) {
            best[i] = d2;
            labels[i] = nu.label;
            signal[i] = background + nu.brightness * (1 - 0.25 * d2);
          }
        }
      }
    }
  }

  const blurred = blur > 0 ? gaussianSmooth({ data: signal, shape, spacing }, blur).data : signal;
  const image = sensorImage(blurred, rng, { poisson: usePoisson, noiseSd, maxGrey: 65535 });
  const affine = identityAffine(spacing);
  return {
    image: { data: image, shape: [...shape], spacing: [...spacing], affine, units: 'um' },
    labels: { data: labels, shape: [...shape], spacing: [...spacing], affine: identityAffine(spacing), units: 'um' },
    nuclei,
  };
}
