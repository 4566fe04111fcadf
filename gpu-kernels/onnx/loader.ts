/**
 * ONNX loader: bytes → `OnnxModel` (nodes, attributes, initializers as typed arrays, graph inputs
 * and outputs with their declared shapes). Malformed files throw `FormatError` (FORMAT_INVALID) or
 * `TruncatedError`; external data and unsupported tensor types throw `UnsupportedFormatError`.
 */
import { FormatError, TruncatedError, UnsupportedFormatError } from '../../lib/errors';
import {
  AttributeType, DataType, decodeModelProto, toNum,
  type AttributeProtoMsg, type NodeProtoMsg, type TensorProtoMsg, type ValueInfoProtoMsg,
} from './proto';

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | BigUint64Array;

/** A constant tensor (initializer, Constant node or tensor attribute). */
export interface ConstTensor {
  name: string;
  dims: number[];
  /** ONNX data type (TensorProto.DataType). FLOAT16 is widened to FLOAT on load. */
  dataType: number;
  data: TensorData;
}

export type AttrValue = number | number[] | string | string[] | ConstTensor;

export interface OnnxNode {
  opType: string;
  /** '' (default, ai.onnx) or another domain. */
  domain: string;
  name: string;
  /** Input names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** Declared dims: a number, a symbolic name, or null when unknown. */
  dims: (number | string | null)[] | null;
}

export interface OnnxModel {
  irVersion: number;
  /** Opset version of the default (ai.onnx) domain. */
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  initializers: Map<string, ConstTensor>;
  /** Graph inputs that are not initializers. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

const where = 'loadOnnx';

function product(d: number[]): number {
  return d.reduce((a, b) => a * b, 1);
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const RAW: Record<number, [number, (b: ArrayBuffer, n: number) => TensorData]> = {
  [DataType.FLOAT]: [4, (b, n) => new Float32Array(b, 0, n)],
  [DataType.DOUBLE]: [8, (b, n) => new Float64Array(b, 0, n)],
  [DataType.INT32]: [4, (b, n) => new Int32Array(b, 0, n)],
  [DataType.INT64]: [8, (b, n) => new BigInt64Array(b, 0, n)],
  [DataType.UINT64]: [8, (b, n) => new BigUint64Array(b, 0, n)],
  [DataType.UINT32]: [4, (b, n) => new Uint32Array(b, 0, n)],
  [DataType.UINT8]: [1, (b, n) => new Uint8Array(b, 0, n)],
  [DataType.BOOL]: [1, (b, n) => new Uint8Array(b, 0, n)],
  [DataType.INT8]: [1, (b, n) => new Int8Array(b, 0, n)],
  [DataType.UINT16]: [2, (b, n) => new Uint16Array(b, 0, n)],
  [DataType.INT16]: [2, (b, n) => new Int16Array(b, 0, n)],
  [DataType.FLOAT16]: [2, (b, n) => Float32Array.from(new Uint16Array(b, 0, n), f16ToF32)],
};

/** TensorProto → ConstTensor (raw_data little-endian, or the typed *_data fields). */
export function decodeTensor(t: TensorProtoMsg, ctx = 'tensor'): ConstTensor {
  const name = t.name ?? '';
  const at = `${where}: ${ctx} '${name}'`;
  const dims = (t.dims ?? []).map(toNum);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new FormatError(`tensor has invalid dims [${dims}]`, { where: at });
  const n = product(dims);
  const dt = t.dataType ?? 0;
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new UnsupportedFormatError('tensor data stored in an external file', { where: at, hint: 'Save the model with all tensors inside the .onnx file.' });
  }
  const spec = RAW[dt];
  if (!spec) throw new UnsupportedFormatError(`tensor data type ${dt} is not supported`, { where: at });
  const [size, view] = spec;
  let data: TensorData;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length < n * size) throw new TruncatedError(`raw_data holds ${t.rawData.length} bytes, dims [${dims}] need ${n * size}`, { where: at });
    if (t.rawData.length > n * size) throw new FormatError(`raw_data holds ${t.rawData.length} bytes, dims [${dims}] need ${n * size}`, { where: at });
    const copy = new ArrayBuffer(n * size); // aligned copy (protobuf slices may be unaligned)
    new Uint8Array(copy).set(t.rawData);
    data = view(copy, n);
  } else {
    let src: ArrayLike<number> | unknown[] = [];
    if (dt === DataType.FLOAT) src = t.floatData ?? [];
    else if (dt === DataType.DOUBLE) src = t.doubleData ?? [];
    else if (dt === DataType.INT64) src = t.int64Data ?? [];
    else if (dt === DataType.UINT64 || dt === DataType.UINT32) src = t.uint64Data ?? [];
    else src = t.int32Data ?? []; // int32, int16, int8, uint16, uint8, bool, float16 bits
    if (src.length !== n) {
      const Err = src.length < n ? TruncatedError : FormatError;
      throw new Err(`tensor holds ${src.length} values, dims [${dims}] need ${n}`, { where: at });
    }
    const buf = new ArrayBuffer(Math.max(n * size, 0));
    if (dt === DataType.FLOAT16) {
      data = Float32Array.from(src as number[], (v) => f16ToF32(v));
    } else if (dt === DataType.INT64) {
      const a = new BigInt64Array(buf, 0, n);
      (src as unknown[]).forEach((v, i) => (a[i] = BigInt(toNum(v))));
      data = a;
    } else if (dt === DataType.UINT64) {
      const a = new BigUint64Array(buf, 0, n);
      (src as unknown[]).forEach((v, i) => (a[i] = BigInt(toNum(v))));
      data = a;
    } else {
      const a = view(buf, n) as Exclude<TensorData, BigInt64Array | BigUint64Array>;
      (src as unknown[]).forEach((v, i) => (a[i] = toNum(v)));
      data = a;
    }
  }
  return { name, dims, dataType: dt === DataType.FLOAT16 ? DataType.FLOAT : dt, data };
}

