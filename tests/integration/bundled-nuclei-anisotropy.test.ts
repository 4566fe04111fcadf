/**
 * Issue #5 acceptance: the bundled `nuclei` model on volumes whose voxel spacing differs from its
 * training data. The same generated scenes (lib/synth generateRandomNuclei, same drawn parameters,
 * same physical extent) are rendered isotropic (z spacing = x-y spacing) and 2× anisotropic (half the
 * z slices at twice the spacing). The acceptance — resampled and still segmented well — is
 * `resample: 'isotropic'` (the Run parameter: resampled to cubic voxels before the network,
 * instances brought back to the native grid; its mapping back is tested in
 * tests/unit/cell-instances.test.ts): its mean AP@0.5 must stay within 0.05 of the isotropic case,
 * and the isotropic case must be a real segmentation (AP@0.5 ≥ 0.5). The card's default
 * (`resample: 'native'`, the network trained over z/x-y anisotropy 1–3) is run and reported too:
 * with nuclei 0.3.0 it loses 0.052 on these scenes (isotropic 0.978, resampled 0.966, native 0.926)
 * and it is the default because the network was trained on native grids (0.2.0 on the validation
 * suite: 1136_mini 0.464 native vs 0.265 resampled, generated 0.720 vs 0.645); its floor here is
 * isotropic − 0.15. Runs onnxruntime-node on the committed ONNX (the engine-vs-onnxruntime
 * agreement of the same file is tested in bundled-models-acceptance.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { instanceAP } from '@/lib/metrics';
import { type NucleiRanges, DEFAULT_NUCLEI_RANGES, drawNucleiParams, generateRandomNuclei } from '@/lib/synth/nuclei-random';
import type { Volume } from '@/lib/volume';
import { loadBundledModel } from '@/server/inference/bundled-models';
import { runModelOnVolume } from '@/server/inference/run-model-on-volume';

const RANGES: NucleiRanges = {
  ...DEFAULT_NUCLEI_RANGES,
  radiusVoxels: [5, 9],
  anisotropy: [1, 1],
  density: [0.05, 0.15],
  contrast: [0.2, 0.5],
  photons: [60, 400],
  dimFraction: [0, 0],
  blurVoxels: [0.5, 1.5],
  bitDepth: [16],
};
const SEEDS = [7001, 7002, 7003, 7004];

async function ap(vol: Volume, gt: Uint32Array, resample: 'native' | 'isotropic'): Promise<number> {
  const m = loadBundledModel('nuclei');
  const r = await runModelOnVolume(m.bytes, vol, m.card, { device: 'ort', cellPipeline: { resample } });
  return instanceAP(r.instanceLabels as Uint32Array, gt).ap50;
}

describe('bundled nuclei model: 2× anisotropic volumes are segmented as well as isotropic ones', () => {
  it(`mean AP@0.5 over ${SEEDS.length} scenes: 2× anisotropic within 0.05 of isotropic`, { timeout: 600_000 }, async () => {
    const iso: number[] = [];
    const aniso: number[] = [];
    const nativeAniso: number[] = [];
    for (const seed of SEEDS) {
      const p = drawNucleiParams(seed, [64, 64, 48], RANGES);
      const a = generateRandomNuclei({ params: p });
      const b = generateRandomNuclei({ params: { ...p, shape: [64, 64, 24], spacing: [p.spacing[0], p.spacing[1], 2 * p.spacing[2]], anisotropy: 2 } });
      iso.push(await ap(a.image, a.labels.data, 'native'));
      aniso.push(await ap(b.image, b.labels.data, 'isotropic'));
      nativeAniso.push(await ap(b.image, b.labels.data, 'native'));
    }
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    console.log(`[anisotropy] AP@0.5 isotropic ${iso.map((v) => v.toFixed(3)).join(' ')} (mean ${mean(iso).toFixed(3)}); 2× anisotropic resampled ${aniso.map((v) => v.toFixed(3)).join(' ')} (mean ${mean(aniso).toFixed(3)}); 2× anisotropic on its native grid mean ${mean(nativeAniso).toFixed(3)}`);
    expect(mean(iso)).toBeGreaterThanOrEqual(0.5);
    expect(Math.abs(mean(aniso) - mean(iso))).toBeLessThanOrEqual(0.05);
    expect(mean(nativeAniso)).toBeGreaterThanOrEqual(mean(iso) - 0.15);
  });
});
