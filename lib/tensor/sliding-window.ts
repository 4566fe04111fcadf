/**
 * Sliding-window inference with overlap and blending, for networks that cannot be tiled exactly
 * (U-Nets: pooling / strided convs / upsampling) or that were trained on a fixed crop.
 *
 * The volume is covered by windows of the model's input size whose starts are spread evenly along
 * each axis so that neighbours overlap by at least `overlap` (fraction of the window); each window's
 * logits are weighted by a separable Gaussian (σ = window / 8 per axis, nnU-Net's choice: the centre
 * of a window, which saw the most context, counts most) or a constant, accumulated, and divided by
 * the summed weights. A volume smaller than the window along an axis is zero-padded (after the
 * caller's normalisation) at the end of that axis and the padding cropped from the result.
 *
 * Blending changes results near window borders compared with one whole-volume pass (the network
 * sees less context there); it equals the whole-volume pass when one window covers the volume.
 * The WebGPU wrapper is gpu-kernels/onnx/sliding-window.ts; the server's onnxruntime path uses
 * `slidingWindow` directly (server/inference/run-onnx.ts).
 *
 * Test-time mirroring (`mirror`, nnU-Net's "mirroring"): each window's scores are the mean over
 * every subset of the listed spatial axes of (flip the window → network → flip the scores back),
 * 2^|mirror| network runs per window; the blend is unchanged. training/unet/evaluate.py
 * `predict_windows(..., mirror)` is its Python twin.
 */
import { ArgumentError } from '../errors';
import { extractBox } from './box';

export interface WindowTensor { data: Float32Array; dims: number[] }

export interface SlidingWindowOptions {
  /** Window size per spatial axis, in tensor order (the model's training crop). */
  window: number[];
  /** Minimum overlap of neighbouring windows as a fraction of the window, in [0, 0.95]; default 0.5. */
  overlap?: number;
  /** 'gaussian' (default) or 'constant' weights. */
  blend?: 'gaussian' | 'constant';
  /** Spatial axes (indices into `window`, tensor order) of test-time mirroring; default none. */
  mirror?: number[];
  onProgress?: (done: number, total: number) => void;
}

/** Window starts along one axis of `size` for windows of `w` overlapping by ≥ overlap·w (first at 0, last at size − w). */
export function windowStarts(size: number, w: number, overlap: number): number[] {
  if (size <= w) return [0];
  const step = Math.max(1, Math.floor(w * (1 - overlap)));
  const n = Math.ceil((size - w) / step) + 1;
  return Array.from({ length: n }, (_, i) => Math.round((i * (size - w)) / (n - 1)));
}

/** Separable blending weights for one window (C-order over the spatial axes), max 1, min > 0. */
export function blendWeights(window: number[], kind: 'gaussian' | 'constant'): Float32Array {
  const n = window.reduce((a, b) => a * b, 1);
  if (kind === 'constant') return new Float32Array(n).fill(1);
  const axes = window.map((w) => {
    const sigma = w / 8, c = (w - 1) / 2;
    return Float64Array.from({ length: w }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  });
  const out = new Float32Array(n);
  const idx = window.map(() => 0);
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    let v = 1;
    for (let a = 0; a < window.length; a++) v *= axes[a][idx[a]];
    out[i] = v;
    if (v > 0 && v < min) min = v;
    for (let a = window.length - 1; a >= 0; a--) { if (++idx[a] < window[a]) break; idx[a] = 0; }
  }
  // the centre is 1 by construction; keep every weight positive so every voxel is covered
  for (let i = 0; i < n; i++) if (!(out[i] > 0)) out[i] = min;
  return out;
}

/**
 * Runs `runWindow` (a network: [N, Cin, ...window] → [N, Cout, ...window] float scores) over `input`
 * ([N, Cin, ...spatial]) window by window and returns the blended scores ([N, Cout, ...spatial]) and
 * the window starts per axis. Isomorphic: the WebGPU engine and onnxruntime both plug in here.
 */
