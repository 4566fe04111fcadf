/**
 * Acceptance: on the generator's 128³ volume, `tessera segment-cells` reaches AP@0.5 ≥ 0.7 and is
 * within 0.02 of the scipy/skimage peer (bench/peer/classical_pipeline.py) run with the same
 * smoothing and the same per-axis minimum distance, both scored by `tessera eval`.
 * Needs Debian's /usr/bin/python3 with scipy and scikit-image (the test fails, loudly, without them).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr || r.error}`);
  return r.stdout;
};
const tessera = (...args: string[]) => run(process.execPath, [join(root, 'bin/tessera.mjs'), ...args]);

describe('pipeline acceptance (128³ synthetic nuclei)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-accept-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ours AP@0.5 ≥ 0.7 and within 0.02 of the scipy/skimage peer', () => {
    const p = (f: string) => join(dir, f);
    tessera('generate-nuclei', '--out', p('img.nii.gz'), '--labels', p('gt.nii.gz'), '--size', '128', '--seed', '1');
    tessera('segment-cells', p('img.nii.gz'), '--out', p('ours.nii.gz'), '--json', p('ours.json'), '--smooth', '0.5', '--min-distance', '3', '--min-size', '50');
    const ours = JSON.parse(readFileSync(p('ours.json'), 'utf8'));
    const md: number[] = ours.params.minDistanceVoxels;
    run('/usr/bin/python3', [
      join(root, 'bench/peer/classical_pipeline.py'), p('img.nii.gz'), '--out', p('peer.nii.gz'), '--json', p('peer.json'),
      '--smooth', '0.5', '--min-distance-voxels', md.join(','), '--min-size', '50',
    ]);
    const peer = JSON.parse(readFileSync(p('peer.json'), 'utf8'));
    expect(peer.minDistanceVoxels).toEqual(md);
    tessera('eval', '--pred', p('ours.nii.gz'), '--gt', p('gt.nii.gz'), '--json', p('ours-eval.json'));
    tessera('eval', '--pred', p('peer.nii.gz'), '--gt', p('gt.nii.gz'), '--json', p('peer-eval.json'));
    const a = JSON.parse(readFileSync(p('ours-eval.json'), 'utf8'));
    const b = JSON.parse(readFileSync(p('peer-eval.json'), 'utf8'));
    console.log(`acceptance: ours AP@0.5 ${a.ap50.toFixed(4)} (AP@0.75 ${a.ap75.toFixed(4)}), peer AP@0.5 ${b.ap50.toFixed(4)}; threshold ${ours.threshold} vs ${peer.threshold}`);
    expect(a.nGt).toBeGreaterThanOrEqual(60);
    expect(a.ap50).toBeGreaterThanOrEqual(0.7);
    expect(Math.abs(a.ap50 - b.ap50)).toBeLessThanOrEqual(0.02);
    expect(ours.threshold).toBeCloseTo(peer.threshold, 3);
  });
});
