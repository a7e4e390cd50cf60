import {
  AttributeProto_AttributeType as AttrType,
  type AttributeProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { StudioError } from '../errors';
import { dataTypeName, readTensor, type HostTensor } from './tensor';

export interface ValueShape {
  name: string;
  elemType: string;
  /** A number for a fixed dimension, a string for a named (dynamic) one, null when unknown. */
  dims: (number | string | null)[];
}

export interface ConstantSource {
  tensor: TensorProto;
  /** Where the tensor lives: a graph initializer or the `value` of a `Constant` node. */
  from: 'initializer' | 'constant';
}

/** A read-only view of a model's main graph with the lookups the studio needs. */
export class GraphView {
  readonly nodes: NodeProto[];
  readonly inputs: ValueShape[];
  readonly outputs: ValueShape[];
  readonly valueInfo = new Map<string, ValueShape>();
  readonly constants = new Map<string, ConstantSource>();
  readonly producers = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly opsets: { domain: string; version: number }[];

  constructor(readonly model: ModelProto) {
    const graph = model.graph;
    if (!graph) throw new StudioError('OnnxFormatError', 'The model has no graph.');
    for (const t of graph.initializer) this.constants.set(t.name, { tensor: t, from: 'initializer' });
    for (const node of graph.node) {
      if (node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
        const value = node.attribute.find((a) => a.name === 'value' && a.t);
        if (value?.t && node.output[0]) this.constants.set(node.output[0], { tensor: value.t, from: 'constant' });
      }
      for (const out of node.output) if (out) this.producers.set(out, node);
      for (const inp of node.input) {
        if (!inp) continue;
        const list = this.consumers.get(inp) ?? [];
        list.push(node);
        this.consumers.set(inp, list);
      }
    }
    this.nodes = topologicalOrder(graph.node, new Set([...graph.input.map((i) => i.name), ...this.constants.keys()]));
    // Initializers may also be listed as graph inputs (IR < 4); they are not the model's real inputs.
    this.inputs = graph.input.filter((i) => !this.constants.has(i.name)).map(shapeOf);
    this.outputs = graph.output.map(shapeOf);
    for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) this.valueInfo.set(v.name, shapeOf(v));
    this.opsets = model.opsetImport.map((o) => ({ domain: o.domain || 'ai.onnx', version: Number(o.version) }));
  }

  /** The opset of the default ONNX domain. */
  get opset(): number {
    return this.opsets.find((o) => o.domain === 'ai.onnx')?.version ?? 0;
  }

  constantTensor(name: string): HostTensor | null {
    const source = this.constants.get(name);
    return source ? readTensor(source.tensor) : null;
  }

  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
    return counts;
  }
}

function shapeOf(v: ValueInfoProto): ValueShape {
  const type = v.type?.value;
  if (type?.case !== 'tensorType') return { name: v.name, elemType: 'unknown', dims: [] };
  const dims = (type.value.shape?.dim ?? []).map((d) =>
    d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null,
  );
  return { name: v.name, elemType: dataTypeName(type.value.elemType), dims };
}

/** Kahn's algorithm; exporters usually emit nodes in order already, but ONNX does not require it. */
export function topologicalOrder(nodes: NodeProto[], available: Set<string>): NodeProto[] {
  const ready = new Set(available);
  const pending = [...nodes];
  const ordered: NodeProto[] = [];
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = 0; i < pending.length;) {
      const node = pending[i];
      if (node.input.every((name) => name === '' || ready.has(name))) {
        ordered.push(node);
        for (const out of node.output) ready.add(out);
        pending.splice(i, 1);
      } else i++;
    }
    if (pending.length === before) {
      const stuck = pending[0];
      const missing = stuck.input.find((name) => name !== '' && !ready.has(name));
      throw new StudioError(
        'OnnxFormatError',
        `Node "${stuck.name || stuck.opType}" reads "${missing}", which no node, input or initializer produces ` +
          `(or the graph has a cycle). The model is malformed; re-export it.`,
      );
    }
  }
  return ordered;
}

export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && (a.type === AttrType.INT || a.type === AttrType.UNDEFINED) ? Number(a.i) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && (a.type === AttrType.FLOAT || a.type === AttrType.UNDEFINED) ? a.f : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a && a.ints.length > 0 ? a.ints.map(Number) : undefined;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = attr(node, name);
  return a ? new TextDecoder().decode(a.s) : fallback;
}
