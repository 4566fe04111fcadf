/**
 * Writes training / held-out scenes of our generator (lib/synth/scenes), preprocessed exactly as
 * inference does (lib/pointnet/model/prepare: support-plane alignment, height band, FPS to the
 * model's input count), with the FPS indices of the three set-abstraction levels.
 *
 *   npx tsx training/pointnet/make_data.ts --out <dir> --split train|val --count N [--start S]
 *
 * One file per scene, `<dir>/<seed>.bin`, little-endian:
 *   int32 n, int32 m1, int32 m2, int32 m3,
 *   float32 xyz[n·3] (aligned frame, FPS order), int32 instance[n], int32 class[n],
 *   int32 fps1[m1] (into the n points), int32 fps2[m2] (into fps1), int32 fps3[m3] (into fps2).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fps } from '../../lib/pointnet/fps';
import { prepareCloud } from '../../lib/pointnet/model/prepare';
import { mulberry32, uniform } from '../../lib/synth/prng';
import { VALIDATION_SEED_START, generateScene, type SceneOptions } from '../../lib/synth/scenes';

export const INPUT_POINTS = 2048;
export const LEVELS = [512, 128, 32];
export const HEIGHT_BAND: [number, number] = [0.01, 0.6];

/** Randomised scene options of the training distribution (camera, density, noise, dropout). */
export function trainingSceneOptions(seed: number): SceneOptions {
  const r = mulberry32(seed ^ 0x5bd1e995);
  const el = (uniform(r, 25, 72) * Math.PI) / 180, az = 2 * Math.PI * r(), dist = uniform(r, 0.6, 1.3);
  const target: [number, number, number] = [uniform(r, -0.1, 0.1), uniform(r, -0.08, 0.08), uniform(r, 0, 0.06)];
  return {
    seed,
    kind: 'tabletop',
    objects: [6, 12],
    touching: 2 + Math.floor(r() * 3),
    density: uniform(r, 0.6, 1.2),
    noise: uniform(r, 0.0015, 0.006),
    dropout: uniform(r, 0.01, 0.08),
    camera: r() < 0.25 ? undefined : {
      target,
      position: [target[0] + dist * Math.cos(el) * Math.cos(az), target[1] + dist * Math.cos(el) * Math.sin(az), target[2] + dist * Math.sin(el)],
    },
  };
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, split: { type: 'string' }, count: { type: 'string' }, start: { type: 'string' } } });
  const out = values.out ?? 'data';
  const count = Number(values.count ?? 10);
  const base = values.split === 'val' ? VALIDATION_SEED_START : 0;
  const start = Number(values.start ?? 0);
  mkdirSync(out, { recursive: true });
  let bad = 0;
  const t0 = Date.now();
  for (let k = start; k < start + count; k++) {
    const seed = base + k;
    let scene;
    try {
      scene = generateScene(trainingSceneOptions(seed));
    } catch (e) {
      console.log(`seed ${seed}: ${(e as Error).message}`);
      bad++;
      continue;
    }
    const prep = prepareCloud(scene.cloud, { inputPoints: INPUT_POINTS, heightBand: HEIGHT_BAND });
    // the synthetic table top is z = 0 (world z up): reject scenes whose support plane is not it
    const nz = prep.frame.normal[2];
    const h0 = -prep.frame.d; // height of the plane at the origin along its normal
    if (nz < 0.99 || Math.abs(h0) > 0.02 || prep.nInput < INPUT_POINTS) {
      console.log(`seed ${seed}: support plane n=${prep.frame.normal.map((v) => v.toFixed(3))} d=${prep.frame.d.toFixed(3)} nInput=${prep.nInput} rejected`);
      bad++;
      continue;
    }
    const n = prep.nInput;
    const inst = new Int32Array(n), cls = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const ci = prep.validIndex[prep.inputIndex[j]];
      inst[j] = scene.instance[ci];
      cls[j] = scene.classId[ci];
    }
    const f1 = fps(prep.input, n, LEVELS[0], 0);
    const p1 = new Float32Array(3 * LEVELS[0]);
    f1.forEach((s, j) => p1.set(prep.input.subarray(3 * s, 3 * s + 3), 3 * j));
    const f2 = fps(p1, LEVELS[0], LEVELS[1], 0);
    const p2 = new Float32Array(3 * LEVELS[1]);
    f2.forEach((s, j) => p2.set(p1.subarray(3 * s, 3 * s + 3), 3 * j));
    const f3 = fps(p2, LEVELS[1], LEVELS[2], 0);
    const head = Int32Array.from([n, LEVELS[0], LEVELS[1], LEVELS[2]]);
    const parts = [head, prep.input, inst, cls, Int32Array.from(f1), Int32Array.from(f2), Int32Array.from(f3)];
    writeFileSync(`${out}/${seed}.bin`, Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
  }
  console.log(`${count - bad} scenes written, ${bad} rejected, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1]?.endsWith('make_data.ts')) main();
