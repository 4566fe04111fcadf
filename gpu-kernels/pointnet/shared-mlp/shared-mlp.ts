/// <reference types="@webgpu/types" />
/**
 * GPU shared MLP (1×1 conv + bias + ReLU per layer) and max-pool over neighbours, the GPU versions
 * of `lib/pointnet/mlp.ts` `sharedMlp()` / `maxPool()`. f32 sums (the twin sums in f64):
 * agreement ≈ 1e-6 relative. Rows are processed in chunks (whole groups) so no binding exceeds the
 * adapter's limit; all layers of a chunk run in one compute pass without readbacks.
 */
import { ArgumentError, ShapeError } from '../../../lib/errors';
import { checkInt } from '../../../lib/pointnet/common';
import { checkLayers, type MlpLayer, type MlpOptions } from '../../../lib/pointnet/mlp';
import type { ComputeStep, GpuContext } from '../../runtime/device';
import { GpuLimitsError } from '../../runtime/errors';
import { words } from '../common';
import { maxPoolWgsl, mlpLayerWgsl } from './shared-mlp.wgsl';

async function run(ctx: GpuContext, x: Float32Array, m: number, k: number, layers: MlpLayer[], pool: boolean, opts: MlpOptions, where: string): Promise<Float32Array> {
  ctx.assertAlive(where);
  if (layers.length === 0) throw new ArgumentError('at least one layer is required', { where: `${where}.layers` });
  const cin = layers[0].cin;
  const cout = checkLayers(layers, cin, where);
  if (x.length !== m * k * cin) throw new ShapeError(`input has ${x.length} values, ${m}·${k}·${cin} expected`, { where: `${where}.x` });
  const outRowsPerGroup = pool ? 1 : k;
  const out = new Float32Array(m * outRowsPerGroup * cout);
  if (m === 0) return out;
  const maxC = Math.max(cin, ...layers.map((l) => l.cout));
  const maxElems = ctx.maxBindingElements(4);
  const groupsPerChunk = Math.min(m, Math.floor(maxElems / (k * maxC)));
  if (groupsPerChunk < 1) throw new GpuLimitsError(`one group of ${k}×${maxC} values exceeds a storage binding`, { where });
  for (const l of layers) if (l.cin * l.cout > maxElems) throw new GpuLimitsError(`layer weight ${l.cout}×${l.cin} exceeds a storage binding`, { where });
  const wg = ctx.workgroupSize1D(256);
  const layerPipe = await ctx.pipeline({ code: mlpLayerWgsl(wg), label: 'pointnet.mlpLayer' });
  const poolPipe = pool ? await ctx.pipeline({ code: maxPoolWgsl(wg), label: 'pointnet.maxPool' }) : null;
  const relu = opts.relu ?? true;
  const wBufs = layers.map((l) => ctx.upload(l.weight, 'mlp.w'));
  const bBufs = layers.map((l) => ctx.upload(l.bias, 'mlp.b'));
  const rowsMax = groupsPerChunk * k;
  const bufA = ctx.storage(4 * rowsMax * maxC, 'mlp.a');
  const bufB = ctx.storage(4 * rowsMax * maxC, 'mlp.b');
  const pooled = pool ? ctx.storage(4 * groupsPerChunk * cout, 'mlp.pool') : null;
  const temps: GPUBuffer[] = [];
  try {
    for (let g0 = 0; g0 < m; g0 += groupsPerChunk) {
      const gm = Math.min(groupsPerChunk, m - g0);
      const rows = gm * k;
      ctx.write(bufA, x.subarray(g0 * k * cin, (g0 + gm) * k * cin));
      const steps: ComputeStep[] = [];
      let src = bufA, dst = bufB;
      layers.forEach((l, i) => {
        const u = ctx.uniform(words([rows, l.cin, l.cout, relu ? 1 : 0]), 'mlp.params');
        temps.push(u);
        const bg = ctx.bindGroup(layerPipe, [
          { buffer: src, size: 4 * rows * l.cin },
          { buffer: wBufs[i], size: 4 * l.cin * l.cout },
          { buffer: bBufs[i], size: 4 * l.cout },
          { buffer: dst, size: 4 * rows * l.cout },
          u,
        ]);
        steps.push({ pipeline: layerPipe, bindGroup: bg, workgroups: ctx.grid(rows * l.cout, wg) });
        [src, dst] = [dst, src];
      });
      if (pool && poolPipe && pooled) {
        const u = ctx.uniform(words([gm, k, cout, 0]), 'pool.params');
        temps.push(u);
        const bg = ctx.bindGroup(poolPipe, [{ buffer: src, size: 4 * rows * cout }, { buffer: pooled, size: 4 * gm * cout }, u]);
        steps.push({ pipeline: poolPipe, bindGroup: bg, workgroups: ctx.grid(gm * cout, wg) });
      }
      await ctx.run(pool ? 'pointnet.sharedMlpMaxPool' : 'pointnet.sharedMlp', steps);
      const res = pool ? await ctx.read(pooled!, 0, 4 * gm * cout, 'mlp.readPool') : await ctx.read(src, 0, 4 * rows * cout, 'mlp.read');
      out.set(new Float32Array(res), g0 * outRowsPerGroup * cout);
      ctx.release(...temps.splice(0));
    }
  } finally {
    ctx.release(...wBufs, ...bBufs, bufA, bufB, ...temps);
    if (pooled) ctx.release(pooled);
  }
  return out;
}

/** Shared MLP over `rows` rows of [rows, cin] (channels-last) → [rows, cout], as `sharedMlp()`. */
export function sharedMlpGpu(ctx: GpuContext, x: Float32Array, rows: number, layers: MlpLayer[], opts: MlpOptions = {}): Promise<Float32Array> {
  checkInt(rows, 'rows', 'sharedMlpGpu', 0);
  return run(ctx, x, rows, 1, layers, false, opts, 'sharedMlpGpu');
}

/** Shared MLP then max over each group's k rows: [m, k, cin] → [m, cout], as `maxPool(sharedMlp())`. */
export function sharedMlpMaxPoolGpu(ctx: GpuContext, x: Float32Array, m: number, k: number, layers: MlpLayer[], opts: MlpOptions = {}): Promise<Float32Array> {
  checkInt(m, 'm', 'sharedMlpMaxPoolGpu', 0);
  checkInt(k, 'k', 'sharedMlpMaxPoolGpu', 1);
  return run(ctx, x, m, k, layers, true, opts, 'sharedMlpMaxPoolGpu');
}
