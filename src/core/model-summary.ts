import { findLayers, type LayerInfo, type QuantizedInFile, type SkippedNode } from './layers';
import { GraphView, type ValueShape } from './onnx/graph';
import { addZeroBiases } from './onnx/explicit-bias';
import { decodeModel } from './onnx/model-io';
import { imageInput, transposedInputLayout, type InputLayout, type LayoutChoice } from './model-input';

/** What the UI shows of a model: small, serialisable, no tensors. */
export interface ModelSummary {
  fileName: string;
  sizeBytes: number;
  sha256: string;
  irVersion: number;
  opset: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  inputs: ValueShape[];
  /** The layout a Transpose right after the input reveals, for shapes that leave NCHW and NHWC open. */
  inputLayoutHint: InputLayout | null;
  outputs: ValueShape[];
  nodeCount: number;
  opCounts: Record<string, number>;
  layers: LayerInfo[];
  skipped: SkippedNode[];
  /** Layers the file already stores quantized (a QDQ export): shown, never quantized again. */
  quantizedInFile: QuantizedInFile[];
  totalParams: number;
  quantizableParams: number;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function summarizeGraph(graph: GraphView, fileName: string, sizeBytes: number, sha256: string): ModelSummary {
  const { layers, skipped, quantized } = findLayers(graph);
  let totalParams = 0;
  for (const { tensor } of graph.constants.values()) {
    if (tensor.dataType === 1 || tensor.dataType === 10 || tensor.dataType === 11) {
      totalParams += tensor.dims.reduce((a, b) => a * Number(b), 1);
    }
  }
  for (const q of quantized) totalParams += q.weightShape.reduce((a, b) => a * b, 1);
  const model = graph.model;
  return {
    fileName,
    sizeBytes,
    sha256,
    irVersion: Number(model.irVersion),
    opset: graph.opset,
    opsets: graph.opsets,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs: graph.inputs,
    inputLayoutHint: transposedInputLayout(graph),
    outputs: graph.outputs,
    nodeCount: graph.nodes.length,
    opCounts: graph.opCounts(),
    layers,
    skipped,
    quantizedInFile: quantized,
    totalParams,
    quantizableParams: layers.reduce((a, l) => a + l.params, 0),
  };
}

/** Whether the model leaves its input's height or width open (the user then picks the size). */
export function inputSizeIsDynamic(s: Pick<ModelSummary, 'inputs' | 'inputLayoutHint'>, layout: LayoutChoice = 'auto'): boolean {
  try {
    const l = imageInput(s, layout);
    return l.height === null || l.width === null;
  } catch {
    return false;
  }
}

/** Why a run has nothing to do, or null when there are layers to quantize. */
export function nothingToQuantize(s: Pick<ModelSummary, 'layers' | 'quantizedInFile'>): string | null {
  if (s.layers.length > 0) return null;
  if (s.quantizedInFile.length > 0) {
    const bits = [...new Set(s.quantizedInFile.map((q) => `${q.bits}-bit ${q.storage}`))].join(', ');
    return `All ${s.quantizedInFile.length} quantizable layers are already quantized in this file (${bits}): there is nothing left to quantize. Open the float model to quantize it differently.`;
  }
  return 'This model has no Conv, Gemm or MatMul with a constant weight: there is nothing to quantize.';
}

/** Decodes a model file and summarises it; throws the decoder's typed errors unchanged. */
export async function readModelFile(bytes: Uint8Array, fileName: string): Promise<{ graph: GraphView; summary: ModelSummary }> {
  // Every layer gets a bias to correct, including a Conv before a BatchNormalization (outputs unchanged).
  const graph = new GraphView(addZeroBiases(decodeModel(bytes)));
  const summary = summarizeGraph(graph, fileName, bytes.byteLength, await sha256Hex(bytes));
  return { graph, summary };
}