/** Values of a constant as plain numbers (int64 → number). */
export function tensorValues(t: ConstTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Values of a constant as float32. */
export function tensorF32(t: ConstTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(tensorValues(t));
}

const dec = new TextDecoder();

function decodeAttr(a: AttributeProtoMsg, node: string): AttrValue {
  const name = a.name ?? '';
  let type = a.type ?? 0;
  if (!type) {
    // IR < 3 files may omit the type: infer it from the populated field.
    if (a.ints?.length) type = AttributeType.INTS;
    else if (a.floats?.length) type = AttributeType.FLOATS;
    else if (a.strings?.length) type = AttributeType.STRINGS;
    else if (a.t) type = AttributeType.TENSOR;
    else if (a.s?.length) type = AttributeType.STRING;
    else if (a.f !== undefined && a.f !== 0) type = AttributeType.FLOAT;
    else type = AttributeType.INT;
  }
  switch (type) {
    case AttributeType.FLOAT: return a.f ?? 0;
    case AttributeType.INT: return toNum(a.i ?? 0);
    case AttributeType.STRING: return dec.decode(a.s ?? new Uint8Array());
    case AttributeType.TENSOR:
      if (!a.t) throw new FormatError(`tensor attribute '${name}' has no tensor`, { where: `${where}: node '${node}'` });
      return decodeTensor(a.t, `attribute ${name} of node '${node}'`);
    case AttributeType.FLOATS: return (a.floats ?? []).slice();
    case AttributeType.INTS: return (a.ints ?? []).map(toNum);
    case AttributeType.STRINGS: return (a.strings ?? []).map((s) => dec.decode(s));
    default:
      // Graph-valued attributes (If/Loop/Scan) are only on ops we reject as unsupported.
      return '';
  }
}

function valueInfo(v: ValueInfoProtoMsg): ValueInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim ? tt.shape.dim.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? toNum(d.dimValue) : null)) : null;
  return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims };
}

/** Parses an ONNX model file. Throws typed errors for malformed or unsupported files. */
export function loadOnnx(bytes: Uint8Array | ArrayBuffer): OnnxModel {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length === 0) throw new FormatError('empty file is not an ONNX model', { where });
  let m;
  try {
    m = decodeModelProto(u8);
  } catch (cause) {
    const msg = (cause as Error)?.message ?? String(cause);
    const Err = /index out of range|truncated/i.test(msg) ? TruncatedError : FormatError;
    throw new Err(`not a valid ONNX protobuf: ${msg}`, { where, cause, hint: 'Check that the file is a complete .onnx model.' });
  }
  const g = m.graph;
  if (!g || !(g.node?.length || g.output?.length)) {
    throw new FormatError('ONNX model has no graph', { where, hint: 'Check that the file is an .onnx model (ModelProto).' });
  }
  let opset = 0;
  for (const o of m.opsetImport ?? []) if (!o.domain || o.domain === 'ai.onnx') opset = toNum(o.version);
  if (!opset) opset = 1;
  const initializers = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) {
    const c = decodeTensor(t, 'initializer');
    if (!c.name) throw new FormatError('initializer without a name', { where });
    initializers.set(c.name, c);
  }
  const nodes: OnnxNode[] = (g.node ?? []).map((n: NodeProtoMsg, i) => {
    const name = n.name || `${n.opType ?? '?'}_${i}`;
    if (!n.opType) throw new FormatError(`node ${i} has no op_type`, { where });
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ''] = decodeAttr(a, name);
    return { opType: n.opType, domain: n.domain && n.domain !== 'ai.onnx' ? n.domain : '', name, inputs: (n.input ?? []).slice(), outputs: (n.output ?? []).slice(), attrs };
  });
  const inputs = (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo);
  const outputs = (g.output ?? []).map(valueInfo);
  if (outputs.length === 0) throw new FormatError('ONNX graph declares no outputs', { where });
  return { irVersion: toNum(m.irVersion), opset, producer: m.producerName ?? '', nodes, initializers, inputs, outputs };
}
