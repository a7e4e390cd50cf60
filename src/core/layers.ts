import type { NodeProto } from 'onnx-buf';
import type { ConvAttributes } from './conv-geometry';
import { attrFloat, attrInt, attrInts, attrString, type GraphView } from './onnx/graph';
import { METADATA_KEYS } from './onnx/metadata-keys';
import { DataType, dataTypeName, elementCount, type HostTensor } from './onnx/tensor';

export type LayerOp = 'Conv' | 'Gemm' | 'MatMul';

/** One quantizable layer: a weight matrix of M rows (output channels) by N columns per group. */
export interface LayerInfo {
  index: number;
  name: string;
  op: LayerOp;
  weight: string;
  weightShape: number[];
  weightSource: 'initializer' | 'constant';
  /** Output channels (rows of the weight matrix). */
  m: number;
  /** Reduction length per group (columns of the weight matrix). */
  n: number;
  groups: number;
  params: number;
  /** The tensor that feeds the layer (its activation input). */
  input: string;
  output: string;
  /** Conv bias or Gemm C, when the node has one. */
  bias?: string;
  conv?: ConvAttributes;
  gemm?: { transA: boolean; transB: boolean; alpha: number; beta: number };
}

export interface SkippedNode {
  name: string;
  op: string;
  reason: string;
}

/** A layer whose weight the file already stores as integers behind a DequantizeLinear (a QDQ model). */
export interface QuantizedInFile {
  name: string;
  op: string;
  weightShape: number[];
  bits: number;
  /** The integer type of the stored weight, e.g. INT8 or INT4. */
  storage: string;
}

export interface LayerInventory {
  layers: LayerInfo[];
  skipped: SkippedNode[];
  quantized: QuantizedInFile[];
}

/** The bits a QDQ weight uses: the studio's own record, else the smallest signed grid holding its codes. */
function storedBits(graph: GraphView, layerName: string, codes: HostTensor): number {
  const recorded = graph.model.metadataProps.find((p) => p.key === METADATA_KEYS.layerBits)?.value;
  try {
    const bits = recorded ? (JSON.parse(recorded) as Record<string, unknown>)[layerName] : undefined;
    if (typeof bits === 'number' && Number.isInteger(bits) && bits >= 2 && bits <= 8) return bits;
  } catch {
    // A damaged record: fall back to the codes themselves.
  }
  if (codes.dataType === DataType.UINT8 || codes.dataType === DataType.UINT4) return codes.dataType === DataType.UINT8 ? 8 : 4;
  // The fewest bits b with every code within 2^(b-1) (a full-grid row reaches -2^(b-1) or +2^(b-1);
  // int4 stores +8 as 7 with a zero point of -1).
  let [low, high] = [0, 0];
  for (const v of codes.values) [low, high] = [Math.min(low, Number(v)), Math.max(high, Number(v))];
  return Math.min(8, Math.max(2, Math.ceil(Math.log2(Math.max(-low, high, 1))) + 1));
}

const nodeName = (node: NodeProto, i: number) => node.name || `${node.opType}_${i}`;

function convAttributes(node: NodeProto, kernelDims: number[]): ConvAttributes | string {
  if (kernelDims.length > 2) return `${kernelDims.length}-D convolution is not supported (2-D and 1-D are)`;
  // A 1-D conv is a 2-D conv with a kernel height of 1.
  const pad2 = (v: number[] | undefined, fill: number) =>
    kernelDims.length === 1 ? [fill, ...(v ?? [fill])] : (v ?? [fill, fill]);
  const kernel = kernelDims.length === 1 ? [1, kernelDims[0]] : kernelDims;
  const pads = attrInts(node, 'pads');
  const fullPads = kernelDims.length === 1 ? [0, pads?.[0] ?? 0, 0, pads?.[1] ?? 0] : (pads ?? [0, 0, 0, 0]);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) return `unknown auto_pad "${autoPad}"`;
  return {
    kernel: kernel as [number, number],
    strides: pad2(attrInts(node, 'strides'), 1) as [number, number],
    dilations: pad2(attrInts(node, 'dilations'), 1) as [number, number],
    pads: fullPads as [number, number, number, number],
    autoPad: autoPad as ConvAttributes['autoPad'],
    groups: attrInt(node, 'group', 1),
  };
}

