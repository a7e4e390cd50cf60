import type { LayerInfo } from '../core/layers';
import type { ModelMetrics, TensorMap } from '../core/model-metrics';
import type { GraphView } from '../core/onnx/graph';
import type { LayerBias } from '../core/quant/bias';
import type { QuantizedWeights } from '../core/quant/grid';
import { planLayers } from '../core/quant/plan';
import type { ExecutionProvider } from '../runtime/ort';
import type { JobConfig } from './job-config';
import type { SimulatorState } from './simulator';
import type { SolverBackend } from './solver-backend';

export interface JobProgress {
  stage: 'prepare' | 'calibrate' | 'activations' | 'sensitivity' | 'evaluate' | 'done';
  layer: number;
  layers: number;
  layerName?: string;
  imagesDone: number;
  imagesTotal: number;
  /** Of the whole job, 0..1. */
  fraction: number;
  etaSeconds: number | null;
}

export interface LayerRecord {
  name: string;
  op: string;
  params: number;
  wbits: number;
  method: string;
  skipped: boolean;
  /**
   * Relative output error on the layer's calibration input: float weights, the result, round to nearest.
   * The float weights' is NaN where the layer is too large to recompute it on the host (layer-errors.ts).
   */
  relOutputErrorFloat: number;
  relOutputError: number;
  relOutputErrorRtn: number;
  sqnrDb: number;
  weightMse: number;
  /** The input's quantizer; with per-channel scales, `scale` is the first channel's; asymmetric grids' codes run from -zeroPoint to 2^bits - 1 - zeroPoint. */
  activation: {
    bits: number;
    signed: boolean;
    scale: number;
    zeroPoint?: number;
    channelScales?: number[];
    channelZeroPoints?: number[];
  } | null;
  epochs: number;
  flips: number;
  seconds: number;
  codeHistogram: { code: number; count: number }[];
  /** Taken from the previous run unchanged (nothing it depends on changed). */
  reused: boolean;
  /** Relative output error after each Bit-Split epoch's scale fit (before the epoch's sweep). */
  errorPerEpoch: number[];
}

export interface JobResult {
  config: JobConfig;
  backend: string;
  /** Where onnxruntime ran the forward passes. */
  executionProvider: ExecutionProvider;
  layers: LayerRecord[];
  metrics: ModelMetrics | null;
  seconds: Record<string, number>;
  /** Final weights (model layout, exactly codes x scale in float32), their codes, and activation quantizers: what export writes. */
  weights: Map<number, Float32Array>;
  codes: Map<number, QuantizedWeights>;
  /** Biases the run changed: rounded to int32 codes where the layer's input and weight are quantized; corrected ones. */
  biases: Map<number, LayerBias>;
  /** Float biases after bias correction, before any int32 rounding (what a later run reusing the layer rounds again). */
  correctedBiases: Map<number, Float32Array>;
  quantizers: SimulatorState['quantizers'];
  /** The conv inputs that per-channel scales on "auto" gave one scale per channel (channel-choice.ts). */
  channelTensors: string[];
}

/** The plan a result was made with (its sites are what the export and the simulation write). */
export function resultPlan(graph: GraphView, layers: LayerInfo[], result: Pick<JobResult, 'config' | 'channelTensors'>) {
  return planLayers(graph, layers, result.config, result.channelTensors);
}

export interface JobDeps {
  backend: SolverBackend;
  /** Where onnxruntime runs the calibration and evaluation passes (default 'wasm'). */
  executionProvider?: ExecutionProvider;
  /** A previous run of the same model: layers its change does not reach keep their results. */
  previous?: JobResult;
  onProgress?: (p: JobProgress) => void;
  signal?: AbortSignal;
  /**
   * Turns a batch of the model's outputs into one score per class and image (batch x classes), for
   * models whose output is not class scores, e.g. a text recogniser read as a digit classifier.
   */
  scores?: (output: Float32Array, batch: number) => Float32Array;
  /** Bytes of a layer's inputs kept from its quantizer fit for its sums (default INPUT_CACHE_BYTES; 0 runs the model again). */
  inputCacheBytes?: number;
  /**
   * The float model's outputs on the scored images, by batch: the first run that scores them fills it,
   * later runs read it instead of running the float model again. One map per model and scored set.
   */
  floatScores?: Map<string, TensorMap>;
}
