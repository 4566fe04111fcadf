/**
 * Graph preparation (once per model) and planning (once per input shape).
 *
 * `prepareGraph(model)`: rejects unsupported ops (all named, before any GPU work), turns Constant
 * nodes into constants, resolves constant operands (weights, Reshape shapes, Resize scales, Clip
 * bounds), aliases Identity, folds BatchNormalization into the preceding Conv (when the Conv's only
 * consumer is the BN), lowers standalone BN to a per-channel affine, fuses an activation into the
 * preceding Conv when the Conv's only consumer is that activation, and orders nodes topologically.
 *
 * `planGraph(graph, inputDims)`: shape inference for every value and a liveness-based buffer plan:
 * values are assigned to slots in execution order, a slot is reused once the last consumer of its
 * value ran (Reshape outputs alias their input's storage), and `peakBytes` is the sum of the slots.
 */
import { ArgumentError, FormatError, ShapeError } from '../../lib/errors';
import { DataType } from './proto';
import { UnsupportedOpError } from './errors';
import { type AttrValue, type ConstTensor, type OnnxModel, type OnnxNode, tensorF32, tensorValues } from './loader';

export type ActKind = 'none' | 'relu' | 'leakyrelu' | 'elu' | 'gelu' | 'gelu_tanh' | 'sigmoid' | 'tanh' | 'clip';
export interface Act { kind: ActKind; alpha: number; beta: number }
export const NO_ACT: Act = { kind: 'none', alpha: 0, beta: 0 };

export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

export type Op =
  | { kind: 'conv'; w: Float32Array; wDims: number[]; b: Float32Array; strides: number[]; pads: number[]; dilations: number[]; group: number; act: Act; autoPad: string }
  | { kind: 'convT'; w: Float32Array; wDims: number[]; b: Float32Array; strides: number[]; pads: number[]; dilations: number[]; group: number; outputPadding: number[]; outputShape: number[] | null; autoPad: string; act: Act }
  | { kind: 'affine'; scale: Float32Array; shift: Float32Array }
  | { kind: 'instnorm'; scale: Float32Array; bias: Float32Array; eps: number }
  | { kind: 'unary'; act: Act }
  | { kind: 'softmax'; axis: number; legacy: boolean }
  | { kind: 'pool'; max: boolean; kernel: number[]; strides: number[]; pads: number[]; dilations: number[]; ceil: boolean; countIncludePad: boolean; autoPad: string }
  | { kind: 'resize'; mode: 'nearest' | 'linear'; coord: string; nearest: string; scales: number[] | null; sizes: number[] | null; cubic: number }
  | { kind: 'concat'; axis: number }
  | { kind: 'binary'; fn: BinaryKind }
  | { kind: 'transpose'; perm: number[] | null }
  | { kind: 'reshape'; shape: number[]; allowzero: boolean }
  | { kind: 'argmax'; axis: number; keepdims: boolean; selectLast: boolean };

export interface GNode {
  name: string;
  /** ONNX op types this node implements (several when fused, e.g. Conv+BatchNormalization+Relu). */
  source: string[];
  op: Op;
  /** Tensor inputs (graph values or constant values); parameters are inside `op`. */
  inputs: string[];
  output: string;
}

export interface PreparedGraph {
  nodes: GNode[];
  inputs: { name: string; dims: (number | string | null)[] | null }[];
  outputs: string[];
  /** Constant tensors used as tensor operands (uploaded once per run), as float32. */
  constants: Map<string, { dims: number[]; data: Float32Array }>;
  /** Outputs that are ArgMax results (int32 on the device, Int32Array on the host). */
  intValues: Set<string>;
  opset: number;
  /** Count of ONNX nodes folded or fused away, by kind (for reports). */
  fused: { batchNormFolded: number; activationsFused: number; identities: number };
}

export const SUPPORTED_OPS = [
  'Conv', 'ConvTranspose', 'BatchNormalization', 'Relu', 'LeakyRelu', 'Elu', 'Gelu', 'Sigmoid', 'Tanh', 'Softmax', 'MaxPool', 'AveragePool',
  'Resize', 'Concat', 'Add', 'Mul', 'Sub', 'Div', 'Clip', 'Transpose', 'Reshape', 'Identity', 'ArgMax', 'Constant', 'Dropout',
  'InstanceNormalization',
] as const;
const SUPPORTED = new Set<string>(SUPPORTED_OPS);

