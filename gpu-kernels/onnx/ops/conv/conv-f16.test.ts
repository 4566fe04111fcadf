/**
 * Conv with `precision: 'f16'` (f16 weights and input values / workgroup tiles, f32 products and
 * accumulation) vs onnxruntime-node (f32), on the cases of conv.test.ts.
 *
 * Tolerance, per output element: rounding x and w to f16 changes each product by at most
 * |x·w|·(2u + u²), u = 2⁻¹¹ (the f32 product of two f16 values is exact, f32 accumulation adds
 * ~1e-7 relative), so |y_f16 − y| ≤ L·(2u + u²)·Σ|x|·|w| + 1e-4, where Σ|x|·|w| is computed by
 * onnxruntime itself on the model with |w| (BN folded in), no bias and input |x|, L = 1.13 bounds
 * the activations' slopes (Gelu 1.129; the others ≤ 1) and 1e-4 is the f32 tolerance of
 * conv.test.ts (it also covers f16 subnormal inputs: ≤ 2⁻²⁵ absolute each). Globally the error must
 * also stay ≤ 2e-2 of the output scale (max |y|); observed ≈ 1e-3.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { testContext } from '../../../test-setup';
import { GpuUnavailableError } from '../../../runtime/errors';
import { type ModelSpec, type NodeSpec, buildModel } from '../../build-model';
import { type RunOptions, type RunStats, prepareModel, runModel } from '../../executor';
import { type Compared, compareWithOrt, ortOptions, randomInput } from '../../ort-compare';
import { F16_UNIT_ROUNDOFF, Recorder, f16Bits, f16Value } from '../common';
import { ACT_CASES, ACT_W, ACT_X, CONV3D_CASES, bnInit, convModel } from './conv-cases';
import { AUTO_PRECISION, conv, resolveConvPrecision } from './conv';

const U = F16_UNIT_ROUNDOFF;
const SLOPE = 1.13;
const F32_TOL = 1e-4;

/** Σ|x|·|w| per output element: onnxruntime on Conv(|x|, |w|) without bias. */
async function absSum(x: Float32Array, xDims: number[], wAbs: Float32Array, wDims: number[], attrs: NodeSpec['attrs']): Promise<Float32Array> {
  const spec: ModelSpec = {
    inputs: [{ name: 'x', dims: xDims }], outputs: [{ name: 'y' }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs }],
    initializers: [{ name: 'w', dims: wDims, data: wAbs }],
  };
  const s = await ort.InferenceSession.create(buildModel(spec), ortOptions());
  const r = await s.run({ x: new ort.Tensor('float32', x.map(Math.abs), xDims) });
  await s.release();
  return r.y.data as Float32Array;
}

interface Checked { r: Compared; worst: number; outScale: number }

/**
 * Runs `spec` in f16 and checks every output against the bound above. `wEff` = the conv's
 * effective weights (BN folded), `seed` as compareWithOrt (input x = randomInput(xDims, 31·seed)).
 */
async function checkF16(spec: ModelSpec, xDims: number[], wDims: number[], wEff: Float32Array, attrs: NodeSpec['attrs'], seed: number, genericConv = false): Promise<Checked> {
  const ctx = await testContext();
  const opts: RunOptions = { precision: 'f16', genericConv };
  const r = await compareWithOrt(ctx, spec, seed, opts);
  const S = await absSum(randomInput(xDims, seed * 31), xDims, wEff.map(Math.abs), wDims, attrs);
  const { ours, ort: ref } = r.outputs.y;
  expect(S.length).toBe(ref.length);
  let worst = 0, outScale = 0;
  for (let i = 0; i < ref.length; i++) {
    const bound = SLOPE * (2 * U + U * U) * S[i] + F32_TOL;
    worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / bound);
    outScale = Math.max(outScale, Math.abs(ref[i]));
  }
  return { r, worst, outScale };
}

/** The f16 path ran: stats say so, and the outputs carry f16 rounding (f32 kernels: ≤ 2e-6 here). */
function expectF16Ran(c: Checked, label: string): void {
  expect(c.r.stats.precision, label).toBe('f16');
  expect(c.r.maxAbs, `${label}: no f16 rounding visible`).toBeGreaterThan(2e-5);
  expect(c.worst, `${label}: error / per-element bound`).toBeLessThanOrEqual(1);
  expect(c.r.maxAbs, `${label}: error vs output scale`).toBeLessThanOrEqual(2e-2 * c.outScale);
}

const log = (label: string, c: Checked) =>
  console.log(`[f16 ${label}] max |Δ| ${c.r.maxAbs.toExponential(2)} (${(c.r.maxAbs / c.outScale).toExponential(1)} of max |y| ${c.outScale.toFixed(2)}), worst error / bound ${c.worst.toFixed(3)}, paths ${JSON.stringify(c.r.stats.convPaths)}`);

const weights = (spec: ModelSpec) => Float32Array.from(spec.initializers!.find((i) => i.name === 'w')!.data);