export async function slidingWindow(
  input: WindowTensor,
  opts: SlidingWindowOptions,
  runWindow: (win: WindowTensor, index: number) => Promise<{ data: Float32Array | Int32Array; dims: number[]; type?: string }>,
): Promise<{ data: Float32Array; dims: number[]; starts: number[][]; windows: number }> {
  const where = 'slidingWindow';
  const sp = input.dims.length - 2;
  const spatial = input.dims.slice(2);
  const w = opts.window;
  if (w.length !== sp || w.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ArgumentError(`window [${w}] must give a positive integer size for each of the ${sp} spatial axes`, { where });
  }
  const overlap = opts.overlap ?? 0.5;
  if (!(overlap >= 0 && overlap <= 0.95)) throw new ArgumentError(`overlap ${overlap} must be in [0, 0.95]`, { where });
  const mirror = [...new Set(opts.mirror ?? [])].sort((a, b) => a - b);
  if (mirror.some((a) => !Number.isInteger(a) || a < 0 || a >= sp)) {
    throw new ArgumentError(`mirror axes [${opts.mirror}] must be spatial axis indices in [0, ${sp})`, { where, hint: 'List each mirrored axis once, in tensor order.' });
  }
  const flipSets = Array.from({ length: 2 ** mirror.length }, (_, m) => mirror.filter((_, k) => (m >> k) & 1));
  // pad axes shorter than the window (zeros at the end)
  const padded = spatial.map((s, a) => Math.max(s, w[a]));
  let x = input;
  if (padded.some((p, a) => p !== spatial[a])) {
    const dims = [...input.dims.slice(0, 2), ...padded];
    const data = new Float32Array(dims.reduce((p, v) => p * v, 1));
    pasteInto(input.data, input.dims, data, dims);
    x = { data, dims };
  }
  const starts = padded.map((s, a) => windowStarts(s, w[a], overlap));
  const grid: number[][] = [];
  const rec = (a: number, cur: number[]) => {
    if (a === sp) { grid.push(cur); return; }
    for (const s of starts[a]) rec(a + 1, [...cur, s]);
  };
  rec(0, []);
  const weights = blendWeights(w, opts.blend ?? 'gaussian');
  const wn = weights.length;
  let acc: Float32Array | null = null;
  let outPrefix: number[] = [];
  const wsum = new Float32Array(padded.reduce((p, v) => p * v, 1));
  const pStrides = strides(padded);
  const wStrides = strides(w);
  for (let k = 0; k < grid.length; k++) {
    const s0 = grid[k];
    const win = { data: extractBox(x.data, x.dims, s0, w), dims: [...x.dims.slice(0, 2), ...w] };
    // the window's scores: the mean over the flip sets (one plain run without mirroring)
    let out: { data: Float32Array; dims: number[] } | null = null;
    for (const flip of flipSets) {
      const r = await runWindow(flip.length ? { data: flipAxes(win.data, win.dims, flip), dims: win.dims } : win, k);
      if (r.data instanceof Int32Array || r.type === 'int32') {
        throw new ArgumentError('the model outputs labels (ArgMax); blending needs logits or probabilities', { where, hint: 'Export the model without the final ArgMax.' });
      }
      if (r.dims.slice(2).join() !== w.join()) {
        throw new ArgumentError(`the model maps a [${w}] window to [${r.dims.slice(2)}]; sliding windows need outputs on the input grid`, { where });
      }
      const back = flip.length ? flipAxes(r.data as Float32Array, r.dims, flip) : (r.data as Float32Array);
      if (!out) out = { data: flipSets.length > 1 ? Float32Array.from(back) : back, dims: r.dims };
      else for (let i = 0; i < back.length; i++) out.data[i] += back[i];
    }
    const scores = out!; // flipSets always holds the empty set
    if (flipSets.length > 1) for (let i = 0; i < scores.data.length; i++) scores.data[i] /= flipSets.length;
    if (!acc) {
      outPrefix = scores.dims.slice(0, 2);
      acc = new Float32Array(outPrefix[0] * outPrefix[1] * wsum.length);
    }
    const planes = outPrefix[0] * outPrefix[1];
    // accumulate weight · scores into the window's box
    for (let i = 0; i < wn; i++) {
      let rem = i, off = 0;
      for (let a = 0; a < sp; a++) {
        const c = Math.floor(rem / wStrides[a]);
        rem -= c * wStrides[a];
        off += (s0[a] + c) * pStrides[a];
      }
      const wt = weights[i];
      wsum[off] += wt;
      for (let p = 0; p < planes; p++) acc[p * wsum.length + off] += wt * scores.data[p * wn + i];
    }
    opts.onProgress?.(k + 1, grid.length);
  }
  const planes = outPrefix[0] * outPrefix[1];
  for (let p = 0; p < planes; p++) for (let i = 0; i < wsum.length; i++) acc![p * wsum.length + i] /= wsum[i];
  let result = { data: acc!, dims: [...outPrefix, ...padded] };
  if (padded.some((p, a) => p !== spatial[a])) {
    const dims = [...outPrefix, ...spatial];
    result = { data: extractBox(result.data, result.dims, spatial.map(() => 0), spatial), dims };
  }
  return { ...result, starts, windows: grid.length };
}

/**
 * A copy of `data` ([N, C, ...spatial], C-order) reversed along the spatial axes `axes` (indices
 * into the spatial axes). An involution: flipping twice gives the input back.
 */
export function flipAxes(data: Float32Array, dims: number[], axes: number[]): Float32Array {
  const lead = 2;
  const st = strides(dims);
  const out = new Float32Array(data.length);
  const rank = dims.length;
  const idx = new Array(rank).fill(0);
  const flip = dims.map((_, a) => a >= lead && axes.includes(a - lead));
  for (let i = 0; i < data.length; i++) {
    let j = 0;
    for (let a = 0; a < rank; a++) j += (flip[a] ? dims[a] - 1 - idx[a] : idx[a]) * st[a];
    out[j] = data[i];
    for (let a = rank - 1; a >= 0; a--) { if (++idx[a] < dims[a]) break; idx[a] = 0; }
  }
  return out;
}

function strides(d: number[]): number[] {
  const s = Array(d.length).fill(1);
  for (let i = d.length - 2; i >= 0; i--) s[i] = s[i + 1] * d[i + 1];
  return s;
}

/** Copies a smaller [N, C, ...s] tensor into the origin corner of a larger [N, C, ...S] one. */
function pasteInto(src: Float32Array, sDims: number[], dst: Float32Array, dDims: number[]): void {
  const ss = strides(sDims), ds = strides(dDims);
  const rank = sDims.length, row = sDims[rank - 1];
  const rows = src.length / row;
  for (let r = 0; r < rows; r++) {
    let rem = r * row, so = 0, dof = 0;
    for (let a = 0; a < rank - 1; a++) {
      const c = Math.floor(rem / ss[a]);
      rem -= c * ss[a];
      so += c * ss[a];
      dof += c * ds[a];
    }
    dst.set(src.subarray(so, so + row), dof);
  }
}
