/**
 * The ONNX protobuf schema (the subset of onnx.proto3 a model runner needs) as a protobufjs JSON
 * descriptor, and decode / encode helpers. Field numbers follow onnx/onnx.proto3 exactly, so files
 * written by PyTorch, onnx.helper or onnxruntime decode here and files we encode load in onnxruntime.
 * Unknown fields (training info, functions, sparse tensors…) are skipped by protobufjs.
 */
import * as protobuf from 'protobufjs/light.js';

const rep = (type: string, id: number, packed?: boolean) => ({ rule: 'repeated', type, id, ...(packed === undefined ? {} : { options: { packed } }) });

export const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            refAttrName: { type: 'string', id: 21 },
            docString: { type: 'string', id: 13 },
            type: { type: 'AttributeType', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            tp: { type: 'TypeProto', id: 14 },
            floats: rep('float', 7),
            ints: rep('int64', 8),
            strings: rep('bytes', 9),
            tensors: rep('TensorProto', 10),
            graphs: rep('GraphProto', 11),
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11, TYPE_PROTO: 13,
                FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12, TYPE_PROTOS: 14,
              },
            },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, docString: { type: 'string', id: 3 } } },
        NodeProto: {
          fields: {
            input: rep('string', 1),
            output: rep('string', 2),
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: rep('AttributeProto', 5),
            docString: { type: 'string', id: 6 },
          },
        },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: rep('OperatorSetIdProto', 8),
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: rep('StringStringEntryProto', 14),
          },
        },
        GraphProto: {
          fields: {
            node: rep('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: rep('TensorProto', 5),
            docString: { type: 'string', id: 10 },
            input: rep('ValueInfoProto', 11),
            output: rep('ValueInfoProto', 12),
            valueInfo: rep('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: rep('int64', 1),
            dataType: { type: 'int32', id: 2 },
            floatData: rep('float', 4, true),
            int32Data: rep('int32', 5, true),
            stringData: rep('bytes', 6),
            int64Data: rep('int64', 7, true),
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            externalData: rep('StringStringEntryProto', 13),
            dataLocation: { type: 'int32', id: 14 },
            doubleData: rep('double', 10, true),
            uint64Data: rep('uint64', 11, true),
          },
          nested: {
            DataType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
                FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
              },
            },
          },
        },
        TensorShapeProto: {
          fields: { dim: rep('Dimension', 1) },
          nested: { Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 }, denotation: { type: 'string', id: 3 } } } },
        },
        TypeProto: {
          fields: { tensorType: { type: 'Tensor', id: 1 }, denotation: { type: 'string', id: 6 } },
          nested: { Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } } },
        },
      },
    },
  },
};

/** ONNX TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

/** ONNX AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9 } as const;

let root: protobuf.Root | null = null;
function schemaRoot(): protobuf.Root {
  if (!root) root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  return root;
}

/** The protobufjs message type `onnx.<name>` (ModelProto, GraphProto, TensorProto, …). */
export function onnxType(name: string): protobuf.Type {
  return schemaRoot().lookupType(`onnx.${name}`);
}

/** int64 as decoded by protobufjs (number or Long) → number (exact up to 2^53). */
export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number; unsigned?: boolean };
    const hi = l.unsigned ? l.high >>> 0 : l.high;
    return hi * 4294967296 + (l.low >>> 0);
  }
  if (typeof v === 'string') return Number(v);
  return 0;
}

// ---- plain-object shapes of decoded messages (camelCase, as protobufjs decodes) ----
export interface TensorProtoMsg {
  dims?: unknown[]; dataType?: number; floatData?: number[]; int32Data?: number[]; int64Data?: unknown[]; doubleData?: number[];
  uint64Data?: unknown[]; name?: string; rawData?: Uint8Array; dataLocation?: number; externalData?: { key?: string; value?: string }[];
}
export interface AttributeProtoMsg {
  name?: string; type?: number; f?: number; i?: unknown; s?: Uint8Array; t?: TensorProtoMsg; floats?: number[]; ints?: unknown[]; strings?: Uint8Array[];
  g?: unknown;
}
export interface NodeProtoMsg { input?: string[]; output?: string[]; name?: string; opType?: string; domain?: string; attribute?: AttributeProtoMsg[] }
export interface ValueInfoProtoMsg {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: unknown; dimParam?: string }[] } } };
}
export interface GraphProtoMsg { node?: NodeProtoMsg[]; name?: string; initializer?: TensorProtoMsg[]; input?: ValueInfoProtoMsg[]; output?: ValueInfoProtoMsg[]; valueInfo?: ValueInfoProtoMsg[] }
export interface ModelProtoMsg { irVersion?: unknown; opsetImport?: { domain?: string; version?: unknown }[]; producerName?: string; graph?: GraphProtoMsg }

export function decodeModelProto(bytes: Uint8Array): ModelProtoMsg {
  return onnxType('ModelProto').decode(bytes) as unknown as ModelProtoMsg;
}

/** Encodes a plain ModelProto object (as the test model builders make). */
export function encodeModelProto(msg: object): Uint8Array {
  const T = onnxType('ModelProto');
  return T.encode(T.fromObject(msg)).finish();
}
