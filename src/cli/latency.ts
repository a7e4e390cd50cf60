import type { LayerInfo } from '../core/layers';
import type { GraphView } from '../core/onnx/graph';
import type { JobResult } from '../pipeline/job';
import { measureLatency, speedup } from '../pipeline/latency';
import { fusedByOnnxruntime, layerFusions } from '../runtime/ort-fusions';

const ms = (x: number) => `${x.toPrecision(3)} ms`;

/**
 * `--latency`: the float model and both files timed on onnxruntime-web's wasm EP in this Node process (the
 * kernels the page runs), and the written file's integer kernels as the graph says and as onnxruntime's own
 * log counts them. The report's `output.latency`, and one line for the terminal.
 */
export async function cliLatency(
  graph: GraphView,
  layers: LayerInfo[],
  result: JobResult,
  o: { imageDims: number[]; format: 'int8' | 'int4'; written: Uint8Array; files: { sourceSha256: string; configLink: string } },
) {
  const report = await measureLatency(graph, layers, result, { imageDims: o.imageDims, eps: ['wasm'], files: o.files });
  const of = (variant: string) => report.variants.find((v) => v.variant === variant)!;
  const written = of(o.format);
  const float = of('float').timings[0];
  const timing = written.timings[0];
  const predicted = written.kernels!.counts;
  const fused = await fusedByOnnxruntime(o.written);
  const measured = layerFusions(fused);
  const latency = {
    engine: "onnxruntime-web's wasm EP in Node",
    ep: timing.ep,
    runs: timing.runs,
    warmup: timing.warmup,
    input: report.input,
    medianMs: timing.medianMs,
    p10Ms: timing.p10Ms,
    p90Ms: timing.p90Ms,
    floatMedianMs: float.medianMs,
    speedup: speedup(report, o.format, 'wasm'),
    integerKernels: { layers: written.kernels!.layers, predicted, measured, allFusedByOnnxruntime: fused },
    variants: report.variants.map((v) => ({
      variant: v.variant,
      bytes: v.bytes,
      timings: v.timings,
      integerKernels: v.kernels?.counts,
    })),
  };
  const integer = written.kernels!.layers.filter((k) => k.integer).length;
  const counts = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ') || 'none';
  const agree = JSON.stringify(Object.entries(predicted).sort()) === JSON.stringify(Object.entries(measured).sort());
  const line =
    `  latency (wasm EP in Node, input [${report.input.dims.join(', ')}], median of ${timing.runs}): ` +
    report.variants
      .map(
        (v) =>
          `${v.variant} ${ms(v.timings[0].medianMs)}${v.variant === 'float' ? '' : ` (${(float.medianMs / v.timings[0].medianMs).toFixed(2)}x)`}`,
      )
      .join(', ') +
    `; ${o.format} file: ${integer} of ${written.kernels!.layers.length} layers as integer kernels (${counts(predicted)}${agree ? ', as onnxruntime reports' : `; onnxruntime reports ${counts(measured)}`})\n`;
  return { latency, line };
}
