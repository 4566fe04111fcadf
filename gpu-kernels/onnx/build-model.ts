/**
 * Builds small ONNX models in memory (protobufjs encode with our schema) — used by the tests to
 * make single-op models that onnxruntime and this engine both run. Isomorphic.
 */
import { AttributeType, DataType, encodeModelProto } from './proto';

export type AttrSpec = number | number[] | string | { f: number } | { floats: number[] } | { i: number };
export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrSpec>; domain?: string; name?: string }
export interface InitSpec { name: string; dims: number[]; data: ArrayLike<number>; type?: 'float' | 'int64'; encoding?: 'raw' | 'typed' }
export interface ModelSpec {
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims?: (number | string)[]; type?: 'float' | 'int64' }[];
  nodes: NodeSpec[];
  initializers?: InitSpec[];
  opset?: number;
}

function attr(name: string, v: AttrSpec): object {
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if ('f' in v) return { name, type: AttributeType.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.INT, i: v.i };
}

function tensor(t: InitSpec): object {
  const isInt = t.type === 'int64';
  if (t.encoding === 'typed') {
    return isInt
      ? { name: t.name, dims: t.dims, dataType: DataType.INT64, int64Data: Array.from(t.data) }
      : { name: t.name, dims: t.dims, dataType: DataType.FLOAT, floatData: Array.from(t.data) };
  }
  const raw = isInt ? new Uint8Array(BigInt64Array.from(Array.from(t.data), (v) => BigInt(v)).buffer) : new Uint8Array(Float32Array.from(t.data).buffer);
  return { name: t.name, dims: t.dims, dataType: isInt ? DataType.INT64 : DataType.FLOAT, rawData: raw };
}

function valueInfo(name: string, dims: (number | string)[] | undefined, type: 'float' | 'int64' = 'float'): object {
  return {
    name,
    type: { tensorType: { elemType: type === 'int64' ? DataType.INT64 : DataType.FLOAT, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } : {}) } },
  };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  return encodeModelProto({
    irVersion: 8,
    producerName: 'tessera-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({
        input: n.inputs, output: n.outputs, name: n.name ?? `${n.op}_${i}`, opType: n.op, domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensor),
      input: spec.inputs.map((i) => valueInfo(i.name, i.dims)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.dims, o.type)),
    },
  });
}
