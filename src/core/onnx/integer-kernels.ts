import type { ModelProto, NodeProto } from 'onnx-buf';
import { DataType } from './tensor';

/**
 * What onnxruntime's CPU execution provider (native, or wasm in the browser) makes of each quantized
 * layer of a QDQ file: an integer kernel (QLinearConv, QGemm, MatMulIntegerToFloat, QLinearMatMul), or the
 * float layer after dequantizing its weights. Read from the file by the rules of onnxruntime's QDQ node-unit
 * selectors, which its graph optimizations (level 'extended' and above) apply:
 *  - the layer's input comes from a per-tensor DequantizeLinear of 8-bit values (a model input, per-channel
 *    grids or 16-bit activations stay float);
 *  - its weight comes from a DequantizeLinear of an int8 or uint8 initializer (int4 weights are dequantized);
 *  - Conv also needs its output quantized again: it must go, straight or through a Relu or Clip that the
 *    QuantizeLinear absorbs, to QuantizeLinear nodes only (int8 or uint8: onnxruntime makes both uint8 first).
 *    Gemm and MatMul may give float outputs, except a 2-D MatMul followed by a constant bias Add, which
 *    onnxruntime first fuses with it into a Gemm whose float bias needs the sum quantized again.
 */
export interface LayerKernel {
  name: string;
  op: 'Conv' | 'Gemm' | 'MatMul';
  /** The node onnxruntime quantizes: the layer's own, or the Gemm it first makes of a MatMul and its bias Add. */
  runsAs: 'Conv' | 'Gemm' | 'MatMul';
  integer: boolean;
  /** Why it is dequantized instead; absent for an integer kernel. */
  why?: string;
}

const EIGHT_BIT = new Set<number>([DataType.INT8, DataType.UINT8]);
const ABSORBED = new Set(['Relu', 'Clip']);
const CLIPS = new Set(['Max', 'Min', 'Clip']);
/** Ops that keep their input's rank. */
const PASS_THROUGH = new Set([
  'DequantizeLinear',
  'QuantizeLinear',
  'Relu',
  'Clip',
  'Max',
  'Min',
  'Sigmoid',
  'HardSigmoid',
  'Mul',
  'Add',
]);

