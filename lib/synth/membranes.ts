/**
 * Synthetic membrane-stained tissue (PlantSeg-style) with dense cell instance labels.
 *
 * Cells are the cells of a power diagram (additively weighted Voronoi) of random seeds, placed with
 * a minimum spacing in a box slightly larger than the volume (so border cells are cut, as in a real
 * crop). Every voxel belongs to the cell whose seed has the smallest power distance
 * `|Sᵀ(p − s)|² − w` (S = diag(1/stretch): cells elongated along axes with stretch > 1; w from
 * `sizeJitter`): the labels are dense, 1..N, numbered in order of first appearance in memory order.
 *
 * Image: each voxel's distance δ to the nearest cell wall (the power bisector between its nearest
 * and second-nearest seed, physical units) gives a membrane profile exp(−δ²/2t²) (t = `thickness`)
 * with per-cell brightness (`membraneJitter`), plus a dim per-cell cytoplasm level (`cytoplasm`), a
 * linear background gradient (`gradient`), anisotropic optical blur (`blur` in x/y, `blurZ` along z,
 * physical sigmas), Poisson shot noise and Gaussian read noise (`noise`), rounded and clipped to
 * [0, 2^bitDepth − 1] in a Uint16Array.
 *
 * Defaults: 96×96×48 voxels of 0.15×0.15×0.235 µm (the sample_ovule grid), cells of 4.5 µm,
 * membrane peak 400 grey levels over a cytoplasm of 40 and a background of 20, seed 1. Same options
 * → same volume, bit for bit.
 */
import { ArgumentError } from '../errors';
import { gaussianSmooth } from '../segmentation/gaussian';
import { type LabelVolume, type Vec3, type Volume, identityAffine } from '../volume';
import { checkOption, sensorImage } from './sensor';
import { mulberry32, normal, uniform } from './prng';

export interface MembraneOptions {
  /** Grid size [nx, ny, nz]. Default [96, 96, 48]. */
  shape?: Vec3;
  /** Voxel size (µm). Default [0.15, 0.15, 0.235]. */
  spacing?: Vec3;
  /** Mean cell diameter, physical units. Default 4.5. */
  cellSize?: number;
  /** Number of seeds; default: the padded box volume / cellSize³. */
  count?: number;
  /** Relative size variation of cells (power-diagram weights), in [0, 1). Default 0.3. */
  sizeJitter?: number;
  /** Per-axis elongation of cells (physical). Default [1, 1, 1]. */
  stretch?: Vec3;
  /** Membrane half-width sigma, physical units. Default 0.12. */
  thickness?: number;
  /** Membrane peak above the cytoplasm (grey levels). Default 400. */
  intensity?: number;
  /** Relative brightness variation of the membranes between cells (uniform ±). Default 0.3. */
  membraneJitter?: number;
  /** Mean cytoplasm level above background (grey levels), ±50 % per cell. Default 40. */
  cytoplasm?: number;
  /** Background level (grey levels). Default 20. */
  background?: number;
  /** Linear background gradient: added level across the volume, as a fraction of `intensity`. Default 0. */
  gradient?: number;
  /** Optical blur sigma in x/y, physical units. Default 0.1. */
  blur?: number;
  /** Optical blur sigma along z, physical units. Default 2 × blur. */
  blurZ?: number;
  /** Additive Gaussian noise sd (grey levels). Default 15. */
  noise?: number;
  /** Poisson shot noise on the blurred signal. Default true. */
  poisson?: boolean;
  /** Output grey range: values clipped to [0, 2^bitDepth − 1]. Default 16. */
  bitDepth?: 8 | 12 | 16;
  /** PRNG seed. Default 1. */
  seed?: number;
}

export interface MembraneCell {
  /** Label in the ground truth (1-based). */
  label: number;
  /** Seed, physical units from voxel (0,0,0). */
  seed: Vec3;
  /** Power-diagram weight (physical units²). */
  weight: number;
  /** Membrane brightness above cytoplasm. */
  brightness: number;
}

