/**
 * PointNet++ building blocks: our CPU twins (lib/pointnet), our WebGPU kernels on the adapter
 * present (gpu-kernels/pointnet; lavapipe here — a software GPU, correctness only) and plain
 * vectorised PyTorch (bench/peer/pointnet_torch.py, Debian /usr/bin/python3 + python3-torch,
 * 2 threads) on the same points in the same run. FPS 16k→1024 and 100k→4096, ball query
 * (r 0.1, k 32, the 1024 FPS centres of 16k), one set-abstraction layer (FPS 1024 of 16k, ball
 * query r 0.1 k 32, group, shared MLP 3→64→64→128, max-pool). Points uniform in the unit cube
 * (seeded). Times: best of `reps` (wall, and process CPU time); GPU after one warm-up call.
 *
 *   npx tsx bench/pointnet.ts [--reps=3] [--gpu-reps=1] [--no-gpu] [--no-python] [--torch-threads=2] [--python=/usr/bin/python3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ballQuery, fps, gatherPoints, randomLayer, setAbstraction, type SetAbstractionOptions } from '../lib/pointnet';

const args = process.argv.slice(2);
const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
const gpuReps = Number(args.find((a) => a.startsWith('--gpu-reps='))?.slice(11) ?? 1);
const noGpu = args.includes('--no-gpu');
const noPython = args.includes('--no-python');
const torchThreads = Number(args.find((a) => a.startsWith('--torch-threads='))?.slice(16) ?? 2);
const python = args.find((a) => a.startsWith('--python='))?.slice(9) ?? '/usr/bin/python3';

function cloud(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const r = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return new Float32Array(3 * n).map(() => r());
}

interface Timing {
  ms: number;
  cpu: number;
}
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
async function best<T>(n: number, fn: () => T | Promise<T>): Promise<Timing & { out: T }> {
  let ms = Infinity, cpu = Infinity;
  let out!: T;
  for (let r = 0; r < n; r++) {
    const t = performance.now();
    const c = cpuNow();
    out = await fn();
    ms = Math.min(ms, performance.now() - t);
    cpu = Math.min(cpu, cpuNow() - c);
  }
  return { ms, cpu, out };
}

const N16 = 16384, N100 = 100000;
const p16 = cloud(N16, 1);
const p100 = cloud(N100, 2);
const mlp = [randomLayer(3, 64, 11), randomLayer(64, 64, 12), randomLayer(64, 128, 13)];
const saOpts: SetAbstractionOptions = { npoint: 1024, scales: [{ radius: 0.1, nsample: 32, mlp }] };

type Row = { op: string; twin: Timing; gpu?: Timing; torch?: Timing; agree: string[] };
const rows: Row[] = [];

const eqU32 = (a: Uint32Array, b: Uint32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) s++;
  return s / a.length;
};
const maxAbs = (a: Float32Array, b: Float32Array): number => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
};

// CPU twins.
const tF16 = await best(reps, () => fps(p16, N16, 1024));
const tF100 = await best(reps, () => fps(p100, N100, 4096));
const centres16 = gatherPoints(p16, tF16.out);
const tBQ = await best(reps, () => ballQuery(p16, N16, tF16.out, 0.1, 32));
const tSA = await best(reps, () => setAbstraction(p16, N16, saOpts));
rows.push({ op: 'FPS 16k → 1024', twin: tF16, agree: [] });
rows.push({ op: 'FPS 100k → 4096', twin: tF100, agree: [] });
rows.push({ op: 'ball query 1024 × k32, r 0.1 (16k)', twin: tBQ, agree: [] });
rows.push({ op: 'SA layer (FPS+BQ+group+MLP 3→64→64→128+max)', twin: tSA, agree: [] });

// GPU.
let adapter = 'none';
if (!noGpu) {
  const { chooseIcd } = await import('../gpu-kernels/test-setup');
  chooseIcd();
  const { acquireNodeDevice } = await import('../gpu-kernels/runtime/node-gpu');
  const { fpsGpu, ballQueryGpu, setAbstractionGpu } = await import('../gpu-kernels/pointnet');
  const ctx = await acquireNodeDevice({ label: 'bench-pointnet' });
  adapter = ctx.adapterInfo.name;
  // Warm-up (pipeline compilation, buffer pool).
  await setAbstractionGpu(ctx, p16.subarray(0, 3 * 2048), 2048, { ...saOpts, npoint: 64 });
  const g16 = await best(gpuReps, () => fpsGpu(ctx, p16, N16, 1024));
  const g100 = await best(gpuReps, () => fpsGpu(ctx, p100, N100, 4096));
  const gBQ = await best(gpuReps, () => ballQueryGpu(ctx, p16, N16, tF16.out, 0.1, 32));
  const gSA = await best(gpuReps, () => setAbstractionGpu(ctx, p16, N16, saOpts));
  rows[0].gpu = g16;
  rows[0].agree.push(`GPU = twin: ${eqU32(g16.out, tF16.out) === 1 ? 'identical' : `${(100 * eqU32(g16.out, tF16.out)).toFixed(2)} %`}`);
  rows[1].gpu = g100;
  rows[1].agree.push(`GPU = twin: ${eqU32(g100.out, tF100.out) === 1 ? 'identical' : `${(100 * eqU32(g100.out, tF100.out)).toFixed(2)} %`}`);
  rows[2].gpu = gBQ;
  rows[2].agree.push(`GPU = twin: ${eqU32(gBQ.out.idx, tBQ.out.idx) === 1 ? 'identical' : `${(100 * eqU32(gBQ.out.idx, tBQ.out.idx)).toFixed(2)} %`}`);
  rows[3].gpu = gSA;
  rows[3].agree.push(`GPU vs twin max |Δ| ${maxAbs(gSA.out.features, tSA.out.features).toExponential(1)}`);
  ctx.destroy();
}

// Torch peer.
let torchVersion = 'not run';
if (!noPython) {
  const dir = mkdtempSync(join(tmpdir(), 'pointnet-bench-'));
  try {
    const f32 = (name: string, a: Float32Array) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    f32('pts16k.f32', p16);
    f32('pts100k.f32', p100);
    f32('centres16k.f32', centres16);
    mlp.forEach((l, i) => {
      f32(`w${i + 1}.f32`, l.weight);
      f32(`b${i + 1}.f32`, l.bias);
    });
    const script = join(process.cwd(), 'bench/peer/pointnet_torch.py');
    const py = spawnSync(python, [script, dir, String(reps), String(torchThreads)], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`torch peer failed (apt-get install -y python3-torch?): ${py.stderr}`);
    const res = JSON.parse(readFileSync(join(dir, 'torch.json'), 'utf8'));
    torchVersion = `torch ${res.torch} (${res.threads} threads), numpy ${res.numpy}, python ${res.python}`;
    const u32 = (name: string) => new Uint32Array(new Uint8Array(readFileSync(join(dir, name))).buffer);
    rows[0].torch = res.fps16k;
    rows[0].agree.push(`torch = twin: ${(100 * eqU32(u32('fps16k.u32'), tF16.out)).toFixed(2)} %`);
    rows[1].torch = res.fps100k;
    rows[1].agree.push(`torch = twin: ${(100 * eqU32(u32('fps100k.u32'), tF100.out)).toFixed(2)} %`);
    rows[2].torch = res.ballQuery;
    rows[2].agree.push(`torch = twin: ${(100 * eqU32(u32('bq.u32'), tBQ.out.idx)).toFixed(2)} %`);
    rows[3].torch = res.sa;
    const sa = new Float32Array(new Uint8Array(readFileSync(join(dir, 'sa.f32'))).buffer);
    rows[3].agree.push(`torch vs twin max |Δ| ${maxAbs(sa, tSA.out.features).toExponential(1)}`);
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

const f = (t?: Timing) => (t ? `${t.ms.toFixed(1)} (${t.cpu.toFixed(0)})` : '—');
const ratio = (a?: Timing, b?: Timing) => (a && b ? `${(a.ms / b.ms).toFixed(2)}× (${(a.cpu / b.cpu).toFixed(2)}×)` : '—');
console.log(`\nPointNet++ bench — node ${process.version}; adapter: ${adapter}; peer: ${torchVersion}; reps ${reps} (GPU ${gpuReps})`);
console.log('Times in ms, wall (process CPU). Ratios: torch time / ours (> 1 = ours faster), wall (CPU).\n');
console.log('| op | TS twin | GPU | torch | torch / twin | torch / GPU | agreement |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.op} | ${f(r.twin)} | ${f(r.gpu)} | ${f(r.torch)} | ${ratio(r.torch, r.twin)} | ${ratio(r.torch, r.gpu)} | ${r.agree.join('; ')} |`);
