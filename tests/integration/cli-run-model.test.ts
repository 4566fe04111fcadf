import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti, writeNifti, type NiftiImage } from '@/lib/formats/nifti';
import type { Affine, Vec3 } from '@/lib/volume';
import { buildModel } from '@/gpu-kernels/onnx/build-model';
import { GWM, M18, argmaxC, ortRun } from '@/gpu-kernels/onnx/meshnet-fixtures';

/**
 * `tessera run-model` as users run it (spawned): MeshNet GWM and model18cls on crops of the real T1,
 * our WebGPU engine (lavapipe / SwiftShader, chosen by cli/gpu.ts) against onnxruntime-node, and
 * an in-memory model with an op our engine lacks (Erf) falling back to onnxruntime.
 */
const root = new URL('../../', import.meta.url).pathname;
const T1 = join(root, '../shared/data/volumes/brainchop_t1_crop.nii.gz');
const NO_ICD = '/nonexistent/tessera-no-such-icd.json';

function tessera(args: string[], env: Record<string, string | undefined> = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, [join(root, 'bin/tessera.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000, env: e });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const errorLines = (err: string) => err.split('\n').filter((l) => l.startsWith('error:'));

/** Centre n³ crop of the T1 with the affine moved to the crop's origin. */
function cropT1(n: number): { bytes: Uint8Array; data: Uint8Array; shape: Vec3 } {
  const img = readNifti(readFileSync(T1));
  const v = img.volume;
  const [nx, ny] = v.shape;
  const s = v.shape.map((d) => Math.floor((d - n) / 2));
  const data = new Uint8Array(n * n * n);
  for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) data[x + n * (y + n * z)] = Number(v.data[s[0] + x + nx * (s[1] + y + ny * (s[2] + z))]);
  const a = v.affine!;
  const affine = a.map((row, r) => (r < 3 ? [row[0], row[1], row[2], row[0] * s[0] + row[1] * s[1] + row[2] * s[2] + row[3]] : [...row])) as Affine;
  const shape: Vec3 = [n, n, n];
  return { bytes: writeNifti({ volume: { data, shape, spacing: v.spacing, affine, units: v.units } }, { gzip: true }), data, shape };
}

function minmax(d: Uint8Array): Float32Array {
  let lo = Infinity, hi = -Infinity;
  for (const v of d) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return Float32Array.from(d, (v) => (v - lo) / (hi - lo));
}

function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

describe('tessera run-model', () => {
  let dir = '';
  type Crop = { path: string; data: Uint8Array; shape: Vec3 };
  let crop48: Crop, crop32: Crop, crop64: Crop;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-run-model-'));
    const make = (n: number): Crop => {
      const c = cropT1(n);
      const path = join(dir, `t1_${n}.nii.gz`);
      writeFileSync(path, c.bytes);
      return { path, data: c.data, shape: c.shape };
    };
    crop48 = make(48);
    crop32 = make(32);
    crop64 = make(64);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (input: string, model: string, device: string, extra: string[] = []) => {
    const out = join(dir, `${device}-${Math.random().toString(36).slice(2)}.nii.gz`);
    const json = `${out}.json`;
    const r = tessera(['run-model', '--model', model, input, '--out', out, '--device', device, '--json', json, ...extra], { VK_ICD_FILENAMES: undefined });
    expect(r.code, r.err).toBe(0);
    const img: NiftiImage = readNifti(new Uint8Array(readFileSync(out)));
    return { r, img, labels: img.volume.data, stats: JSON.parse(readFileSync(json, 'utf8')) };
  };

  it('MeshNet GWM on a 48³ crop: --device gpu (our engine) ≡ --device ort ≡ onnxruntime directly; output on the input grid', async () => {
    const gpu = run(crop48.path, GWM, 'gpu');
    const cpu = run(crop48.path, GWM, 'ort');
    expect(gpu.stats).toMatchObject({ runner: 'tessera', device: 'webgpu', delegated: 0, fallbackReason: null, unsupportedOps: [], deviceRequested: 'gpu' });
    expect(gpu.stats.adapter).toEqual(expect.any(String));
    expect(gpu.stats.tiles).toBeGreaterThanOrEqual(1);
    expect(gpu.r.out).toMatch(/^run-model: runner: tessera, device: webgpu, adapter: .+, delegated: 0, tiles: \d+, \d+ ms, 3 classes/m);
    expect(cpu.stats).toMatchObject({ runner: 'onnxruntime-node', device: 'cpu', adapter: null, delegated: 0, deviceRequested: 'ort' });
    expect(cpu.r.out).toMatch(/^run-model: runner: onnxruntime-node, device: cpu, adapter: none, delegated: 0, tiles: 1, \d+ ms, 3 classes/m);

    // Independent reference: onnxruntime on the min-max normalised crop, [1,1,z,y,x], argmax over channels.
    const ref = await ortRun(GWM, { data: minmax(crop48.data), dims: [1, 1, 48, 48, 48] });
    const want = argmaxC(ref.data, ref.dims);
    expect(agreement(cpu.labels, want)).toBe(1);
    expect(agreement(gpu.labels, cpu.labels)).toBeGreaterThanOrEqual(0.999);
    const classes = new Set(Array.from(cpu.labels as ArrayLike<number>));
    expect(classes.size).toBe(3); // background, grey and white matter all present in the centre crop

    // Same grid, affine, spacing as the input.
    const input = readNifti(new Uint8Array(readFileSync(crop48.path)));
    for (const o of [gpu.img, cpu.img]) {
      expect(o.volume.shape).toEqual(input.volume.shape);
      expect(o.volume.spacing).toEqual(input.volume.spacing);
      expect(o.volume.affine).toEqual(input.volume.affine);
      expect(o.header.datatypeName).toBe('uint16');
    }
    expect(cpu.stats.voxelsPerClass).toMatchObject({ background: expect.any(Number), class1: expect.any(Number), class2: expect.any(Number) });
    expect(cpu.stats.params.normalisation).toMatchObject({ kind: 'minmax' });
  });

  // model18cls predicts only background on every 32³ and 48³ crop of this T1 (too little context
  // for its subcortical classes), which would make the comparison trivial: 64³ is the smallest
  // centre crop with structures (10 classes).
  it('model18cls with --axis-order xyz on a 64³ crop: gpu ≡ ort (≥ 99.9 %) ≡ onnxruntime on the transposed tensor', async () => {
    const n = 64;
    const gpu = run(crop64.path, M18, 'gpu', ['--axis-order', 'xyz']);
    const cpu = run(crop64.path, M18, 'ort', ['--axis-order', 'xyz']);
    expect(gpu.stats).toMatchObject({ runner: 'tessera', device: 'webgpu', delegated: 0 });
    expect(cpu.stats.params).toMatchObject({ axisOrder: 'xyz', tensorDims: [1, 1, n, n, n] });
    expect(agreement(gpu.labels, cpu.labels)).toBeGreaterThanOrEqual(0.999);
    // Reference: tensor[(x·n + y)·n + z] = voxel (x,y,z); the label of voxel (x,y,z) is at the same tensor index.
    const norm = minmax(crop64.data);
    const t = new Float32Array(norm.length);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) t[(x * n + y) * n + z] = norm[x + n * (y + n * z)];
    const ref = await ortRun(M18, { data: t, dims: [1, 1, n, n, n] });
    const am = argmaxC(ref.data, ref.dims);
    const want = new Int32Array(am.length);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) want[x + n * (y + n * z)] = am[(x * n + y) * n + z];
    expect(agreement(cpu.labels, want)).toBe(1);
    expect(new Set(Array.from(want)).size).toBeGreaterThan(3);
    // The layout matters: the same crop in 'file' order gives a different map.
    expect(agreement(run(crop64.path, M18, 'ort').labels, want)).toBeLessThan(0.999);
  });

  it('a model with an op our engine lacks (Erf) runs on onnxruntime under auto and gpu, naming the op', () => {
    // ch0 = erf(0.5), ch1 = erf(x): class 1 exactly where the normalised voxel > 0.5.
    const model = join(dir, 'erf.onnx');
    writeFileSync(model, buildModel({
      inputs: [{ name: 'x', dims: [1, 1, 'd', 'h', 'w'] }],
      outputs: [{ name: 'y', dims: [1, 2, 'd', 'h', 'w'] }],
      initializers: [{ name: 'W', dims: [2, 1, 1, 1, 1], data: [0, 1] }, { name: 'B', dims: [2], data: [0.5, 0] }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { kernel_shape: [1, 1, 1] } },
        { op: 'Erf', inputs: ['c'], outputs: ['y'] },
      ],
    }));
    const want = Array.from(minmax(crop32.data), (v) => (v > 0.5 ? 1 : 0));
    const auto = run(crop32.path, model, 'auto');
    expect(auto.stats).toMatchObject({ runner: 'onnxruntime-node', device: 'cpu', unsupportedOps: ['Erf'], fallbackReason: 'unsupported ops: Erf', delegated: 2 });
    expect(auto.r.out).toMatch(/runner: onnxruntime-node, device: cpu, adapter: none, delegated: 2, tiles: 1, \d+ ms, 2 classes \(fallback: unsupported ops: Erf\)/);
    expect(Array.from(auto.labels as ArrayLike<number>)).toEqual(want);
    const gpu = run(crop32.path, model, 'gpu');
    expect(gpu.stats).toMatchObject({ runner: 'onnxruntime-node', unsupportedOps: ['Erf'], fallbackReason: 'unsupported ops: Erf', delegated: 2, deviceRequested: 'gpu' });
    expect(Array.from(gpu.labels as ArrayLike<number>)).toEqual(want);
  });

  it('--device gpu without an adapter exits 2 with one line; an unknown registry reference exits 2', () => {
    const out = join(dir, 'none.nii.gz');
    const r = tessera(['run-model', '--model', GWM, crop32.path, '--out', out, '--device', 'gpu'], { VK_ICD_FILENAMES: NO_ICD });
    expect(r.code).toBe(2);
    const lines = errorLines(r.err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: no WebGPU adapter found \(VK_ICD_FILENAMES=\/nonexistent\/tessera-no-such-icd\.json\)/);
    expect(r.out).toBe('');
    expect(existsSync(out)).toBe(false);
    const data = join(dir, 'empty-ws');
    const reg = tessera(['run-model', '--model', 'meshnet-gwm@1', crop32.path, '--out', out], { DATABASE_URL: `file:${join(data, 'db.sqlite')}`, TESSERA_DATA_DIR: data });
    expect(reg.code).toBe(2);
    expect(errorLines(reg.err)).toEqual([expect.stringMatching(/^error: no model 'meshnet-gwm@1' in the registry at file:/)]);
    expect(existsSync(out)).toBe(false);
  });

  it('--model takes a registry reference (id, name@version, name): the registered bytes and card are used', async () => {
    const { migrate } = await import('@/server/db/migrate');
    const { createDb } = await import('@/server/db/client');
    const { LocalBlobStore } = await import('@/server/blob');
    const { registerModel } = await import('@/server/services/models');
    const { volumeCard, GWM_CLASS_NAMES } = await import('./model-cards');
    const data = join(dir, 'ws');
    const url = `file:${join(data, 'db.sqlite')}`;
    await migrate(url);
    const db = createDb(url);
    const card = volumeCard({ name: 'gwm-cli', version: '2', licence: 'BSD-2', normalisation: { kind: 'minmax' }, minInstanceVoxels: 10, classes: GWM_CLASS_NAMES.map((n, i) => [n, ['#000000', '#ffffff', '#808080'][i]] as [string, string]) });
    const { id } = await registerModel({ db, blobs: new LocalBlobStore(join(data, 'blobs')) }, new Uint8Array(readFileSync(GWM)), card);
    await db.$disconnect();
    const env = { DATABASE_URL: url, TESSERA_DATA_DIR: data };
    const byFile = join(dir, 'gwm-file.nii.gz');
    writeFileSync(join(dir, 'gwm-card.json'), JSON.stringify(card));
    expect(tessera(['run-model', '--model', GWM, '--card', join(dir, 'gwm-card.json'), crop32.path, '--out', byFile, '--device', 'ort']).code).toBe(0);
    const want = Array.from(readNifti(readFileSync(byFile)).volume.data as ArrayLike<number>);
    for (const ref of [id, 'gwm-cli@2', 'gwm-cli']) {
      const out = join(dir, `gwm-${ref.replace(/[^a-z0-9]/gi, '_')}.nii.gz`);
      const r = tessera(['run-model', '--model', ref, crop32.path, '--out', out, '--device', 'ort'], env);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/runner: onnxruntime-node/);
      expect(Array.from(readNifti(readFileSync(out)).volume.data as ArrayLike<number>)).toEqual(want);
    }
  });
});
