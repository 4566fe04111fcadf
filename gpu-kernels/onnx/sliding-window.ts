/**
 * Sliding-window inference with overlap + Gaussian blending on this engine (U-Nets and models
 * trained on a fixed crop): `slidingWindow` (lib/tensor/sliding-window.ts) with `runModel` per window.
 */
import { ArgumentError } from '../../lib/errors';
import { type SlidingWindowOptions, slidingWindow } from '../../lib/tensor/sliding-window';
import type { GpuContext } from '../runtime/device';
import { type GpuModel, type InputTensor, type RunOptions, type RunStats, prepareModel, runModel } from './executor';
import type { OnnxModel } from './loader';

export { blendWeights, windowStarts, type SlidingWindowOptions } from '../../lib/tensor/sliding-window';

/**
 * Runs `model` over `input` ([N, Cin, ...spatial]) window by window and returns the blended first
 * output ([N, Cout, ...spatial], float scores). `stats` gets the window count and starts, and the
 * last window's engine stats.
 */
export async function runSlidingWindow(
  ctx: GpuContext,
  model: GpuModel | OnnxModel | Uint8Array,
  input: InputTensor,
  opts: SlidingWindowOptions & { run?: RunOptions },
  stats?: Partial<RunStats> & { windows?: number; windowStarts?: number[][] },
): Promise<{ data: Float32Array; dims: number[] }> {
  const m = 'graph' in model && 'plans' in model ? model : prepareModel(model as OnnxModel | Uint8Array);
  const g = m.graph;
  const inName = g.inputs[0].name, outName = g.outputs[0];
  if (g.intValues.has(outName)) {
    throw new ArgumentError(`the model's output '${outName}' is an ArgMax (labels); blending needs logits or probabilities`, { where: 'runSlidingWindow', hint: 'Export the model without the final ArgMax.' });
  }
  let last: Partial<RunStats> = {};
  const r = await slidingWindow(input, opts, async (win) => {
    last = {};
    return (await runModel(ctx, m, { [inName]: win }, opts.run ?? {}, last))[outName];
  });
  if (stats) Object.assign(stats, last, { windows: r.windows, windowStarts: r.starts });
  return { data: r.data, dims: r.dims };
}