export function integerKernels(model: ModelProto): LayerKernel[] {
  const graph = model.graph!;
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node) {
    for (const o of node.output) producer.set(o, node);
    for (const i of node.input) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  }
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const elementType = (name: string): number | undefined => initializers.get(name)?.dataType;
  const isScalar = (name: string | undefined) => {
    const t = name === undefined ? undefined : initializers.get(name);
    return t !== undefined && t.dims.reduce((a, b) => a * Number(b), 1) === 1;
  };
  /** The type a QuantizeLinear writes: its zero point's (uint8 without one). */
  const quantizedType = (q: NodeProto) => (q.input[2] ? elementType(q.input[2]) : DataType.UINT8);

  const activationProblem = (input: string): string | undefined => {
    let dq = producer.get(input);
    // Folded per-channel grids reach the layer through their clip (Max, Min) after the DequantizeLinear.
    for (let step = 0; step < 3 && dq && CLIPS.has(dq.opType); step++) dq = producer.get(dq.input[0]);
    if (dq?.opType !== 'DequantizeLinear') return 'its input is not quantized';
    if (dq !== producer.get(input) || !isScalar(dq.input[1]) || (dq.input[2] && !isScalar(dq.input[2]))) {
      return 'its input has one grid per channel, which integer kernels do not take';
    }
    const q = producer.get(dq.input[0]);
    const type = q?.opType === 'QuantizeLinear' ? quantizedType(q) : elementType(dq.input[0]);
    return type !== undefined && EIGHT_BIT.has(type) ? undefined : 'its input is not 8-bit';
  };
  const weightProblem = (input: string): string | undefined => {
    const dq = producer.get(input);
    if (dq?.opType !== 'DequantizeLinear') return 'its weight is float';
    const type = elementType(dq.input[0]);
    return type !== undefined && EIGHT_BIT.has(type) ? undefined : 'its weight is int4, dequantized before the layer';
  };
  /** The QuantizeLinear nodes the output goes to (straight, or through a Relu or Clip they absorb); null if it goes elsewhere. */
  const outputQuantizers = (output: string): NodeProto[] | null => {
    if (graphOutputs.has(output)) return null;
    const next = consumers.get(output) ?? [];
    if (next.length === 1 && ABSORBED.has(next[0].opType)) return outputQuantizers(next[0].output[0]);
    return next.length > 0 && next.every((n) => n.opType === 'QuantizeLinear') ? next : null;
  };
  const constant = (name: string) => initializers.has(name) || producer.get(name)?.opType === 'Constant';
  const inputRanks = new Map(
    graph.input.map((i) => [i.name, i.type?.value.case === 'tensorType' ? i.type.value.value.shape?.dim.length : undefined]),
  );
  /**
   * How many values a 1-D shape tensor holds: a constant's count, or a Concat of pieces, each a constant or a
   * dimension read from a Shape (Gather, Slice, Unsqueeze: one value), as exporters build a Reshape's target.
   */
  const lengthOf = (tensor: string, depth = 0): number | undefined => {
    const t = initializers.get(tensor) ?? producer.get(tensor)?.attribute.find((a) => a.name === 'value')?.t;
    if (t) return t.dims.reduce((a, b) => a * Number(b), 1);
    const p = producer.get(tensor);
    if (!p || depth > 4) return undefined;
    if (p.opType === 'Gather' || p.opType === 'Slice' || p.opType === 'Unsqueeze') return 1;
    if (p.opType !== 'Concat') return undefined;
    const parts = p.input.map((i) => lengthOf(i, depth + 1));
    return parts.every((n) => n !== undefined) ? parts.reduce((a, b) => a! + b!, 0) : undefined;
  };
  /** A tensor's rank where the graph fixes it: a model input, or a Reshape to a constant shape, Flatten or Gemm upstream. */
  const rankOf = (tensor: string, depth = 0): number | undefined => {
    if (inputRanks.has(tensor)) return inputRanks.get(tensor);
    const p = producer.get(tensor);
    if (!p || depth > 8) return undefined;
    if (p.opType === 'Flatten' || p.opType === 'Gemm') return 2;
    if (p.opType === 'Reshape') return lengthOf(p.input[1]);
    return PASS_THROUGH.has(p.opType) ? rankOf(p.input[0], depth + 1) : undefined;
  };
  /** The constant bias Add after a 2-D MatMul, which onnxruntime first fuses with it into a Gemm. */
  const biasAddAfter = (node: NodeProto): NodeProto | undefined => {
    const next = consumers.get(node.output[0]) ?? [];
    const add = next.length === 1 && next[0].opType === 'Add' && next[0].input.some(constant) ? next[0] : undefined;
    return add && rankOf(node.input[0]) === 2 ? add : undefined;
  };

  const kernels: LayerKernel[] = [];
  for (const node of graph.node) {
    if (node.opType !== 'Conv' && node.opType !== 'Gemm' && node.opType !== 'MatMul') continue;
    const weight = producer.get(node.input[1]);
    if (weight?.opType !== 'DequantizeLinear') continue;
    const op = node.opType;
    const biasAdd = op === 'MatMul' ? biasAddAfter(node) : undefined;
    const quantizers = outputQuantizers((biasAdd ?? node).output[0]);
    let why = weightProblem(node.input[1]) ?? activationProblem(node.input[0]);
    if (!why && op === 'Conv' && !quantizers) why = "its output is not quantized again (a residual sum, or the model's output)";
    if (!why && biasAdd && !quantizers) why = 'with its bias Add it becomes a Gemm whose output is not quantized again';
    kernels.push({ name: node.name, op, runsAs: biasAdd ? 'Gemm' : op, integer: why === undefined, ...(why ? { why } : {}) });
  }
  return kernels;
}

/** How many layers of each op run as integer kernels, e.g. { Conv: 3, Gemm: 1 }. */
export function integerKernelCounts(kernels: LayerKernel[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of kernels) if (k.integer) counts[k.runsAs] = (counts[k.runsAs] ?? 0) + 1;
  return counts;
}