const ACT_OPS: Record<string, ActKind> = { Relu: 'relu', LeakyRelu: 'leakyrelu', Elu: 'elu', Gelu: 'gelu', Sigmoid: 'sigmoid', Tanh: 'tanh', Clip: 'clip' };

function ints(a: AttrValue | undefined, dflt: number[]): number[] {
  return Array.isArray(a) ? (a as number[]).map(Number) : dflt;
}
function num(a: AttrValue | undefined, dflt: number): number {
  return typeof a === 'number' ? a : dflt;
}
function str(a: AttrValue | undefined, dflt: string): string {
  return typeof a === 'string' ? a : dflt;
}

/** Throws UnsupportedOpError naming every op type of `model` this engine cannot run. */
export function checkSupported(model: OnnxModel): void {
  const bad = new Set<string>();
  for (const n of model.nodes) {
    if (n.domain || !SUPPORTED.has(n.opType)) bad.add(n.domain ? `${n.domain}.${n.opType}` : n.opType);
  }
  if (bad.size) throw new UnsupportedOpError([...bad].sort(), { where: 'prepareGraph' });
}

/** Prepares a loaded model for execution (see the module comment). Pure: the model is not mutated. */
export function prepareGraph(model: OnnxModel): PreparedGraph {
  const where = 'prepareGraph';
  checkSupported(model);
  const consts = new Map<string, ConstTensor>(model.initializers);
  const alias = new Map<string, string>();
  const real = (n: string) => {
    let r = n;
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  };
  const identities = { n: 0 };
  // Constants and Identity first (they only rename values).
  const raw: OnnxNode[] = [];
  for (const n of model.nodes) {
    if (n.opType === 'Constant') {
      const v = n.attrs.value;
      let t: ConstTensor | null = null;
      if (v && typeof v === 'object' && !Array.isArray(v)) t = { ...(v as ConstTensor), name: n.outputs[0] };
      else if (typeof n.attrs.value_float === 'number') t = { name: n.outputs[0], dims: [], dataType: DataType.FLOAT, data: Float32Array.of(n.attrs.value_float) };
      else if (Array.isArray(n.attrs.value_floats)) t = { name: n.outputs[0], dims: [(n.attrs.value_floats as number[]).length], dataType: DataType.FLOAT, data: Float32Array.from(n.attrs.value_floats as number[]) };
      else if (typeof n.attrs.value_int === 'number') t = { name: n.outputs[0], dims: [], dataType: DataType.INT64, data: BigInt64Array.of(BigInt(n.attrs.value_int)) };
      else if (Array.isArray(n.attrs.value_ints)) t = { name: n.outputs[0], dims: [(n.attrs.value_ints as number[]).length], dataType: DataType.INT64, data: BigInt64Array.from((n.attrs.value_ints as number[]).map(BigInt)) };
      if (!t) throw new UnsupportedOpError(['Constant'], { where, detail: `node '${n.name}' has no supported value attribute` });
      consts.set(n.outputs[0], t);
    } else if (n.opType === 'Identity' || n.opType === 'Dropout') {
      alias.set(n.outputs[0], n.inputs[0]);
      identities.n++;
    } else raw.push(n);
  }
  const graphOutputs = model.outputs.map((o) => o.name);
  // Graph outputs produced by an Identity keep their own name: re-materialise as a reshape-alias.
  const nodes: GNode[] = [];
  const intValues = new Set<string>();
  const constOf = (name: string, what: string, node: OnnxNode): ConstTensor => {
    const c = consts.get(real(name));
    if (!c) throw new UnsupportedOpError([node.opType], { where, detail: `${what} of node '${node.name}' must be a constant` });
    return c;
  };
  const optConst = (node: OnnxNode, i: number, what: string): ConstTensor | null => {
    const nm = node.inputs[i];
    return nm ? constOf(nm, what, node) : null;
  };
  for (const n of raw) {
    const a = n.attrs;
    const input = n.inputs.length ? real(n.inputs[0]) : '';
    const out = n.outputs[0];
    const g = (op: Op, inputs = [input]): void => void nodes.push({ name: n.name, source: [n.opType], op, inputs, output: out });
    switch (n.opType) {
      case 'Conv':
      case 'ConvTranspose': {
        const W = constOf(n.inputs[1], 'weight', n);
        const B = optConst(n, 2, 'bias');
        const sp = W.dims.length - 2;
        if (sp < 1 || sp > 3) throw new UnsupportedOpError([n.opType], { where, detail: `${sp}-D convolution (1-D to 3-D supported)` });
        const common = {
          w: tensorF32(W), wDims: W.dims,
          b: B ? tensorF32(B) : new Float32Array(n.opType === 'Conv' ? W.dims[0] : W.dims[1] * num(a.group, 1)),
          strides: ints(a.strides, Array(sp).fill(1)), pads: ints(a.pads, Array(2 * sp).fill(0)), dilations: ints(a.dilations, Array(sp).fill(1)),
          group: num(a.group, 1), autoPad: str(a.auto_pad, 'NOTSET'), act: NO_ACT,
        };
        const ks = ints(a.kernel_shape, W.dims.slice(2));
        if (ks.join() !== W.dims.slice(2).join()) throw new FormatError(`kernel_shape [${ks}] disagrees with weight dims [${W.dims}]`, { where: `${where}: ${n.name}` });
        if (n.opType === 'Conv') g({ kind: 'conv', ...common });
        else g({ kind: 'convT', ...common, outputPadding: ints(a.output_padding, Array(sp).fill(0)), outputShape: Array.isArray(a.output_shape) ? (a.output_shape as number[]) : null });
        break;
      }
      case 'BatchNormalization': {
        const [s, b, m, v] = [1, 2, 3, 4].map((i) => tensorF32(constOf(n.inputs[i], ['scale', 'B', 'mean', 'var'][i - 1], n)));
        const eps = num(a.epsilon, 1e-5);
        const scale = new Float32Array(s.length), shift = new Float32Array(s.length);
        for (let c = 0; c < s.length; c++) {
          scale[c] = s[c] / Math.sqrt(v[c] + eps);
          shift[c] = b[c] - m[c] * scale[c];
        }
        g({ kind: 'affine', scale, shift });
        break;
      }
      case 'InstanceNormalization': {
        const [s, b] = [1, 2].map((i) => tensorF32(constOf(n.inputs[i], ['scale', 'B'][i - 1], n)));
        if (s.length !== b.length) throw new FormatError(`InstanceNormalization scale has ${s.length} values, B ${b.length}`, { where: `${where}: ${n.name}` });
        g({ kind: 'instnorm', scale: s, bias: b, eps: num(a.epsilon, 1e-5) });
        break;
      }
      case 'Relu': case 'LeakyRelu': case 'Elu': case 'Gelu': case 'Sigmoid': case 'Tanh': case 'Clip': {
        let alpha = 0, beta = 0;
        let kind = ACT_OPS[n.opType];
        if (n.opType === 'LeakyRelu') alpha = num(a.alpha, 0.01);
        if (n.opType === 'Elu') alpha = num(a.alpha, 1);
        if (n.opType === 'Gelu' && str(a.approximate, 'none') === 'tanh') kind = 'gelu_tanh';
        if (n.opType === 'Clip') {
          alpha = -Infinity; beta = Infinity;
          if (model.opset < 11) { alpha = num(a.min, -3.4028234663852886e38); beta = num(a.max, 3.4028234663852886e38); }
          const lo = optConst(n, 1, 'min'), hi = optConst(n, 2, 'max');
          if (lo) alpha = tensorValues(lo)[0];
          if (hi) beta = tensorValues(hi)[0];
          alpha = Math.max(alpha, -3.4028234663852886e38); beta = Math.min(beta, 3.4028234663852886e38);
        }
        g({ kind: 'unary', act: { kind, alpha, beta } });
        break;
      }
      case 'Softmax':
        g({ kind: 'softmax', axis: num(a.axis, model.opset < 13 ? 1 : -1), legacy: model.opset < 13 });
        break;
      case 'MaxPool': case 'AveragePool': {
        const ks = ints(a.kernel_shape, []);
        const sp = ks.length;
        if (n.outputs.length > 1 && n.outputs[1]) throw new UnsupportedOpError(['MaxPool'], { where, detail: 'MaxPool Indices output' });
        if (num(a.storage_order, 0) !== 0) throw new UnsupportedOpError(['MaxPool'], { where, detail: 'storage_order=1' });
        g({
          kind: 'pool', max: n.opType === 'MaxPool', kernel: ks, strides: ints(a.strides, Array(sp).fill(1)), pads: ints(a.pads, Array(2 * sp).fill(0)),
          dilations: ints(a.dilations, Array(sp).fill(1)), ceil: num(a.ceil_mode, 0) === 1, countIncludePad: num(a.count_include_pad, 0) === 1, autoPad: str(a.auto_pad, 'NOTSET'),
        });
        break;
      }
      case 'Resize': {
        const mode = str(a.mode, 'nearest');
        if (mode !== 'nearest' && mode !== 'linear') throw new UnsupportedOpError(['Resize'], { where, detail: `mode '${mode}'` });
        const coord = str(a.coordinate_transformation_mode, 'half_pixel');
        if (!['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'half_pixel_symmetric'].includes(coord)) throw new UnsupportedOpError(['Resize'], { where, detail: `coordinate_transformation_mode '${coord}'` });
        if (Array.isArray(a.axes) || str(a.keep_aspect_ratio_policy, 'stretch') !== 'stretch') throw new UnsupportedOpError(['Resize'], { where, detail: 'axes / keep_aspect_ratio_policy' });
        // opset 10: (X, scales); opset ≥ 11: (X, roi, scales, sizes)
        const sc = model.opset < 11 ? optConst(n, 1, 'scales') : optConst(n, 2, 'scales');
        const sz = model.opset < 11 ? null : optConst(n, 3, 'sizes');
        const scales = sc && sc.data.length ? tensorValues(sc) : null;
        const sizes = sz && sz.data.length ? tensorValues(sz) : null;
        if (!scales && !sizes) throw new FormatError(`Resize '${n.name}' has neither scales nor sizes`, { where });
        g({ kind: 'resize', mode, coord: model.opset < 11 ? 'asymmetric' : coord, nearest: str(a.nearest_mode, 'round_prefer_floor'), scales, sizes, cubic: num(a.cubic_coeff_a, -0.75) });
        break;
      }
      case 'Concat':
        g({ kind: 'concat', axis: num(a.axis, 0) }, n.inputs.filter(Boolean).map(real));
        break;
      case 'Add': case 'Sub': case 'Mul': case 'Div':
        g({ kind: 'binary', fn: n.opType.toLowerCase() as BinaryKind }, [real(n.inputs[0]), real(n.inputs[1])]);
        break;
      case 'Transpose':
        g({ kind: 'transpose', perm: Array.isArray(a.perm) ? (a.perm as number[]) : null });
        break;
      case 'Reshape':
        g({ kind: 'reshape', shape: tensorValues(constOf(n.inputs[1], 'shape', n)), allowzero: num(a.allowzero, 0) === 1 });
        break;
      case 'ArgMax':
        g({ kind: 'argmax', axis: num(a.axis, 0), keepdims: num(a.keepdims, 1) === 1, selectLast: num(a.select_last_index, 0) === 1 });
        intValues.add(out);
        break;
      default:
        throw new UnsupportedOpError([n.opType], { where });
    }
  }
  // Graph outputs that are aliases (Identity → output): add an explicit alias node.
  for (const o of graphOutputs) {
    if (alias.has(o)) nodes.push({ name: `identity:${o}`, source: ['Identity'], op: { kind: 'reshape', shape: [], allowzero: false }, inputs: [real(o)], output: o });
  }
  const inputNames = new Set(model.inputs.map((i) => i.name));
  const ordered = topoSort(nodes, inputNames, new Set(consts.keys()));
  const fused = { batchNormFolded: 0, activationsFused: 0, identities: identities.n };
  const outSet = new Set(graphOutputs);
  const final = fuse(ordered, outSet, fused);
  // Constant operands used as tensors.
  const constants = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const n of final) for (const i of n.inputs) {
    const c = consts.get(i);
    if (c && !inputNames.has(i)) constants.set(i, { dims: c.dims, data: tensorF32(c) });
  }
  for (const o of graphOutputs) if (!final.some((n) => n.output === o) && !inputNames.has(o)) {
    throw new FormatError(`graph output '${o}' is not produced by any node`, { where });
  }
  return { nodes: final, inputs: model.inputs.map((i) => ({ name: i.name, dims: i.dims })), outputs: graphOutputs, constants, intValues, opset: model.opset, fused };
}

function topoSort(nodes: GNode[], inputs: Set<string>, consts: Set<string>): GNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (producer.has(n.output)) throw new FormatError(`value '${n.output}' is produced twice`, { where: 'prepareGraph' });
    producer.set(n.output, i);
  });
  const indeg = nodes.map(() => 0);
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const v of n.inputs) {
      const p = producer.get(v);
      if (p !== undefined) { indeg[i]++; users[p].push(i); }
      else if (!inputs.has(v) && !consts.has(v)) throw new FormatError(`node '${n.name}' reads '${v}', which no node, input or initializer defines`, { where: 'prepareGraph' });
    }
  });
  const ready = indeg.map((d, i) => (d === 0 ? i : -1)).filter((i) => i >= 0);
  const out: GNode[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    out.push(nodes[i]);
    for (const u of users[i]) if (--indeg[u] === 0) ready.push(u);
  }
  if (out.length !== nodes.length) throw new FormatError('the graph has a cycle', { where: 'prepareGraph' });
  return out;
}

