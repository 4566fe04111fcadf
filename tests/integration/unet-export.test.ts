import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@/cli/main';
import { prepareModel } from '@/gpu-kernels/onnx';
import { parseModelCard } from '@/lib/model/card';
import { prepareModelInput } from '@/lib/model/prepare';
import { generateNuclei } from '@/lib/synth';
import { runOnnx } from '@/server/inference/run-onnx';

/**
 * training/unet end to end on this machine: `tessera generate-training-data` → train.py (a few
 * iterations, Debian python3-torch) → export.py (ONNX opset 17 + card, engine op check) → the ONNX
 * through runOnnx on our engine ('gpu', Dawn on lavapipe/SwiftShader) and onnxruntime-node ('ort')
 * with the card's sliding window over a 48×40×36 volume. Needs /usr/bin/python3 with torch: a
 * machine without it FAILS here (python3-torch is part of the dev setup for training/).
 */
const PY = '/usr/bin/python3';
const run = (args: string[], timeout = 240_000) => execFileSync(PY, args, { encoding: 'utf8', timeout, env: { ...process.env, OMP_NUM_THREADS: '1' } });

describe('training/unet: generate → train → export → engine', () => {
  let dir = '';
  const log: string[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-unet-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('python3 has torch (required, not optional)', () => {
    expect(run(['-c', 'import torch, numpy, scipy, skimage, nibabel; print(torch.__version__)']).trim()).toMatch(/^\d+\.\d+/);
  });

  it('generate-training-data writes volumes whose TS targets equal training/unet/targets.py on the labels', async () => {
    const code = await main(['generate-training-data', '--kind', 'nuclei', '--count', '3', '--size', '48,48,32', '--out', join(dir, 'data'), '--seed', '4'], { log: (s) => log.push(s), error: (s) => log.push(s) });
    expect(code, log.join('\n')).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'data', 'manifest.json'), 'utf8'));
    expect(manifest.volumes).toHaveLength(3);
    expect(manifest.volumes[0].shape).toEqual([48, 48, 32]);
    const out = run([
      '-c',
      `import sys, json, numpy as np; sys.path.insert(0, 'training/unet')
from dataset import load_generated
from targets import training_targets
kind, vols = load_generated(${JSON.stringify(join(dir, 'data'))})
r = []
for v in vols:
    fg, b, d = training_targets(v.labels, v.spacing)
    r.append([int((b != v.boundary).sum()), float(np.abs(d - v.distance).max()), int(v.foreground.sum()), float(v.image.min()), float(v.image.max())])
print(json.dumps(r))`,
    ]);
    for (const [bDiff, dDiff, fg, lo, hi] of JSON.parse(out.trim().split('\n').at(-1) as string) as number[][]) {
      expect(bDiff).toBe(0);
      expect(dDiff).toBeLessThan(1e-5);
      expect(fg).toBeGreaterThan(0);
      expect(lo).toBe(0);
      expect(hi).toBe(1); // percentile-normalised
    }
  });

  it('an 80-iteration U-Net exports to ONNX (opset 17, ≤ 5 MB) + card; runOnnx gpu vs ort over 48×40×36: same argmax ≥ 99.9 %, 0 delegated', async () => {
    const runDir = join(dir, 'run');
    run(['training/unet/train.py', '--kind', 'nuclei', '--data', join(dir, 'data'), '--out', runDir, '--iters', '80', '--threads', '1', '--crop', '32,32,24', '--real-frac', '0.3', '--eval-every', '1000', '--log-every', '10', '--seed', '1', '--lr', '3e-3']);
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const train = metrics.filter((m) => m.event === 'train');
    expect(train.map((m) => m.iter)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(train.every((m) => Number.isFinite(m.loss))).toBe(true);
    expect(metrics.at(-1).event).toBe('end');

    const outDir = join(dir, 'export');
    const report = JSON.parse(run(['training/unet/export.py', '--checkpoint', join(runDir, 'model.pt'), '--out', outDir, '--version', 'test']).trim().split('\n').at(-1) as string);
    const bytes = new Uint8Array(readFileSync(join(outDir, 'nuclei.onnx')));
    const card = parseModelCard(JSON.parse(readFileSync(join(outDir, 'card.json'), 'utf8')));
    expect(report.engine.ok).toBe(true);
    expect(bytes.length).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(card.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(card.input.window).toEqual([32, 32, 24]); // the training crop
    expect(card.output.classes.map((c) => c.name)).toEqual(['background', 'nucleus', 'nucleus-core']);
    expect(() => prepareModel(bytes)).not.toThrow(); // every op is one our engine runs

    const vol = generateNuclei({ shape: [48, 40, 36], spacing: [0.25, 0.25, 0.5], radius: 2.5, seed: 2 }).image;
    const prep = prepareModelInput(vol, card);
    expect(prep.input.dims).toEqual([1, 1, 36, 40, 48]);
    const w = card.input.window as [number, number, number];
    const opts = { window: [w[2], w[1], w[0]], overlap: card.input.overlap };
    const g = await runOnnx(bytes, prep.input, { device: 'gpu', ...opts });
    const o = await runOnnx(bytes, prep.input, { device: 'ort', ...opts });
    expect(g).toMatchObject({ runner: 'tessera', device: 'webgpu', delegated: 0, unsupportedOps: [], fallbackReason: null });
    expect(o.runner).toBe('onnxruntime-node');
    expect(g.windows).toBe(8); // 2 × 2 × 2 windows of 24×32×32 over 36×40×48
    expect(g.output.dims).toEqual([1, 3, 36, 40, 48]);
    expect(o.output.dims).toEqual([1, 3, 36, 40, 48]);
    const n = 36 * 40 * 48;
    let same = 0, maxAbs = 0;
    const counts = [0, 0, 0];
    const am = (d: Float32Array | Int32Array, i: number) => {
      let best = 0;
      for (let c = 1; c < 3; c++) if (d[c * n + i] > d[best * n + i]) best = c;
      return best;
    };
    for (let i = 0; i < n; i++) {
      const a = am(g.output.data, i), b = am(o.output.data, i);
      if (a === b) same++;
      counts[b]++;
    }
    for (let i = 0; i < g.output.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(g.output.data[i] - o.output.data[i]));
    console.info(`unet-export: argmax agreement ${((100 * same) / n).toFixed(4)} %, max abs diff ${maxAbs.toExponential(2)}, class counts ${counts.join('/')}, windows ${g.windows}, gpu ${g.ms.toFixed(0)} ms, ort ${o.ms.toFixed(0)} ms`);
    expect(same / n).toBeGreaterThanOrEqual(0.999);
    expect(maxAbs).toBeLessThan(1e-3);
    // the class map is not trivial (the comparison would be weak on a constant output)
    expect(counts.filter((c) => c > 0.01 * n).length, `class counts ${counts.join(', ')}`).toBeGreaterThanOrEqual(2);
  }, 600_000);

  it('--norm instance: torch InstanceNorm3d exports as InstanceNormalization, which our engine runs like onnxruntime over the card window', async () => {
    const runDir = join(dir, 'run-in');
    run(['training/unet/train.py', '--kind', 'nuclei', '--data', join(dir, 'data'), '--out', runDir, '--iters', '30', '--threads', '1', '--crop', '32,32,24', '--norm', 'instance', '--eval-every', '1000', '--log-every', '10', '--seed', '1', '--lr', '3e-3']);
    const outDir = join(dir, 'export-in');
    const report = JSON.parse(run(['training/unet/export.py', '--checkpoint', join(runDir, 'model.pt'), '--out', outDir, '--version', 'test']).trim().split('\n').at(-1) as string);
    expect(report.engine.ok).toBe(true);
    expect(report.engine.ops.InstanceNormalization).toBe(14); // 7 blocks × 2, none folded
    expect(report.engine.fused.batchNormFolded).toBe(0);
    const bytes = new Uint8Array(readFileSync(join(outDir, 'nuclei.onnx')));
    const card = parseModelCard(JSON.parse(readFileSync(join(outDir, 'card.json'), 'utf8')));
    const vol = generateNuclei({ shape: [40, 36, 30], spacing: [0.25, 0.25, 0.5], radius: 2.5, seed: 3 }).image;
    const prep = prepareModelInput(vol, card);
    const w = card.input.window as [number, number, number];
    const opts = { window: [w[2], w[1], w[0]], overlap: card.input.overlap };
    const g = await runOnnx(bytes, prep.input, { device: 'gpu', ...opts });
    const o = await runOnnx(bytes, prep.input, { device: 'ort', ...opts });
    expect(g).toMatchObject({ runner: 'tessera', device: 'webgpu', delegated: 0, unsupportedOps: [] });
    let maxAbs = 0;
    for (let i = 0; i < g.output.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(g.output.data[i] - o.output.data[i]));
    expect(maxAbs).toBeLessThan(1e-3);
    // the statistics are per window: the same weights over 24×32×40 windows give other probabilities
    const other = await runOnnx(bytes, prep.input, { device: 'ort', window: [24, 32, 40], overlap: card.input.overlap });
    let diff = 0;
    for (let i = 0; i < o.output.data.length; i++) diff = Math.max(diff, Math.abs(other.output.data[i] - o.output.data[i]));
    expect(diff).toBeGreaterThan(1e-3);
  }, 600_000);

  it('onnx_to_checkpoint.py rebuilds the committed nuclei network from its ONNX: torch = onnxruntime-node on the same input', async () => {
    const pt = join(dir, 'rebuilt.pt');
    run(['training/unet/onnx_to_checkpoint.py', 'models/nuclei/nuclei.onnx', 'models/nuclei/card.json', pt]);
    const script = [
      'import sys, json, numpy as np, torch',
      "sys.path.insert(0, 'training/unet')",
      'from model import UNet3D, ClassProbabilities',
      `ck = torch.load(${JSON.stringify(pt)}); c = ck['config']`,
      "net = UNet3D(c['base'], c['depth'], c['norm']); net.load_state_dict(ck['state_dict']); net.eval()",
      'x = np.random.default_rng(7).random((1, 1, 32, 48, 48), dtype=np.float32)',
      'with torch.no_grad(): y = ClassProbabilities(net)(torch.from_numpy(x)).numpy()',
      `x.tofile(${JSON.stringify(join(dir, 'x.f32'))}); y.tofile(${JSON.stringify(join(dir, 'y.f32'))})`,
      "print(json.dumps(c))",
    ].join('\n');
    const config = JSON.parse(run(['-c', script]).trim().split('\n').at(-1) as string);
    expect(config).toMatchObject({ kind: 'nuclei', mode: 'distance', base: 8, depth: 3, crop_xyz: [48, 48, 32], norm: 'batch' });
    const f32 = (f: string) => { const b = readFileSync(join(dir, f)); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
    const x = f32('x.f32');
    const y = f32('y.f32');
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create('models/nuclei/nuclei.onnx');
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, 32, 48, 48]) });
    const o = out[session.outputNames[0]].data as Float32Array;
    expect(o.length).toBe(y.length);
    let maxAbs = 0;
    for (let i = 0; i < o.length; i++) maxAbs = Math.max(maxAbs, Math.abs(o[i] - y[i]));
    expect(maxAbs).toBeLessThan(1e-5);
    // and it is not trivially equal: the three class probabilities vary over the input
    let lo = Infinity, hi = -Infinity;
    for (const v of y) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(hi - lo).toBeGreaterThan(0.5);
  }, 120_000);
});
