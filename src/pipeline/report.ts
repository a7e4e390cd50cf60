import { layerCodes, layerWeights } from '../core/layer-weights';
import type { LayerInfo } from '../core/layers';
import type { ModelSummary } from '../core/model-summary';
import type { GraphView } from '../core/onnx/graph';
import { encodeModel } from '../core/onnx/model-io';
import { METADATA_KEYS } from '../core/onnx/metadata-keys';
import { writeQdqModel, type ExportFormat } from '../core/onnx/qdq-writer';
import { buildSimulationModel } from '../core/onnx/sim-graph';
import { resultPlan, type JobResult } from './job';

export const STUDIO_VERSION = '0.2.0';

/** The JSON report: config, per-layer records, model metrics and seconds per stage. */
export function buildReport(summary: ModelSummary, result: JobResult) {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    studio: STUDIO_VERSION,
    model: { file: summary.fileName, sha256: summary.sha256, layers: summary.layers.length },
    config: result.config,
    backend: result.backend,
    executionProvider: result.executionProvider,
    /** The conv inputs that per-channel activation scales on "auto" chose. */
    channelTensors: result.channelTensors,
    layers: result.layers.map((l) => ({ ...l, sqnrDb: finite(l.sqnrDb) })),
    metrics: result.metrics
      ? {
          ...result.metrics,
          sqnrDb: finite(result.metrics.sqnrDb),
          outputs: result.metrics.outputs.map((o) => ({ ...o, sqnrDb: finite(o.sqnrDb) })),
        }
      : null,
    seconds: result.seconds,
  };
}

export interface ExportOptions {
  format: ExportFormat;
  /** The source model's SHA-256 and the run's configuration as a share link (`#c=...`). */
  sourceSha256: string;
  configLink: string;
}

/** The QDQ model (int8, or int4 where a layer has at most 4 bits) with the run's codes and scales. */
export function exportQuantizedModel(graph: GraphView, layers: LayerInfo[], result: JobResult, o: ExportOptions): Uint8Array {
  const quantized = layers.flatMap((layer) => {
    const q = result.codes.get(layer.index);
    return q ? [{ layer, bits: q.bits, codes: layerCodes(layer, q), bias: result.biases.get(layer.index) }] : [];
  });
  const activations = resultPlan(graph, layers, result).sites.flatMap((site) => {
    const value = result.quantizers.get(site.tensor);
    return value ? [{ site, value }] : [];
  });
  const model = writeQdqModel(graph, layers, quantized, activations, {
    format: o.format,
    metadata: {
      [METADATA_KEYS.config]: o.configLink,
      [METADATA_KEYS.version]: STUDIO_VERSION,
      [METADATA_KEYS.sourceSha256]: o.sourceSha256,
    },
  });
  return encodeModel(model);
}

/**
 * The same run as a float graph with the fake quantizers (Div, Round, Clip, Mul) the job evaluated:
 * the reference an exported model is checked against.
 */
export function simulatedQuantizedModel(graph: GraphView, layers: LayerInfo[], result: JobResult): Uint8Array {
  const { sites } = resultPlan(graph, layers, result);
  const weights = new Map(layers.map((l) => [l.index, result.weights.get(l.index) ?? layerWeights(graph, l).original]));
  return encodeModel(
    buildSimulationModel(graph, layers, sites, { live: false, weights, biases: result.biases, quantizers: result.quantizers }),
  );
}