/** BN → Conv folding and Conv + activation fusion (only when the Conv's sole consumer is that node). */
function fuse(nodes: GNode[], outputs: Set<string>, stats: PreparedGraph['fused']): GNode[] {
  const consumers = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const byInput = new Map<string, GNode>();
  for (const n of nodes) if (n.inputs.length === 1) byInput.set(n.inputs[0], n);
  const removed = new Set<GNode>();
  const result: GNode[] = [];
  for (const n of nodes) {
    if (removed.has(n)) continue;
    if (n.op.kind === 'conv' || n.op.kind === 'convT') {
      let cur: GNode = { ...n, op: { ...n.op } as Op, source: [...n.source] };
      const op = cur.op as Extract<Op, { kind: 'conv' | 'convT' }>;
      const sole = (v: string) => (consumers.get(v) ?? 0) === 1 && !outputs.has(v) ? byInput.get(v) : undefined;
      let next = sole(cur.output);
      if (next && next.op.kind === 'affine' && op.act.kind === 'none') {
        const { scale, shift } = next.op;
        const w = op.w.slice(), b = op.b.slice();
        const ocN = b.length;
        if (scale.length === ocN) {
          if (op.kind === 'conv') {
            const per = w.length / ocN;
            for (let oc = 0; oc < ocN; oc++) for (let j = 0; j < per; j++) w[oc * per + j] *= scale[oc];
          } else {
            // ConvTranspose weights are [Cin, Cout/group, k…]
            const [cin, cog] = op.wDims;
            const per = w.length / (cin * cog);
            for (let ic = 0; ic < cin; ic++) for (let o = 0; o < cog; o++) {
              const oc = Math.floor(ic / (cin / op.group)) * cog + o;
              for (let j = 0; j < per; j++) w[(ic * cog + o) * per + j] *= scale[oc];
            }
          }
          for (let oc = 0; oc < ocN; oc++) b[oc] = b[oc] * scale[oc] + shift[oc];
          op.w = w; op.b = b;
          cur.output = next.output; cur.source.push(...next.source);
          removed.add(next); stats.batchNormFolded++;
          next = sole(cur.output);
        }
      }
      if (next && next.op.kind === 'unary' && op.act.kind === 'none') {
        op.act = next.op.act;
        cur.output = next.output; cur.source.push(...next.source);
        removed.add(next); stats.activationsFused++;
      }
      cur = { ...cur, op };
      result.push(cur);
    } else result.push(n);
  }
  return result;
}

