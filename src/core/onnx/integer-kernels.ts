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
 *    QuantizeLinear absorbs, to QuantizeLinear nodes only. Gemm and MatMul may give float outputs.
 */
export interface LayerKernel {
  name: string;
  op: 'Conv' | 'Gemm' | 'MatMul';
  integer: boolean;
  /** Why it is dequantized instead; absent for an integer kernel. */
  why?: string;
}

const EIGHT_BIT = new Set<number>([DataType.INT8, DataType.UINT8]);
const ABSORBED = new Set(['Relu', 'Clip']);
const CLIPS = new Set(['Max', 'Min', 'Clip']);

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
  const outputQuantized = (output: string): boolean => {
    if (graphOutputs.has(output)) return false;
    const next = consumers.get(output) ?? [];
    if (next.length === 0) return false;
    return next.every(
      (n) => n.opType === 'QuantizeLinear' || (ABSORBED.has(n.opType) && next.length === 1 && outputQuantized(n.output[0])),
    );
  };

  const kernels: LayerKernel[] = [];
  for (const node of graph.node) {
    if (node.opType !== 'Conv' && node.opType !== 'Gemm' && node.opType !== 'MatMul') continue;
    const weight = producer.get(node.input[1]);
    if (weight?.opType !== 'DequantizeLinear') continue;
    const op = node.opType;
    const why =
      weightProblem(node.input[1]) ??
      activationProblem(node.input[0]) ??
      (op === 'Conv' && !outputQuantized(node.output[0])
        ? "its output is not quantized again (a residual sum, or the model's output)"
        : undefined);
    kernels.push({ name: node.name, op, integer: why === undefined, ...(why ? { why } : {}) });
  }
  return kernels;
}

/** How many layers of each op run as integer kernels, e.g. { Conv: 3, Gemm: 1 }. */
export function integerKernelCounts(kernels: LayerKernel[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of kernels) if (k.integer) counts[k.op] = (counts[k.op] ?? 0) + 1;
  return counts;
}
