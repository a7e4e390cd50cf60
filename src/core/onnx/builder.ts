import { create } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttrType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { DataType } from './tensor';

export type AttrValue = number | number[] | string | TensorProto | { float: number };

export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'string')
    return create(AttributeProtoSchema, { name, type: AttrType.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'number') return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(value) });
  if (Array.isArray(value)) return create(AttributeProtoSchema, { name, type: AttrType.INTS, ints: value.map(BigInt) });
  if ('float' in value) return create(AttributeProtoSchema, { name, type: AttrType.FLOAT, f: value.float });
  return create(AttributeProtoSchema, { name, type: AttrType.TENSOR, t: value });
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttrValue> = {},
  name = '',
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input: inputs,
    output: outputs,
    name,
    attribute: Object.entries(attributes).map(([k, v]) => makeAttribute(k, v)),
  });
}

/** A typed value; `dims` null leaves the shape unknown (any rank). */
export function makeValueInfo(
  name: string,
  dims: (number | string)[] | null,
  elemType: DataType = DataType.FLOAT,
): ValueInfoProto {
  const dim = (dims ?? []).map((d) =>
    create(TensorShapeProto_DimensionSchema, {
      value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
    }),
  );
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, { elemType, ...(dims ? { shape: create(TensorShapeProtoSchema, { dim }) } : {}) }),
      },
    }),
  });
}

export interface GraphSpec {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  opset?: number;
  name?: string;
  producer?: string;
}

export function makeModel(spec: GraphSpec): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: spec.producer ?? 'bit-split-studio',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(spec.opset ?? 13) })],
    graph: create(GraphProtoSchema, {
      name: spec.name ?? 'graph',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
    }),
  });
}