// ------------------------------------------------------------------ shapes and memory plan

export interface PlannedNode extends GNode {
  inDims: number[][];
  outDims: number[];
  /** Resolved per-op shape facts (padding after auto_pad, resize scales…). */
  resolved: Record<string, number[]>;
}

export interface MemoryPlan {
  /** Slot sizes in bytes. */
  slots: number[];
  /** Value → slot index. */
  slotOf: Map<string, number>;
  /** Sum of slot sizes: device bytes for activations (inputs and outputs included). */
  peakBytes: number;
  /** Bytes of constant operands kept on the device. */
  constantBytes: number;
  /** Sum of the sizes of all values (what allocating every value separately would take). */
  naiveBytes: number;
}

export interface GraphPlan {
  nodes: PlannedNode[];
  dims: Map<string, number[]>;
  memory: MemoryPlan;
  /** Largest single value in bytes (must fit a storage binding). */
  largestValueBytes: number;
}

const prod = (d: number[]) => d.reduce((a, b) => a * b, 1);

function broadcast(a: number[], b: number[], where: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ShapeError(`cannot broadcast [${a}] with [${b}]`, { where });
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Pads for auto_pad SAME_UPPER/SAME_LOWER/VALID, else the explicit pads. */
function resolvePads(autoPad: string, inSp: number[], k: number[], s: number[], d: number[], pads: number[], transpose = false): number[] {
  const sp = inSp.length;
  if (autoPad === 'VALID') return Array(2 * sp).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') return pads;
  const p = Array(2 * sp).fill(0);
  for (let i = 0; i < sp; i++) {
    const ek = (k[i] - 1) * d[i] + 1;
    const total = transpose ? Math.max(0, s[i] * (inSp[i] - 1) + ek - inSp[i] * s[i]) : Math.max(0, (Math.ceil(inSp[i] / s[i]) - 1) * s[i] + ek - inSp[i]);
    const small = Math.floor(total / 2), big = total - small;
    if (autoPad === 'SAME_UPPER') { p[i] = small; p[i + sp] = big; } else { p[i] = big; p[i + sp] = small; }
  }
  return p;
}

function inferNode(n: GNode, ins: number[][], opset: number): { out: number[]; resolved: Record<string, number[]> } {
  const where = `planGraph: ${n.name} (${n.source.join('+')})`;
  const x = ins[0];
  const op = n.op;
  const resolved: Record<string, number[]> = {};
  switch (op.kind) {
    case 'conv': {
      const sp = op.wDims.length - 2;
      if (x.length !== sp + 2) throw new ShapeError(`Conv input rank ${x.length}, weight rank ${op.wDims.length}`, { where });
      if (x[1] !== op.wDims[1] * op.group) throw new ShapeError(`Conv input has ${x[1]} channels, weight expects ${op.wDims[1] * op.group}`, { where });
      const k = op.wDims.slice(2);
      const pads = resolvePads(op.autoPad, x.slice(2), k, op.strides, op.dilations, op.pads);
      resolved.pads = pads;
      const out = [x[0], op.wDims[0]];
      for (let i = 0; i < sp; i++) {
        const o = Math.floor((x[2 + i] + pads[i] + pads[i + sp] - ((k[i] - 1) * op.dilations[i] + 1)) / op.strides[i]) + 1;
        if (o < 1) throw new ShapeError(`Conv output axis ${i} would be ${o}`, { where });
        out.push(o);
      }
      return { out, resolved };
    }
    case 'convT': {
      const sp = op.wDims.length - 2;
      if (x.length !== sp + 2 || x[1] !== op.wDims[0]) throw new ShapeError(`ConvTranspose input [${x}] vs weight [${op.wDims}]`, { where });
      const k = op.wDims.slice(2);
      let pads = op.pads;
      const out = [x[0], op.wDims[1] * op.group];
      if (op.outputShape) {
        const os = op.outputShape.slice(-sp);
        pads = Array(2 * sp).fill(0);
        for (let i = 0; i < sp; i++) {
          const total = op.strides[i] * (x[2 + i] - 1) + op.outputPadding[i] + (k[i] - 1) * op.dilations[i] + 1 - os[i];
          const small = Math.floor(total / 2);
          if (op.autoPad === 'SAME_LOWER') { pads[i] = total - small; pads[i + sp] = small; } else { pads[i] = small; pads[i + sp] = total - small; }
        }
        out.push(...os);
      } else {
        if (op.autoPad === 'SAME_UPPER' || op.autoPad === 'SAME_LOWER') {
          pads = Array(2 * sp).fill(0);
          for (let i = 0; i < sp; i++) {
            const total = Math.max(0, op.strides[i] * (x[2 + i] - 1) + op.outputPadding[i] + (k[i] - 1) * op.dilations[i] + 1 - x[2 + i] * op.strides[i]);
            const small = Math.floor(total / 2);
            if (op.autoPad === 'SAME_UPPER') { pads[i] = small; pads[i + sp] = total - small; } else { pads[i] = total - small; pads[i + sp] = small; }
          }
        } else if (op.autoPad === 'VALID') pads = Array(2 * sp).fill(0);
        for (let i = 0; i < sp; i++) out.push(op.strides[i] * (x[2 + i] - 1) + op.outputPadding[i] + (k[i] - 1) * op.dilations[i] + 1 - pads[i] - pads[i + sp]);
      }
      resolved.pads = pads;
      return { out, resolved };
    }
    case 'affine':
      if (x[1] !== op.scale.length) throw new ShapeError(`BatchNormalization has ${op.scale.length} channels, input [${x}]`, { where });
      return { out: x.slice(), resolved };
    case 'instnorm':
      if (x.length < 3 || x[1] !== op.scale.length) throw new ShapeError(`InstanceNormalization has ${op.scale.length} channels, input [${x}] (needs [N, C, spatial…])`, { where });
      return { out: x.slice(), resolved };
    case 'unary':
      return { out: x.slice(), resolved };
    case 'softmax': {
      const axis = op.axis < 0 ? op.axis + x.length : op.axis;
      if (axis < 0 || axis >= x.length) throw new ArgumentError(`Softmax axis ${op.axis} out of range for rank ${x.length}`, { where });
      resolved.axis = [axis];
      return { out: x.slice(), resolved };
    }
    case 'pool': {
      const sp = op.kernel.length;
      if (x.length !== sp + 2) throw new ShapeError(`pool kernel rank ${sp}, input [${x}]`, { where });
      const pads = resolvePads(op.autoPad, x.slice(2), op.kernel, op.strides, op.dilations, op.pads);
      resolved.pads = pads;
      const out = [x[0], x[1]];
      for (let i = 0; i < sp; i++) {
        const ek = (op.kernel[i] - 1) * op.dilations[i] + 1;
        const span = x[2 + i] + pads[i] + pads[i + sp] - ek;
        let o = (op.ceil ? Math.ceil(span / op.strides[i]) : Math.floor(span / op.strides[i])) + 1;
        // ceil mode: the last window must start inside the input or left padding
        if (op.ceil && (o - 1) * op.strides[i] >= x[2 + i] + pads[i]) o--;
        out.push(o);
      }
      return { out, resolved };
    }
    case 'resize': {
      let scales: number[];
      let out: number[];
      if (op.sizes) {
        if (op.sizes.length !== x.length) throw new ShapeError(`Resize sizes [${op.sizes}] vs input rank ${x.length}`, { where });
        out = op.sizes.slice();
        scales = out.map((o, i) => o / x[i]);
      } else {
        scales = op.scales!;
        if (scales.length !== x.length) throw new ShapeError(`Resize scales [${scales}] vs input rank ${x.length}`, { where });
        out = x.map((d, i) => Math.floor(d * scales[i]));
      }
      if (out[0] !== x[0] || out[1] !== x[1] || x.length > 5 || x.length < 3) {
        throw new ShapeError(`Resize supports N and C unchanged on 3-D to 5-D tensors, got [${x}] → [${out}]`, { where });
      }
      resolved.scales = scales;
      return { out, resolved };
    }
    case 'concat': {
      const axis = op.axis < 0 ? op.axis + x.length : op.axis;
      const out = x.slice();
      out[axis] = 0;
      for (const d of ins) {
        if (d.length !== x.length || d.some((v, i) => i !== axis && v !== x[i])) throw new ShapeError(`Concat inputs [${x}] and [${d}] differ off axis ${axis}`, { where });
        out[axis] += d[axis];
      }
      resolved.axis = [axis];
      return { out, resolved };
    }
    case 'binary':
      return { out: broadcast(ins[0], ins[1], where), resolved };
    case 'transpose': {
      const perm = op.perm ?? x.map((_, i) => x.length - 1 - i);
      if (perm.length !== x.length || [...perm].sort().some((v, i) => v !== i)) throw new ShapeError(`Transpose perm [${perm}] for rank ${x.length}`, { where });
      resolved.perm = perm;
      return { out: perm.map((p) => x[p]), resolved };
    }
    case 'reshape': {
      if (n.source[0] === 'Identity') return { out: x.slice(), resolved };
      const total = prod(x);
      const out = op.shape.map((s, i) => (s === 0 && !op.allowzero ? x[i] : s));
      const neg = out.indexOf(-1);
      if (neg >= 0) out[neg] = total / prod(out.filter((_, i) => i !== neg));
      if (prod(out) !== total || out.some((v) => !Number.isInteger(v) || v < 0)) throw new ShapeError(`cannot reshape [${x}] to [${op.shape}]`, { where });
      return { out, resolved };
    }
    case 'argmax': {
      const axis = op.axis < 0 ? op.axis + x.length : op.axis;
      resolved.axis = [axis];
      const out = op.keepdims ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis);
      return { out, resolved };
    }
  }
  void opset;
  throw new ArgumentError('unknown op', { where });
}

