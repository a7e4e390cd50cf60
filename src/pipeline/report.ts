import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema } from 'onnx-buf';
import type { LayerInfo } from '../core/layers';
import type { ModelSummary } from '../core/model-summary';
import type { GraphView } from '../core/onnx/graph';
import { encodeModel } from '../core/onnx/model-io';
import { buildSimulationModel } from '../core/onnx/sim-graph';
import { planLayers } from '../core/quant/plan';
import { layerWeights } from '../core/layer-weights';
import type { JobResult } from './job';

export const STUDIO_VERSION = '0.1.0';

/** The JSON report: config, per-layer records, model metrics and seconds per stage. */
export function buildReport(summary: ModelSummary, result: JobResult) {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    studio: STUDIO_VERSION,
    model: { file: summary.fileName, sha256: summary.sha256, layers: summary.layers.length },
    config: result.config,
    backend: result.backend,
    layers: result.layers.map((l) => ({ ...l, sqnrDb: finite(l.sqnrDb) })),
    metrics: result.metrics ? { ...result.metrics, sqnrDb: finite(result.metrics.sqnrDb) } : null,
    seconds: result.seconds,
  };
}

/**
 * The quantized model as a float graph onnxruntime runs anywhere: dequantized weights and, before each
 * quantized layer, the same fake quantizer the job simulated (Div, Round, Clip, Mul). It is the very
 * graph the studio evaluated. The QDQ int8/int4 writer is the export issue's.
 */
export function bakeQuantizedModel(graph: GraphView, layers: LayerInfo[], result: JobResult, sha256: string): Uint8Array {
  const { sites } = planLayers(graph, layers, result.config);
  const weights = new Map(layers.map((l) => [l.index, result.weights.get(l.index) ?? layerWeights(graph, l).original]));
  const model = buildSimulationModel(graph, layers, sites, { live: false, weights, quantizers: result.quantizers });
  model.metadataProps.push(
    create(StringStringEntryProtoSchema, { key: 'bitsplit.config', value: JSON.stringify(result.config) }),
    create(StringStringEntryProtoSchema, { key: 'bitsplit.version', value: STUDIO_VERSION }),
    create(StringStringEntryProtoSchema, { key: 'bitsplit.source_sha256', value: sha256 }),
  );
  return encodeModel(model);
}
