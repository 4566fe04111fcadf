/**
 * Test helper (Node only; imported by *.test.ts): runs a model on onnxruntime-node and on this
 * engine with the same random inputs and returns the max absolute difference per output.
 */
import * as ort from 'onnxruntime-node';
import type { GpuContext } from '../runtime/device';
import { rng } from '../test-setup';
import { type ModelSpec, buildModel } from './build-model';
import { type RunStats, prepareModel, runModel } from './executor';

export interface Compared {
  maxAbs: number;
  outputs: Record<string, { ours: ArrayLike<number>; ort: ArrayLike<number>; dims: number[] }>;
  stats: Partial<RunStats>;
  fused: ReturnType<typeof prepareModel>['graph']['fused'];
}

/**
 * onnxruntime session options for tests that share 2 cores with the GPU emulator: no spinning
 * worker threads (spinning ORT threads starve lavapipe's threads).
 */
export function ortOptions(threads = 1): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads, interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

export function randomInput(dims: number[], seed: number, lo = -2, hi = 2): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * r());
}

export async function compareWithOrt(ctx: GpuContext, spec: ModelSpec, seed = 1, opts: { genericConv?: boolean } = {}): Promise<Compared> {
  const bytes = buildModel(spec);
  const feeds: Record<string, ort.Tensor> = {};
  const inputs: Record<string, { data: Float32Array; dims: number[] }> = {};
  spec.inputs.forEach((i, k) => {
    const dims = i.dims as number[];
    const data = randomInput(dims, seed * 31 + k);
    feeds[i.name] = new ort.Tensor('float32', data, dims);
    inputs[i.name] = { data, dims };
  });
  let t = performance.now();
  const session = await ort.InferenceSession.create(bytes, ortOptions());
  const want = await session.run(feeds);
  await session.release();
  const ortMs = performance.now() - t;
  t = performance.now();
  const model = prepareModel(bytes);
  const stats: Partial<RunStats> = {};
  const got = await runModel(ctx, model, inputs, opts, stats);
  if (process.env.TESSERA_ONNX_TIMES) console.log(`[${spec.nodes.map((n) => n.op).join('+')}] ort ${ortMs.toFixed(0)} ms, engine ${(performance.now() - t).toFixed(0)} ms`);
  let maxAbs = 0;
  const outputs: Compared['outputs'] = {};
  for (const o of spec.outputs) {
    const w = want[o.name];
    const g = got[o.name];
    if (!g) throw new Error(`engine did not return output ${o.name}`);
    const wd = Array.from(w.dims as readonly number[]);
    if (wd.join() !== g.dims.join()) throw new Error(`output ${o.name}: dims [${g.dims}] vs onnxruntime [${wd}]`);
    const wv = Array.from(w.data as ArrayLike<number | bigint>, Number);
    for (let i = 0; i < wv.length; i++) {
      const d = Math.abs(g.data[i] - wv[i]);
      maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
    }
    outputs[o.name] = { ours: g.data, ort: wv, dims: g.dims };
  }
  return { maxAbs, outputs, stats, fused: model.graph.fused };
}