describe('f16 helpers', () => {
  it('f16Bits rounds to nearest even, keeps subnormals, saturates to inf; f16Value inverts it', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00],
      [1 + 2 ** -11, 0x3c00], // tie → even
      [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // above the tie
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001], [3 * 2 ** -24, 0x0003], [1e-8, 0],
      [0.1, 0x2e66],
    ];
    for (const [x, h] of cases) expect(f16Bits(x), String(x)).toBe(h);
    expect(f16Bits(-0)).toBe(0x8000);
    expect(f16Bits(NaN) & 0x7c00).toBe(0x7c00);
    for (const h of [0x0001, 0x03ff, 0x0400, 0x3c00, 0x3c01, 0x7bff, 0xbc00, 0x2e66]) expect(f16Bits(f16Value(h))).toBe(h);
    // every f16 rounding is within u relative (normal range)
    const r = randomInput([1000], 99, -100, 100);
    for (const x of r) expect(Math.abs(f16Value(f16Bits(x)) - x)).toBeLessThanOrEqual(U * Math.abs(x));
  });
});

describe("Conv with precision 'f16' vs onnxruntime-node (per-element bound L·(2u+u²)·Σ|x·w| + 1e-4)", () => {
  it('the test adapter has shader-f16', async () => {
    expect((await testContext()).hasF16).toBe(true);
  });

  it('3-D conv: padding, dilation, stride, group, no bias — tiled and generic kernels', async () => {
    for (const [name, x, w, attrs, bias] of CONV3D_CASES) {
      for (const genericConv of [false, true]) {
        const spec = convModel(x, w, attrs, [], bias);
        const c = await checkF16(spec, x, w, weights(spec), attrs, 3, genericConv);
        log(`${name} generic=${genericConv}`, c);
        expectF16Ran(c, `${name} generic=${genericConv}`);
        if (genericConv) expect(c.r.stats.convPaths).toEqual({ tiled: 0, generic: 1 });
      }
    }
    // the fast path is taken where it applies (group 1, stride 1, kernel > 1×1×1)
    const k3 = convModel(CONV3D_CASES[0][1], CONV3D_CASES[0][2], CONV3D_CASES[0][3]);
    const c = await checkF16(k3, CONV3D_CASES[0][1], CONV3D_CASES[0][2], weights(k3), CONV3D_CASES[0][3], 3);
    expect(c.r.stats.convPaths).toEqual({ tiled: 1, generic: 0 });
  });

  it('1-D and 2-D conv', async () => {
    for (const [x, w, attrs] of [
      [[2, 3, 17], [4, 3, 5], { pads: [2, 1], strides: [2], dilations: [1] }],
      [[1, 3, 12, 13], [5, 3, 3, 3], { pads: [2, 2, 2, 2], dilations: [2, 2] }],
    ] as [number[], number[], NodeSpec['attrs']][]) {
      const spec = convModel(x, w, attrs);
      const c = await checkF16(spec, x, w, weights(spec), attrs, 1);
      log(`${x.length - 2}-D`, c);
      expectF16Ran(c, `${x.length - 2}-D`);
    }
  });

  it('fused activations (Relu, LeakyRelu, Elu, Gelu, Sigmoid, Tanh, Clip)', async () => {
    const attrs = { pads: [1, 1, 1, 1, 1, 1] };
    for (const [act, opset, init] of ACT_CASES) {
      const spec = convModel(ACT_X, ACT_W, attrs, [act], true, init, opset);
      const c = await checkF16(spec, ACT_X, ACT_W, weights(spec), attrs, 1);
      log(act.op, c);
      expectF16Ran(c, act.op);
      expect(c.r.fused.activationsFused, act.op).toBe(1);
      expect(c.r.stats.gpuNodes, act.op).toBe(1);
    }
  });

  it('Conv + folded BatchNormalization + Relu', async () => {
    const C = 6, x = [1, 3, 7, 8, 9], w = [C, 3, 3, 3, 3], attrs = { pads: [1, 1, 1, 1, 1, 1] };
    const bn = bnInit(C);
    const spec = convModel(x, w, attrs, [bn.node, { op: 'Relu', inputs: ['d'], outputs: ['y'] }], true, bn.init);
    const wf = weights(spec);
    const per = wf.length / C;
    for (let i = 0; i < wf.length; i++) {
      const oc = Math.floor(i / per);
      wf[i] *= bn.scale[oc] / Math.sqrt(bn.var[oc] + bn.eps);
    }
    const c = await checkF16(spec, x, w, wf, attrs, 1);
    log('Conv+BN+Relu', c);
    expectF16Ran(c, 'Conv+BN+Relu');
    expect(c.r.fused).toMatchObject({ batchNormFolded: 1, activationsFused: 1 });
  });

  it('per-channel weight scales keep tiny and large weights accurate (no f16 underflow / overflow)', async () => {
    // channel 0 weights ~1e-7 (f16 subnormal, spacing 6e-8, without scaling), channel 1 ~1e5 (> 65504 without scaling)
    const x = [1, 2, 5, 6, 7], w = [2, 2, 3, 3, 3], attrs = { pads: [1, 1, 1, 1, 1, 1] };
    const raw = randomInput(w, 21, -1, 1);
    const wd = raw.map((v, i) => (i < raw.length / 2 ? v * 1e-7 : v * 1e5));
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: x }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs }],
      initializers: [{ name: 'w', dims: w, data: wd }],
    };
    for (const genericConv of [false, true]) {
      const c = await checkF16(spec, x, w, wd, attrs, 2, genericConv);
      const { ours, ort: ref } = c.r.outputs.y;
      const n = ref.length / 2;
      // relative to each channel's own scale: the tiny channel is not flushed to zero
      let m0 = 0, e0 = 0, m1 = 0, e1 = 0;
      for (let i = 0; i < n; i++) { m0 = Math.max(m0, Math.abs(ref[i])); e0 = Math.max(e0, Math.abs(ours[i] - ref[i])); }
      for (let i = n; i < 2 * n; i++) { m1 = Math.max(m1, Math.abs(ref[i])); e1 = Math.max(e1, Math.abs(ours[i] - ref[i])); }
      console.log(`[f16 weight scales generic=${genericConv}] tiny channel: max |y| ${m0.toExponential(2)}, max |Δ| ${e0.toExponential(2)}; large: ${m1.toExponential(2)}, ${e1.toExponential(2)}`);
      expect(e0 / m0).toBeLessThanOrEqual(1e-2);
      expect(e1 / m1).toBeLessThanOrEqual(1e-2);
      expect(Number.isFinite(e1)).toBe(true);
      expect(c.worst).toBeLessThanOrEqual(1);
    }
  });

  it('ConvTranspose stays f32 under precision f16', async () => {
    const ctx = await testContext();
    const x = [1, 4, 5, 6, 7], w = [4, 3, 2, 2, 2];
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: x }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'ConvTranspose', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { strides: [2, 2, 2] } }],
      initializers: [{ name: 'w', dims: w, data: randomInput(w, 5, -0.5, 0.5) }, { name: 'b', dims: [3], data: randomInput([3], 6) }],
    };
    const opts: RunOptions = { precision: 'f16' };
    const r = await compareWithOrt(ctx, spec, 1, opts);
    expect(r.stats.precision).toBe('f16');
    expect(r.maxAbs).toBeLessThanOrEqual(F32_TOL);
  });
});