export interface SyntheticMembranes {
  image: Volume<Uint16Array>;
  labels: LabelVolume;
  /** Cells present in the labels, by label. */
  cells: MembraneCell[];
}

const check = (name: string, v: number, ok: boolean, hint: string): void => checkOption('generateMembranes', name, v, ok, hint);

/** Per-axis blur (sigmas in voxels); none when all are 0. */
export function blurVoxels(v: Volume<Float32Array>, sigmaVox: Vec3): Float32Array {
  if (sigmaVox.every((s) => s <= 0)) return v.data;
  return gaussianSmooth(v, 1, { sigmaVoxels: sigmaVox }).data;
}

export function generateMembranes(opts: MembraneOptions = {}): SyntheticMembranes {
  const shape: Vec3 = opts.shape ? [...opts.shape] : [96, 96, 48];
  const spacing: Vec3 = opts.spacing ? [...opts.spacing] : [0.15, 0.15, 0.235];
  for (let i = 0; i < 3; i++) {
    check(`shape[${i}]`, shape[i], Number.isInteger(shape[i]) && shape[i] >= 1, 'Use positive integer sizes.');
    check(`spacing[${i}]`, spacing[i], spacing[i] > 0, 'Use positive voxel sizes.');
  }
  const cellSize = opts.cellSize ?? 4.5;
  const sizeJitter = opts.sizeJitter ?? 0.3;
  const stretch: Vec3 = opts.stretch ? [...opts.stretch] : [1, 1, 1];
  const thickness = opts.thickness ?? 0.12;
  const intensity = opts.intensity ?? 400;
  const membraneJitter = opts.membraneJitter ?? 0.3;
  const cytoplasm = opts.cytoplasm ?? 40;
  const background = opts.background ?? 20;
  const gradient = opts.gradient ?? 0;
  const blur = opts.blur ?? 0.1;
  const blurZ = opts.blurZ ?? 2 * blur;
  const noiseSd = opts.noise ?? 15;
  const usePoisson = opts.poisson ?? true;
  const bitDepth = opts.bitDepth ?? 16;
  const seed = opts.seed ?? 1;
  check('cellSize', cellSize, cellSize > 0, 'Use a positive diameter in physical units.');
  check('sizeJitter', sizeJitter, sizeJitter >= 0 && sizeJitter < 1, 'Use a fraction in [0, 1).');
  stretch.forEach((s, i) => check(`stretch[${i}]`, s, s > 0, 'Use positive factors.'));
  check('thickness', thickness, thickness > 0, 'Use a positive sigma in physical units.');
  check('intensity', intensity, intensity >= 0, 'Use a level ≥ 0.');
  check('membraneJitter', membraneJitter, membraneJitter >= 0 && membraneJitter < 1, 'Use a fraction in [0, 1).');
  check('cytoplasm', cytoplasm, cytoplasm >= 0, 'Use a level ≥ 0.');
  check('background', background, background >= 0, 'Use a level ≥ 0.');
  check('gradient', gradient, gradient >= 0, 'Use a fraction ≥ 0.');
  check('blur', blur, blur >= 0, 'Use a sigma ≥ 0.');
  check('blurZ', blurZ, blurZ >= 0, 'Use a sigma ≥ 0.');
  check('noise', noiseSd, noiseSd >= 0, 'Use an sd ≥ 0.');
  check('bitDepth', bitDepth, bitDepth === 8 || bitDepth === 12 || bitDepth === 16, 'Use 8, 12 or 16.');
  check('seed', seed, Number.isInteger(seed), 'Use an integer seed.');

  const extent: Vec3 = [shape[0] * spacing[0], shape[1] * spacing[1], shape[2] * spacing[2]];
  const pad = cellSize / 2;
  const lo: Vec3 = [-pad, -pad, -pad];
  const hi: Vec3 = [extent[0] + pad, extent[1] + pad, extent[2] + pad];
  const boxVolume = (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]);
  const count = opts.count ?? Math.max(2, Math.round(boxVolume / cellSize ** 3));
  check('count', count, Number.isInteger(count) && count >= 1, 'Use a positive integer.');

  // ---- seeds: uniform with a minimum distance (in the stretched metric), relaxed when crowded
  const rng = mulberry32(seed);
  const seeds: Vec3[] = [];
  const weights: number[] = [];
  const bright: number[] = [];
  const cyto: number[] = [];
  let minD = 0.6 * cellSize;
  const metric = (a: Vec3, b: Vec3) => Math.hypot((a[0] - b[0]) / stretch[0], (a[1] - b[1]) / stretch[1], (a[2] - b[2]) / stretch[2]);
  for (let n = 0; n < count; n++) {
    let placed = false;
    for (let attempt = 0; attempt < 200 && !placed; attempt++) {
      const s: Vec3 = [uniform(rng, lo[0], hi[0]), uniform(rng, lo[1], hi[1]), uniform(rng, lo[2], hi[2])];
      if (seeds.every((o) => metric(o, s) >= minD)) {
        seeds.push(s);
        placed = true;
      }
    }
    if (!placed) minD *= 0.9;
    else {
      const r = (cellSize / 2) * uniform(rng, 1 - sizeJitter, 1 + sizeJitter);
      weights.push(r * r - (cellSize / 2) ** 2);
      bright.push(intensity * uniform(rng, 1 - membraneJitter, 1 + membraneJitter));
      cyto.push(cytoplasm * uniform(rng, 0.5, 1.5));
    }
  }
  const k = seeds.length;
  // seeds in the stretched metric, for the distance loop
  const sx = new Float64Array(k), sy = new Float64Array(k), sz = new Float64Array(k), sw = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    sx[i] = seeds[i][0] / stretch[0];
    sy[i] = seeds[i][1] / stretch[1];
    sz[i] = seeds[i][2] / stretch[2];
    sw[i] = weights[i];
  }
  const gdir: Vec3 = (() => {
    const d: Vec3 = [normal(rng), normal(rng), normal(rng)];
    const l = Math.hypot(...d) || 1;
    return [d[0] / l, d[1] / l, d[2] / l];
  })();
  const gspan = Math.abs(gdir[0]) * extent[0] + Math.abs(gdir[1]) * extent[1] + Math.abs(gdir[2]) * extent[2] || 1;
  const gmin = Math.min(0, gdir[0] * extent[0]) + Math.min(0, gdir[1] * extent[1]) + Math.min(0, gdir[2] * extent[2]);

  // ---- labels (nearest power distance) and the membrane signal (distance to the nearest wall)
  const [nx, ny, nz] = shape;
  const nvox = nx * ny * nz;
  const seedOf = new Int32Array(nvox);
  const signal = new Float32Array(nvox);
  const twoT2 = 2 * thickness * thickness;
  for (let z = 0; z < nz; z++) {
    const pz = (z * spacing[2]) / stretch[2];
    for (let y = 0; y < ny; y++) {
      const py = (y * spacing[1]) / stretch[1];
      let i = nx * (y + ny * z);
      for (let x = 0; x < nx; x++, i++) {
        const px = (x * spacing[0]) / stretch[0];
        let b1 = Infinity, b2 = Infinity, i1 = 0, i2 = 0;
        for (let s = 0; s < k; s++) {
          const dx = px - sx[s], dy = py - sy[s], dz = pz - sz[s];
          const d = dx * dx + dy * dy + dz * dz - sw[s];
          if (d < b1) {
            b2 = b1; i2 = i1; b1 = d; i1 = s;
          } else if (d < b2) {
            b2 = d; i2 = s;
          }
        }
        seedOf[i] = i1;
        let m = 0;
        if (k > 1) {
          const sep = Math.hypot(sx[i2] - sx[i1], sy[i2] - sy[i1], sz[i2] - sz[i1]) || 1e-9;
          const delta = (b2 - b1) / (2 * sep); // distance to the power bisector (stretched metric)
          m = Math.exp(-(delta * delta) / twoT2) * 0.5 * (bright[i1] + bright[i2]);
        }
        const g = gradient * intensity * ((gdir[0] * x * spacing[0] + gdir[1] * y * spacing[1] + gdir[2] * z * spacing[2] - gmin) / gspan);
        signal[i] = background + g + cyto[i1] + m;
      }
    }
  }

  // ---- dense labels 1..N in order of first appearance
  const labelOfSeed = new Int32Array(k).fill(0);
  const labels = new Uint32Array(nvox);
  const cells: MembraneCell[] = [];
  for (let i = 0; i < nvox; i++) {
    const s = seedOf[i];
    if (labelOfSeed[s] === 0) {
      labelOfSeed[s] = cells.length + 1;
      cells.push({ label: cells.length + 1, seed: [...seeds[s]], weight: weights[s], brightness: bright[s] });
    }
    labels[i] = labelOfSeed[s];
  }

  const sigVox: Vec3 = [blur / spacing[0], blur / spacing[1], blurZ / spacing[2]];
  const blurred = blurVoxels({ data: signal, shape, spacing }, sigVox);
  const image = sensorImage(blurred, rng, { poisson: usePoisson, noiseSd, maxGrey: 2 ** bitDepth - 1 });
  return {
    image: { data: image, shape: [...shape], spacing: [...spacing], affine: identityAffine(spacing), units: 'um' },
    labels: { data: labels, shape: [...shape], spacing: [...spacing], affine: identityAffine(spacing), units: 'um' },
    cells,
  };
}

