/**
 * Shared MLP (pointwise 1×1 convolution + bias + ReLU per layer; batch norm folded into weight and
 * bias) and max-pool over neighbours — CPU twins of `gpu-kernels/pointnet/shared-mlp`.
 * Layout channels-last: rows × channels, row-major. Sums in f64, each layer's output rounded to f32.
 */
import { ShapeError } from '../errors';
import { checkInt } from './common';

export interface MlpLayer {
  cin: number;
  cout: number;
  /** [cout, cin] row-major (a Conv1d/Conv2d 1×1 weight flattened). */
  weight: Float32Array;
  /** [cout]. */
  bias: Float32Array;
}

export interface MlpOptions {
  /** ReLU after every layer, the last included (PointNet++'s SA/FP MLPs); default true. */
  relu?: boolean;
}

export function checkLayers(layers: MlpLayer[], cin: number, where: string): number {
  let c = cin;
  layers.forEach((l, i) => {
    if (l.cin !== c) throw new ShapeError(`layer ${i} expects ${l.cin} input channels, gets ${c}`, { where: `${where}.layers[${i}]` });
    checkInt(l.cout, `layers[${i}].cout`, where, 1);
    if (l.weight.length !== l.cout * l.cin || l.bias.length !== l.cout) {
      throw new ShapeError(`layer ${i}: weight must be [${l.cout}, ${l.cin}] and bias [${l.cout}]`, { where: `${where}.layers[${i}]` });
    }
    c = l.cout;
  });
  return c;
}

/** One layer: out[r, o] = relu(b[o] + Σ_i w[o, i] · x[r, i]). */
export function mlpLayer(x: Float32Array, rows: number, l: MlpLayer, relu = true): Float32Array {
  const { cin, cout, weight: w, bias } = l;
  const out = new Float32Array(rows * cout);
  for (let r = 0; r < rows; r++) {
    const xo = r * cin;
    const oo = r * cout;
    for (let o = 0; o < cout; o++) {
      let s = bias[o];
      const wo = o * cin;
      let i = 0;
      for (; i + 3 < cin; i += 4) s += w[wo + i] * x[xo + i] + w[wo + i + 1] * x[xo + i + 1] + w[wo + i + 2] * x[xo + i + 2] + w[wo + i + 3] * x[xo + i + 3];
      for (; i < cin; i++) s += w[wo + i] * x[xo + i];
      out[oo + o] = relu && s < 0 ? 0 : s;
    }
  }
  return out;
}

/** Applies every layer to `x` ([rows, cin]); returns [rows, cout_last]. */
export function sharedMlp(x: Float32Array, rows: number, layers: MlpLayer[], opts: MlpOptions = {}): Float32Array {
  if (layers.length === 0) return x.slice();
  checkLayers(layers, layers[0].cin, 'sharedMlp');
  if (x.length !== rows * layers[0].cin) throw new ShapeError(`input has ${x.length} values, ${rows}·${layers[0].cin} expected`, { where: 'sharedMlp.x' });
  let cur = x;
  for (const l of layers) cur = mlpLayer(cur, rows, l, opts.relu ?? true);
  return cur;
}

/** Max over the k neighbours of each group: [m, k, C] → [m, C]. */
export function maxPool(x: Float32Array, m: number, k: number, channels: number): Float32Array {
  if (x.length !== m * k * channels) throw new ShapeError(`input has ${x.length} values, ${m}·${k}·${channels} expected`, { where: 'maxPool.x' });
  const out = new Float32Array(m * channels);
  for (let j = 0; j < m; j++) {
    for (let c = 0; c < channels; c++) {
      let v = -Infinity;
      for (let s = 0; s < k; s++) {
        const t = x[(j * k + s) * channels + c];
        if (t > v) v = t;
      }
      out[j * channels + c] = v;
    }
  }
  return out;
}

/** Seeded layer (He-uniform weights, small biases) for tests and benches. */
export function randomLayer(cin: number, cout: number, seed: number): MlpLayer {
  let a = seed >>> 0;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const bound = Math.sqrt(6 / cin);
  const weight = new Float32Array(cout * cin).map(() => (2 * rnd() - 1) * bound);
  const bias = new Float32Array(cout).map(() => (2 * rnd() - 1) * 0.1);
  return { cin, cout, weight, bias };
}