describe('precision option', () => {
  it("'auto' resolves to AUTO_PRECISION on shader-f16 adapters and to f32 without; stats record it", async () => {
    const ctx = await testContext();
    const masked = ctx.withoutFeatures('shader-f16');
    expect(masked.hasF16).toBe(false);
    expect(resolveConvPrecision(ctx)).toBe(AUTO_PRECISION);
    expect(resolveConvPrecision(ctx, 'auto')).toBe(AUTO_PRECISION);
    expect(resolveConvPrecision(masked, 'auto')).toBe('f32');
    expect(resolveConvPrecision(ctx, 'f32')).toBe('f32');
    expect(resolveConvPrecision(ctx, 'f16')).toBe('f16');
    const spec = convModel([1, 2, 5, 6, 7], [3, 2, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] });
    const model = prepareModel(buildModel(spec));
    const x = { x: { data: randomInput([1, 2, 5, 6, 7], 4), dims: [1, 2, 5, 6, 7] } };
    for (const [c, want] of [[ctx, AUTO_PRECISION], [masked, 'f32']] as const) {
      const stats: Partial<RunStats> = {};
      await runModel(c, model, x, {}, stats);
      expect(stats.precision).toBe(want);
    }
  });

  it("'f16' without shader-f16 throws GPU_UNAVAILABLE naming the feature (never silently f32)", async () => {
    const masked = (await testContext()).withoutFeatures('shader-f16');
    const spec = convModel([1, 2, 5, 6, 7], [3, 2, 3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] });
    const x = { x: { data: randomInput([1, 2, 5, 6, 7], 4), dims: [1, 2, 5, 6, 7] } };
    const e = await runModel(masked, prepareModel(buildModel(spec)), x, { precision: 'f16' }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GpuUnavailableError);
    expect((e as GpuUnavailableError).code).toBe('GPU_UNAVAILABLE');
    expect((e as Error).message).toMatch(/shader-f16/);
    // a limits view of the masked context stays masked; the kernel entry point checks too
    const r = new Recorder(masked.withLimits({ maxStorageBufferBindingSize: 2 ** 20 }));
    const b = { buffer: r.ctx.storage(64), size: 64 };
    const p = { w: new Float32Array(8), wDims: [1, 1, 2, 2, 2], b: new Float32Array(1), strides: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0], dilations: [1, 1, 1], group: 1, act: { kind: 'none' as const, alpha: 0, beta: 0 } };
    await expect(conv(r, b, [1, 1, 2, 2, 2], b, [1, 1, 1, 1, 1], p, false, 'f16')).rejects.toMatchObject({ code: 'GPU_UNAVAILABLE' });
    r.ctx.release(b.buffer);
  });
});
