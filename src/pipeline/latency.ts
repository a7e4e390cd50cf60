import type { LayerInfo } from '../core/layers';
import { fixedBatchOf } from '../core/model-input';
import type { GraphView } from '../core/onnx/graph';
import { integerKernelCounts, integerKernels, type LayerKernel } from '../core/onnx/integer-kernels';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { timeModel, type LatencyFigure } from '../runtime/latency';
import type { ExecutionProvider } from '../runtime/ort';
import type { JobResult } from './job';
import { exportQuantizedModel } from './report';

export type Variant = 'float' | 'int8' | 'int4';

export interface VariantLatency {
  variant: Variant;
  bytes: number;
  /** One figure per execution provider timed. */
  timings: LatencyFigure[];
  /** For the quantized files: each quantized layer, integer kernel or dequantized, and the counts by op. */
  kernels?: { layers: LayerKernel[]; counts: Record<string, number> };
}

export interface LatencyReport {
  /** The input each run was given, as the model takes it. */
  input: { name: string; dims: number[] };
  variants: VariantLatency[];
}

export interface LatencyProgress {
  variant: Variant;
  ep: ExecutionProvider;
  done: number;
  total: number;
}

/**
 * The float model and each downloadable file of a run, timed on each execution provider given, one input
 * of the model's size (its own batch where it fixes one, else 1); and what onnxruntime's CPU EP makes of
 * each quantized layer of the files.
 */
export async function measureLatency(
  graph: GraphView,
  layers: LayerInfo[],
  result: JobResult,
  o: {
    imageDims: number[];
    eps: ExecutionProvider[];
    files: { sourceSha256: string; configLink: string };
    runs?: number;
    check?: () => Promise<void>;
    onProgress?: (p: LatencyProgress) => void;
  },
): Promise<LatencyReport> {
  const input = { name: graph.inputs[0].name, dims: [fixedBatchOf(graph.inputs)?.size ?? 1, ...o.imageDims] };
  const files: [Variant, Uint8Array][] = [
    ['float', encodeModel(graph.model)],
    ...(['int8', 'int4'] as const).map((format): [Variant, Uint8Array] => [
      format,
      exportQuantizedModel(graph, layers, result, { format, ...o.files }),
    ]),
  ];
  const total = files.length * o.eps.length;
  let done = 0;
  const variants: VariantLatency[] = [];
  for (const [variant, bytes] of files) {
    const timings: LatencyFigure[] = [];
    for (const ep of o.eps) {
      o.onProgress?.({ variant, ep, done, total });
      timings.push(await timeModel(bytes, input, { ep, runs: o.runs, check: o.check }));
      done++;
    }
    const kernels = variant === 'float' ? undefined : integerKernels(decodeModel(bytes));
    variants.push({
      variant,
      bytes: bytes.byteLength,
      timings,
      ...(kernels ? { kernels: { layers: kernels, counts: integerKernelCounts(kernels) } } : {}),
    });
  }
  return { input, variants };
}

/** The quantized file's median against the float model's on the same EP: above 1 is faster. */
export function speedup(report: LatencyReport, variant: Variant, ep: ExecutionProvider): number | null {
  const of = (v: Variant) => report.variants.find((x) => x.variant === v)?.timings.find((t) => t.ep === ep)?.medianMs;
  const float = of('float');
  const quantized = of(variant);
  return float !== undefined && quantized !== undefined && quantized > 0 ? float / quantized : null;
}