/**
 * Randomised membrane-scene options for training (one draw per seed): cell diameter 10–36 voxels
 * in x/y, anisotropy (z spacing / x-y spacing) 1–3, elongation up to 1.5× along a random axis,
 * membrane sigma 0.5–1.5 voxels, membrane peak 5–60 % of the grey range over a cytoplasm of 0–50 % of
 * the peak and a background 0–15 %, gradient 0–0.5, blur 0–1.5 voxels (z: ×1–3 physical), read noise
 * 0–8 % of the peak, bit depth 8/12/16.
 */
export function randomMembraneOptions(seed: number, shape: Vec3): MembraneOptions & { seed: number; shape: Vec3; spacing: Vec3; bitDepth: 8 | 12 | 16 } {
  if (!Number.isInteger(seed)) throw new ArgumentError(`seed must be an integer, got ${seed}`, { where: 'randomMembraneOptions.seed' });
  const rng = mulberry32((seed ^ 0x68e31da4) >>> 0);
  const xy = uniform(rng, 0.1, 0.3);
  const anisotropy = uniform(rng, 1, 3);
  const spacing: Vec3 = [xy, xy, xy * anisotropy];
  const bitDepth = ([8, 12, 16] as const)[Math.floor(rng() * 3)];
  const maxGrey = 2 ** bitDepth - 1;
  const stretch: Vec3 = [1, 1, 1];
  stretch[Math.floor(rng() * 3)] = uniform(rng, 1, 1.5);
  const intensity = maxGrey * uniform(rng, 0.05, 0.6);
  const blur = xy * uniform(rng, 0, 1.5);
  return {
    seed,
    shape: [...shape],
    spacing,
    cellSize: xy * uniform(rng, 10, 36),
    sizeJitter: uniform(rng, 0, 0.5),
    stretch,
    thickness: xy * uniform(rng, 0.5, 1.5),
    intensity,
    membraneJitter: uniform(rng, 0, 0.6),
    cytoplasm: intensity * uniform(rng, 0, 0.5),
    background: maxGrey * uniform(rng, 0, 0.15),
    gradient: uniform(rng, 0, 0.5),
    blur,
    blurZ: blur * uniform(rng, 1, 3),
    noise: intensity * uniform(rng, 0, 0.08),
    poisson: true,
    bitDepth,
  };
}
