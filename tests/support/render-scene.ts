/** `npx tsx tests/support/render-scene.ts <outDir> [seed] [tabletop|room]`: top and side PNGs of a scene. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateScene } from '../../lib/synth/scenes';
import { encodePng, renderOrtho } from '../../lib/synth/scenes/render';

const [dir = '/tmp/scenes', seedArg = '1', kindArg = 'tabletop'] = process.argv.slice(2);
const kind = kindArg === 'room' ? 'room' : 'tabletop';
const s = generateScene({ seed: Number(seedArg), kind });
mkdirSync(dir, { recursive: true });
const bg = s.background;
const bounds = bg.kind === 'tabletop'
  ? { min: [bg.table.min[0] - 0.02, bg.table.min[1] - 0.02, -0.04], max: [bg.table.max[0] + 0.02, bg.table.max[1] + 0.02, 0.35] }
  : { min: [bg.room.min[0], bg.room.min[1], -0.2], max: [bg.room.max[0], bg.room.max[1], 1.2] };
for (const view of ['top', 'side'] as const) {
  writeFileSync(`${dir}/${kind}-${seedArg}-${view}-rgb.png`, encodePng(renderOrtho(s.cloud, { view, size: 600, bounds })));
  writeFileSync(`${dir}/${kind}-${seedArg}-${view}-inst.png`, encodePng(renderOrtho(s.cloud, { view, size: 600, instance: s.instance, bounds })));
}
console.log(kind, seedArg, s.cloud.count, 'points;', s.objects.map((o) => `${o.id}:${o.class}(${o.points}${o.support ? ` on ${o.support}` : ''})`).join(' '), 'touching', JSON.stringify(s.touching));
