import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti } from '@/lib/formats/nifti';
import { main } from '@/cli/main';

/** Run the CLI in-process (same code path as bin/tessera.mjs, without the spawn cost). */
async function inProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const root = new URL('../../', import.meta.url).pathname;
const tessera = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/tessera.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('tessera CLI', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generate-nuclei → segment-cells → eval round trip on a 48³ volume', () => {
    const img = join(dir, 'img.nii.gz');
    const gt = join(dir, 'gt.nii.gz');
    const g = tessera('generate-nuclei', '--out', img, '--labels', gt, '--size', '48', '--seed', '3');
    expect(g.code, g.err).toBe(0);
    expect(existsSync(img) && existsSync(gt)).toBe(true);

    const out = join(dir, 'labels.nii.gz');
    const json = join(dir, 'stats.json');
    const s = tessera('segment-cells', img, '--out', out, '--json', json, '--smooth', '0.5', '--min-distance', '3', '--min-size', '20', '--device', 'cpu');
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/device: cpu, runner: tessera/);
    const stats = JSON.parse(readFileSync(json, 'utf8'));
    expect(stats.device).toBe('cpu');
    expect(stats.runner).toBe('tessera');
    expect(stats.deviceRequested).toBe('cpu');
    expect(stats.params.minDistanceVoxels).toEqual([6, 6, 3]);
    expect(stats.params.smoothSigmaVoxels).toEqual([1, 1, 0.5]);
    expect(stats.params.minVoxels).toBe(20);
    expect(stats.instanceCount).toBe(stats.instances.length);
    expect(stats.instanceCount).toBeGreaterThan(3);
    expect(Object.keys(stats.timingsMs)).toEqual(expect.arrayContaining(['smooth', 'threshold', 'edt', 'seeds', 'watershed', 'relabel', 'stats']));

    const inHdr = readNifti(new Uint8Array(readFileSync(img)));
    const lab = readNifti(new Uint8Array(readFileSync(out)));
    expect(lab.header.datatypeName).toBe('uint16');
    expect(lab.volume.shape).toEqual(inHdr.volume.shape);
    expect(lab.volume.spacing).toEqual(inHdr.volume.spacing);
    expect(lab.volume.affine).toEqual(inHdr.volume.affine);
    let max = 0;
    for (const v of lab.volume.data) max = Math.max(max, v);
    expect(max).toBe(stats.instanceCount);

    const evalJson = join(dir, 'eval.json');
    const e = tessera('eval', '--pred', out, '--gt', gt, '--json', evalJson);
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/AP@0\.5 \d\.\d{4}/);
    const scores = JSON.parse(readFileSync(evalJson, 'utf8'));
    expect(scores.ap50).toBeGreaterThan(0.7);
    expect(scores.apMean).toBeLessThanOrEqual(scores.ap50);
    // a label map scored against itself is perfect
    const self = tessera('eval', '--pred', gt, '--gt', gt);
    expect(self.out).toMatch(/AP@0\.5 1\.0000 {2}AP@0\.75 1\.0000/);
  });

  // --device gpu / auto (Dawn, and no adapter → exit 2): tests/unit/cli-gpu.test.ts

  it('bad input exits non-zero with one error line (spawned)', () => {
    const r = tessera('segment-cells', join(dir, 'missing.nii.gz'), '--out', join(dir, 'o.nii.gz'));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^error: file not found \(.*missing\.nii\.gz\)\. Check the path\.$/m);
  });

  it('bad input exits non-zero with one error line', async () => {
    const notNifti = join(dir, 'bad.nii');
    writeFileSync(notNifti, 'this is not a nifti file at all');
    const cases: [string[], RegExp][] = [
      [['segment-cells', join(dir, 'missing.nii.gz'), '--out', join(dir, 'o.nii.gz')], /file not found/],
      [['segment-cells', notNifti, '--out', join(dir, 'o.nii.gz')], /^error: /],
      [['segment-cells', join(dir, 'img.nii.gz')], /missing --out/],
      [['segment-cells', join(dir, 'img.nii.gz'), '--out', join(dir, 'o.nii.gz'), '--smooth', 'abc'], /--smooth must be a number/],
      [['segment-cells', join(dir, 'img.nii.gz'), '--out', join(dir, 'o.nii.gz'), '--device', 'tpu'], /--device must be auto, cpu or gpu/],
      [['eval', '--pred', join(dir, 'img.nii.gz')], /missing --gt/],
      [['eval', '--pred', join(dir, 'img.nii.gz'), '--gt', join(dir, 'gt.nii.gz'), '--frobnicate'], /Unknown option '--frobnicate'/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, re] of cases) {
      const r = await inProcess(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(re);
    }
  });

  it('--help lists the commands and each command has help', () => {
    const r = tessera('--help');
    expect(r.code).toBe(0);
    for (const c of ['segment-cells', 'eval', 'generate-nuclei']) expect(r.out).toContain(c);
    const s = tessera('segment-cells', '--help');
    expect(s.code).toBe(0);
    expect(s.out).toContain('--min-distance');
  });
});