/** How many of a float constant's values are NaN or infinite (0 for integer tensors and unreadable ones). */
function nonFiniteCount(graph: GraphView, name: string): number {
  try {
    const values = graph.constantTensor(name)?.values;
    if (!(values instanceof Float32Array || values instanceof Float64Array)) return 0;
    let bad = 0;
    for (const v of values) if (!Number.isFinite(v)) bad++;
    return bad;
  } catch {
    // An unreadable tensor is reported when the job reads it, with the reader's own message.
    return 0;
  }
}

/** Lists every Conv, Gemm and MatMul whose weight is a constant, in topological order. */
export function findLayers(graph: GraphView): LayerInventory {
  const layers: LayerInfo[] = [];
  const skipped: SkippedNode[] = [];
  const quantized: QuantizedInFile[] = [];
  graph.nodes.forEach((node, i) => {
    if (node.domain !== '' && node.domain !== 'ai.onnx') return;
    if (node.opType !== 'Conv' && node.opType !== 'Gemm' && node.opType !== 'MatMul') return;
    const name = nodeName(node, i);
    const skip = (reason: string) => skipped.push({ name, op: node.opType, reason });
    const weight = node.input[1];
    const source = graph.constants.get(weight);
    const dq = graph.producers.get(weight);
    const stored = dq?.opType === 'DequantizeLinear' ? graph.constantTensor(dq.input[0]) : null;
    if (stored && stored.dataType !== DataType.FLOAT) {
      return void quantized.push({
        name,
        op: node.opType,
        weightShape: stored.dims,
        bits: storedBits(graph, name, stored),
        storage: dataTypeName(stored.dataType),
      });
    }
    if (!source) return skip(`its weight "${weight}" is computed at run time, not a constant`);
    const bad = nonFiniteCount(graph, weight);
    if (bad > 0)
      return skip(`its weight "${weight}" holds ${bad} NaN or infinite value(s); fix the model, this layer stays as it is`);
    const shape = source.tensor.dims.map(Number);
    const base = {
      index: layers.length,
      name,
      weight,
      weightShape: shape,
      weightSource: source.from,
      params: elementCount(shape),
      input: node.input[0],
      output: node.output[0],
      ...(node.opType !== 'MatMul' && node.input[2] ? { bias: node.input[2] } : {}),
    };
    if (node.opType === 'Conv') {
      if (shape.length < 3) return skip(`its weight has rank ${shape.length}; Conv weights have rank 3 or 4`);
      const conv = convAttributes(node, shape.slice(2));
      if (typeof conv === 'string') return skip(conv);
      layers.push({ ...base, op: 'Conv', m: shape[0], n: elementCount(shape.slice(1)), groups: conv.groups, conv });
    } else if (node.opType === 'Gemm') {
      if (shape.length !== 2) return skip(`its weight has rank ${shape.length}, not 2`);
      const gemm = {
        transA: attrInt(node, 'transA', 0) === 1,
        transB: attrInt(node, 'transB', 0) === 1,
        alpha: attrFloat(node, 'alpha', 1),
        beta: attrFloat(node, 'beta', 1),
      };
      const [m, n] = gemm.transB ? shape : [shape[1], shape[0]];
      layers.push({ ...base, op: 'Gemm', m, n, groups: 1, gemm });
    } else {
      if (shape.length !== 2)
        return skip(`its constant operand has rank ${shape.length}; only a 2-D right-hand weight is quantized`);
      layers.push({ ...base, op: 'MatMul', m: shape[1], n: shape[0], groups: 1 });
    }
  });
  return { layers, skipped, quantized };
}
