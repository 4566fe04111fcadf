import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti } from '@/lib/formats/nifti';
import { matchedVoxelAgreement } from '@/lib/metrics';

/**
 * `tessera segment-cells --device gpu|auto|cpu` (spawned, as users run it): Dawn with the machine's
 * Vulkan driver (chosen by cli/gpu.ts when VK_ICD_FILENAMES is unset), and no adapter at all when
 * VK_ICD_FILENAMES points at a nonexistent file.
 */
const root = new URL('../../', import.meta.url).pathname;
const NO_ICD = '/nonexistent/tessera-no-such-icd.json';

function tessera(args: string[], env: Record<string, string | undefined> = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, [join(root, 'bin/tessera.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: e });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Our own lines on stderr (Dawn and the Vulkan loader print native "Warning: …" lines too). */
const errorLines = (err: string) => err.split('\n').filter((l) => l.startsWith('error:'));

describe('tessera segment-cells --device', () => {
  let dir = '';
  let img = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-gpu-'));
    img = join(dir, 'img.nii.gz');
    const g = tessera(['generate-nuclei', '--out', img, '--labels', join(dir, 'gt.nii.gz'), '--size', '64', '--seed', '5']);
    expect(g.code, g.err).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--device cpu and --device gpu give the same instances on a 64³ volume (count, ≥ 99.5 % voxels)', () => {
    const run = (device: string) => {
      const out = join(dir, `${device}.nii.gz`);
      const json = join(dir, `${device}.json`);
      const r = tessera(['segment-cells', img, '--out', out, '--json', json, '--device', device], { VK_ICD_FILENAMES: undefined });
      expect(r.code, r.err).toBe(0);
      return { r, stats: JSON.parse(readFileSync(json, 'utf8')), labels: readNifti(new Uint8Array(readFileSync(out))).volume.data };
    };
    const cpu = run('cpu');
    const gpu = run('gpu');
    expect(cpu.stats).toMatchObject({ device: 'cpu', adapter: null, runner: 'tessera', deviceRequested: 'cpu' });
    expect(gpu.stats).toMatchObject({ device: 'webgpu', runner: 'tessera', deviceRequested: 'gpu' });
    expect(gpu.stats.adapter).toEqual(expect.any(String));
    expect(gpu.r.out).toMatch(/device: webgpu, adapter: .+, runner: tessera/);
    expect(cpu.r.out).toMatch(/device: cpu, runner: tessera/);
    expect(Object.keys(gpu.stats.timingsMs)).toEqual(expect.arrayContaining(['smooth', 'threshold', 'edt', 'seeds', 'watershed', 'relabel', 'stats']));
    expect(gpu.stats.instanceCount).toBe(cpu.stats.instanceCount);
    expect(gpu.stats.instanceCount).toBeGreaterThan(3);
    expect(gpu.stats.seedCount).toBe(cpu.stats.seedCount);
    const agreement = matchedVoxelAgreement(gpu.labels, cpu.labels);
    expect(agreement).toBeGreaterThanOrEqual(0.995);
  });

  it('--device gpu without an adapter exits 2 with one clear error line and writes nothing', () => {
    const out = join(dir, 'none.nii.gz');
    const r = tessera(['segment-cells', img, '--out', out, '--device', 'gpu'], { VK_ICD_FILENAMES: NO_ICD });
    expect(r.code).toBe(2);
    const lines = errorLines(r.err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: no WebGPU adapter found \(VK_ICD_FILENAMES=\/nonexistent\/tessera-no-such-icd\.json\)/);
    expect(lines[0]).toMatch(/--device cpu/);
    expect(r.err.trim().split('\n').at(-1)).toBe(lines[0]);
    expect(r.out).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('--device auto uses the CPU when there is no adapter, and says so', () => {
    const out = join(dir, 'auto.nii.gz');
    const json = join(dir, 'auto.json');
    const r = tessera(['segment-cells', img, '--out', out, '--json', json, '--device', 'auto'], { VK_ICD_FILENAMES: NO_ICD });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/device: cpu, runner: tessera/);
    const stats = JSON.parse(readFileSync(json, 'utf8'));
    expect(stats).toMatchObject({ device: 'cpu', adapter: null, deviceRequested: 'auto', gpuFallback: expect.stringMatching(/no WebGPU adapter/) });
  });

  it('--device auto uses Dawn when an adapter exists', () => {
    const out = join(dir, 'auto-gpu.nii.gz');
    const json = join(dir, 'auto-gpu.json');
    const r = tessera(['segment-cells', img, '--out', out, '--json', json], { VK_ICD_FILENAMES: undefined });
    expect(r.code, r.err).toBe(0);
    const stats = JSON.parse(readFileSync(json, 'utf8'));
    expect(stats).toMatchObject({ device: 'webgpu', deviceRequested: 'auto' });
    expect(r.out).toMatch(/device: webgpu, adapter: /);
  });
});