/** Shapes and buffer plan for concrete input dims. */
export function planGraph(g: PreparedGraph, inputDims: Record<string, number[]>): GraphPlan {
  const dims = new Map<string, number[]>();
  for (const i of g.inputs) {
    const d = inputDims[i.name];
    if (!d) throw new ArgumentError(`missing input '${i.name}'`, { where: 'planGraph', hint: `Pass inputs for ${g.inputs.map((x) => `'${x.name}'`).join(', ')}.` });
    // Rank and channel axis must match the declaration; batch and spatial sizes are free (fully
    // convolutional networks run on crops and tiles; shape inference rejects what an op cannot take).
    if (i.dims && (i.dims.length !== d.length || (d.length >= 2 && typeof i.dims[1] === 'number' && i.dims[1] > 0 && i.dims[1] !== d[1]))) {
      throw new ShapeError(`input '${i.name}' has dims [${d}], the model declares [${i.dims}]`, { where: 'planGraph' });
    }
    dims.set(i.name, d.slice());
  }
  for (const [k, c] of g.constants) dims.set(k, c.dims);
  const nodes: PlannedNode[] = g.nodes.map((n) => {
    const ins = n.inputs.map((v) => dims.get(v)!);
    const { out, resolved } = inferNode(n, ins, g.opset);
    dims.set(n.output, out);
    return { ...n, inDims: ins, outDims: out, resolved };
  });
  // ---- liveness: storage roots (reshape aliases share their input's storage)
  const root = new Map<string, string>();
  const rootOf = (v: string): string => root.get(v) ?? v;
  for (const n of nodes) if (n.op.kind === 'reshape') root.set(n.output, rootOf(n.inputs[0]));
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(rootOf(v), i)));
  for (const o of g.outputs) lastUse.set(rootOf(o), Infinity);
  const bytes = (v: string) => prod(dims.get(v)!) * 4;
  const slots: number[] = [];
  const slotOf = new Map<string, number>();
  const free: number[] = [];
  let naive = 0, largest = 0;
  const alloc = (v: string) => {
    const b = Math.max(4, bytes(v));
    naive += b; largest = Math.max(largest, b);
    // best fit among free slots; else grow the largest free slot; else a new slot
    let best = -1;
    for (const s of free) if (slots[s] >= b && (best < 0 || slots[s] < slots[best])) best = s;
    if (best < 0 && free.length) { best = free.reduce((a, s) => (slots[s] > slots[a] ? s : a), free[0]); slots[best] = b; }
    if (best < 0) { slots.push(b); best = slots.length - 1; } else free.splice(free.indexOf(best), 1);
    slotOf.set(v, best);
  };
  for (const i of g.inputs) alloc(i.name);
  const release = (v: string, i: number) => {
    if (lastUse.get(v) === i && slotOf.has(v) && !g.constants.has(v)) free.push(slotOf.get(v)!);
  };
  // inputs never read
  for (const i of g.inputs) if (!lastUse.has(i.name)) free.push(slotOf.get(i.name)!);
  nodes.forEach((n, i) => {
    if (n.op.kind === 'reshape') slotOf.set(n.output, slotOf.get(rootOf(n.inputs[0])) ?? -1);
    else alloc(n.output);
    const seen = new Set<string>();
    for (const v of n.inputs) {
      const r = rootOf(v);
      if (!seen.has(r)) { seen.add(r); release(r, i); }
    }
    const r = rootOf(n.output);
    if (!lastUse.has(r) && slotOf.has(r) && n.op.kind !== 'reshape') free.push(slotOf.get(r)!); // dead value
  });
  let constantBytes = 0;
  for (const c of g.constants.values()) constantBytes += Math.max(4, c.data.length * 4);
  for (const [k] of g.constants) largest = Math.max(largest, bytes(k));
  return { nodes, dims, memory: { slots, slotOf, peakBytes: slots.reduce((a, b) => a + b, 0), constantBytes, naiveBytes: naive }, largestValueBytes: largest };
}

void DataType;
