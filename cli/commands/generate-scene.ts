/**
 * `tessera generate-scene --out <scene.ply> [--seed N] [--kind tabletop|room] [--json objects.json]
 *   [--points N] [--objects min,max] [--touching N] [--noise k] [--density d] [--ascii]` — a synthetic
 * depth-camera scene (lib/synth/scenes) as a PLY with per-point `instance` and `class`.
 */
import { ArgumentError } from '../../lib/errors';
import { writePly } from '../../lib/formats/pointcloud';
import { CLASS_IDS, VALIDATION_SEED_START, generateScene } from '../../lib/synth/scenes';
import { numberFlag, parse, requireString } from '../args';
import { writeBytes } from '../io';

export const GENERATE_SCENE_HELP = `Usage: tessera generate-scene --out <scene.ply> [options]

Write a synthetic RGB-D scan (world coordinates, metres, z up) of objects on a table or in a room,
with per-point instance ids (0 = background) and class ids (0 background, 1 box, 2 cylinder,
3 sphere, 4 torus, 5 mug, 6 bottle).

Options:
  --out <file>          PLY to write (required)
  --seed <n>            random seed (default 1); seeds ≥ ${VALIDATION_SEED_START} are validation scenes
  --kind <k>            tabletop (default) or room
  --json <file>         also write the objects, touching pairs and camera as JSON
  --objects <min,max>   number of objects (default 6,12)
  --touching <n>        minimum pairs of touching objects (default 2)
  --points <n>          exact number of points (subsampled)
  --noise <k>           depth noise σ = k·z² (default 0.0025)
  --density <d>         camera pixel-count multiplier (default 1 → 320×240)
  --ascii               ASCII PLY (default binary little-endian)
  -h, --help            show this help`;

export async function generateSceneCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('generate-scene', argv, {
    out: { type: 'string' },
    seed: { type: 'string' },
    kind: { type: 'string' },
    json: { type: 'string' },
    objects: { type: 'string' },
    touching: { type: 'string' },
    points: { type: 'string' },
    noise: { type: 'string' },
    density: { type: 'string' },
    ascii: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    log(GENERATE_SCENE_HELP);
    return 0;
  }
  if (positionals.length) throw new ArgumentError(`unexpected argument '${positionals[0]}'`, { where: 'generate-scene' });
  const out = requireString(values, 'out', 'generate-scene');
  const kind = values.kind ?? 'tabletop';
  if (kind !== 'tabletop' && kind !== 'room') {
    throw new ArgumentError(`--kind must be tabletop or room, got '${String(kind)}'`, { where: '--kind' });
  }
  let objects: [number, number] | undefined;
  if (typeof values.objects === 'string') {
    const p = values.objects.split(',').map(Number);
    if (p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new ArgumentError(`--objects must be two positive integers min,max, got '${values.objects}'`, { where: '--objects' });
    }
    objects = [p[0], p[1]];
  }
  const seed = numberFlag(values, 'seed', { min: 0, integer: true }) ?? 1;
  const scene = generateScene({
    seed,
    kind,
    objects,
    touching: numberFlag(values, 'touching', { min: 0, integer: true }),
    points: numberFlag(values, 'points', { min: 1, integer: true }),
    noise: numberFlag(values, 'noise', { min: 0 }),
    density: numberFlag(values, 'density', { min: 0, exclusiveMin: true }),
  });
  writeBytes(
    out,
    writePly(scene.cloud, {
      instance: scene.instance,
      classId: scene.classId,
      format: values.ascii ? 'ascii' : 'binary_little_endian',
      comments: [`tessera synthetic ${kind} scene, seed ${seed} (${scene.split})`, `classes ${Object.entries(CLASS_IDS).map(([k, v]) => `${v}=${k}`).join(' ')}`],
    }),
  );
  if (typeof values.json === 'string') {
    const { objects: objs, touching, camera, background, split } = scene;
    writeBytes(values.json, JSON.stringify({ seed, kind, split, objects: objs, touching, camera, background }, null, 2) + '\n');
  }
  log(`generate-scene: ${scene.objects.length} objects, ${scene.touching.length} touching pairs, ${scene.cloud.count} points (${scene.split}) → ${out}`);
  return 0;
}
