import { StudioError } from '../core/errors';
import { foldChannelScales, layerBias, layerCodes, layerWeights, storedBias, unfoldChannelScales } from '../core/layer-weights';
import { quantizeBias, type LayerBias } from '../core/quant/bias';
import { correctedBias, meanError } from '../core/quant/bias-correction';
import type { LayerInfo } from '../core/layers';
import { ModelMetricsAccumulator, type ModelMetrics, type TensorMap } from '../core/model-metrics';
import type { GraphView } from '../core/onnx/graph';
import { fitActivationGrid } from '../core/quant/activation-scale';
import { dequantize, type QuantizedWeights } from '../core/quant/grid';
import { codeHistogram, weightMse } from '../core/quant/metrics';
import { channelIndex, planLayers, reusableLayers, type LayerPlan } from '../core/quant/plan';
import type { JobConfig } from './job-config';
import { seededRandom } from '../core/random';
import { fakeQuantize } from '../core/quant/fake-quantize';
import { batchOf, type ImageSet } from './images';
import { Simulator } from './simulator';
import { autoChannelTensors } from './channel-choice';
import type { ExecutionProvider, Outputs } from '../runtime/ort';
import type { LayerAccumulator, SolverBackend } from './solver-backend';
import { residualTarget } from '../core/residual-target';
import { accumulateLayer, batchStarts, timed, type CalibrationPass } from './calibration';
import { layerErrors } from './layer-errors';

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
  activation: { bits: number; signed: boolean; scale: number; zeroPoint?: number; channelScales?: number[]; channelZeroPoints?: number[] } | null;
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
  quantizers: Simulator['quantizers'];
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

const SAMPLES_PER_TENSOR = 1 << 18;
/** A layer's inputs over the calibration images are kept between its quantizer fit and its sums up to this size. */
const INPUT_CACHE_BYTES = 256 * 2 ** 20;

/**
 * The quantization job (bit-split.md, section 7): layer by layer in topological order, fit the input's
 * activation quantizer on what the partly quantized model feeds it, accumulate A and C against the
 * float model's targets, solve, and feed the quantized weights to every later layer. Without ECAQ,
 * every layer is solved on float inputs and activation scales are fitted afterwards.
 */
export async function runJob(graph: GraphView, layers: LayerInfo[], calib: ImageSet, evalSet: ImageSet | null, config: JobConfig, deps: JobDeps): Promise<JobResult> {
  const check = cancellationCheck(deps.signal);
  await check();
  const input = graph.inputs[0];
  if (input && input.elemType !== 'FLOAT') {
    throw new StudioError('UnsupportedModelError', `The model's input "${input.name}" is ${input.elemType}; the studio quantizes models that compute in float32. ` +
      'Convert it to float32 first (e.g. onnxconverter-common\'s float16 tools), then open it again.');
  }
  if (config.channelScales === true && !config.ecaq) {
    throw new StudioError('InvalidArgumentError', 'Per-channel activation scales are folded into each layer\'s weights as it is solved, so they need error compensation on: turn it on, or use one scale per tensor.');
  }
  const started = performance.now();
  const seconds: Record<string, number> = {};
  const executionProvider = deps.executionProvider ?? 'wasm';
  const progress = makeProgress(deps, layers.length, Math.min(config.calibImages, calib.count));
  const floatWeights = new Map(layers.map((l) => [l.index, layerWeights(graph, l).original]));
  // Another solver or EP gives slightly different numbers: nothing is reused across a change of either.
  const previous = deps.previous?.backend === deps.backend.name && deps.previous.executionProvider === executionProvider ? deps.previous : undefined;
  const globalsKept = previous !== undefined && sameGlobals(previous.config, config);
  const channelTensors = await timed(seconds, 'channelChoice', () => autoChannelTensors(graph, layers, calib, config, {
    floatWeights, executionProvider, check, onBatch: (done, total) => progress('prepare', null, done, total), previous: globalsKept ? previous : undefined,
  }));
  const { plans, sites } = planLayers(graph, layers, config, channelTensors);
  const reuse = previous ? reusableLayers(graph, resultPlan(graph, layers, previous).plans, plans, globalsKept) : new Set<number>();
  for (const plan of plans) if (!plan.skip) deps.backend.assertFits?.(plan.layer);
  const residuals = new Map(config.ecaq && config.residualCompensation
    ? plans.flatMap((p) => {
      const r = p.skip || p.method !== 'bitsplit' ? null : residualTarget(graph, p.layer, layers);
      return r ? [[p.layer.index, r] as const] : [];
    })
    : []);
  const sim = await Simulator.create(graph, layers, sites, floatWeights, [...residuals.values()].map((r) => r.shortcut), executionProvider);
  const calibCount = Math.min(config.calibImages, calib.count);
  if (calibCount === 0) throw new StudioError('InvalidArgumentError', 'No calibration images: add at least one image.');
  const cacheBytes = deps.inputCacheBytes ?? INPUT_CACHE_BYTES;
  const pass: CalibrationPass = { sim, images: calib, count: calibCount, batchSize: config.batchSize, check, seconds };
  const batches = batchStarts(pass);
  seconds.prepare = (performance.now() - started) / 1000;
  const records: LayerRecord[] = [];
  const codes = new Map<number, QuantizedWeights>();
  /** Float biases after bias correction, before any int32 rounding. */
  const corrected = new Map<number, Float32Array>();

  try {
    const solveStart = performance.now();
    for (const plan of plans) {
      await check();
      const t0 = performance.now();
      if (plan.skip) {
        records.push(skippedRecord(plan));
        continue;
      }
      const earlier = previous?.layers[plan.layer.index];
      if (reuse.has(plan.layer.index) && previous && earlier && !earlier.skipped) {
        sim.weights.set(plan.layer.index, previous.weights.get(plan.layer.index)!);
        codes.set(plan.layer.index, previous.codes.get(plan.layer.index)!);
        const bias = previous.biases.get(plan.layer.index);
        if (bias && (config.ecaq || !bias.codes)) sim.biases.set(plan.layer.index, bias);
        const fix = previous.correctedBiases.get(plan.layer.index);
        if (fix) corrected.set(plan.layer.index, fix);
        const q = plan.input && previous.quantizers.get(plan.input.tensor);
        if (plan.input && q && config.ecaq) sim.quantizers.set(plan.input.tensor, q);
        records.push({ ...earlier, reused: true, seconds: 0 });
        continue;
      }
      const layer = plan.layer;
      const shortcut = residuals.get(plan.layer.index)?.shortcut;
      const cachedInputs = config.ecaq && plan.input ? await timed(seconds, 'fitActivations', () => fitQuantizer(plan, 'quantized', shortcut ? [shortcut] : [])) : undefined;
      const q = config.ecaq && plan.input ? sim.quantizers.get(plan.input.tensor)! : null;
      // Folded per-channel scales: the layer reads the codes x / s, and its weights are W diag(s).
      const folded = q && plan.input?.channels ? q.scale : null;
      const original = layerWeights(graph, layer).matrix;
      const matrix = folded ? foldChannelScales(layer, original, folded) : original;
      const storedFloatBias = config.biasCorrection && plan.method === 'bitsplit' ? storedBias(graph, layer) : null;
      let accumulator: LayerAccumulator | null = null;
      try {
        accumulator = await accumulateLayer(pass, layer, deps.backend, {
          mode: config.ecaq ? 'quantized' : 'float',
          quantizeInput: q ? (x, dims) => fakeQuantize(x, q, { dims, axis: plan.input?.channels?.axis, codes: Boolean(folded) }) : undefined,
          bias: layerBias(graph, layer), cachedInputs, residual: residuals.get(layer.index),
          positionsPerImage: config.positions, seed: config.seed + layer.index, means: storedFloatBias !== null, onBatch: (done) => progress('calibrate', plan, done),
        });
        const acc = accumulator;
        const means = storedFloatBias ? await timed(seconds, 'accumulate', () => acc.center()) : null;
        const solved = await timed(seconds, 'solve', () => acc.solve(matrix, plan.bits, plan.method, { maxEpochs: config.epochs, fullGrid: config.fullGrid }));
        const rtn = plan.method === 'rtn' ? solved : await timed(seconds, 'solve', () => acc.solve(matrix, plan.bits, 'rtn'));
        const errors = layerErrors(acc, layer.m, layer.n, { means });
        const dequantized = layerCodes(layer, solved.weights).weights;
        sim.weights.set(layer.index, folded ? unfoldChannelScales(layer, dequantized, folded) : dequantized);
        codes.set(layer.index, solved.weights);
        if (means && storedFloatBias) {
          const bias = correctedBias(storedFloatBias, meanError(means, dequantize(solved.weights)));
          corrected.set(layer.index, bias);
          sim.biases.set(layer.index, { values: bias });
        }
        if (config.ecaq) roundBias(plan);
        const after = await errors.of(solved);
        records.push({
          name: layer.name, op: layer.op, params: layer.params, wbits: plan.bits, method: plan.method, skipped: false,
          relOutputErrorFloat: await errors.float(matrix),
          relOutputError: after.relative,
          relOutputErrorRtn: (await errors.uncorrected(rtn)).relative,
          sqnrDb: after.sqnrDb,
          weightMse: weightMse(matrix, solved.weights),
          activation: activationRecord(plan),
          epochs: solved.epochs, flips: solved.flips, seconds: (performance.now() - t0) / 1000,
          codeHistogram: codeHistogram(solved.weights),
          reused: false,
          errorPerEpoch: await errors.perEpoch(solved.objective),
        });
      } finally {
        accumulator?.destroy();
      }
    }
    seconds.calibrateAndSolve = (performance.now() - solveStart) / 1000;

    if (!config.ecaq) {
      const t = performance.now();
      for (const plan of plans) {
        if (!plan.input || plan.skip) continue;
        await fitQuantizer(plan, 'quantized');
        roundBias(plan);
      }
      for (const r of records) {
        const plan = plans.find((p) => p.layer.name === r.name)!;
        if (plan.input) r.activation = activationRecord(plan);
      }
      seconds.activations = (performance.now() - t) / 1000;
    }

    let metrics: ModelMetrics | null = null;
    if (evalSet && evalSet.count > 0) {
      const t = performance.now();
      metrics = await evaluate(sim, evalSet, graph.outputs, config.batchSize, (done) => progress('evaluate', null, done, evalSet.count), check, deps);
      seconds.evaluate = (performance.now() - t) / 1000;
    }
    seconds.total = (performance.now() - started) / 1000;
    progress('done', null, calibCount);
    return { config, backend: deps.backend.name, executionProvider, layers: records, metrics, seconds, weights: new Map(sim.weights), codes, biases: new Map(sim.biases), correctedBiases: new Map(corrected), quantizers: new Map(sim.quantizers), channelTensors };
  } finally {
    await sim.release();
  }

  function activationRecord(plan: LayerPlan): LayerRecord['activation'] {
    if (!plan.input) return null;
    const q = sim.quantizers.get(plan.input.tensor);
    const scale = q?.scale ?? Float32Array.of(0);
    return {
      bits: plan.input.bits, signed: plan.input.signed, scale: scale[0],
      ...(plan.input.asymmetric && q ? { zeroPoint: -q.qmin[0] } : {}), ...(plan.input.channels ? { channelScales: Array.from(scale) } : {}),
      ...(plan.input.asymmetric && plan.input.channels && q ? { channelZeroPoints: Array.from(q.qmin, (lo) => -lo) } : {}),
    };
  }

  /** Once a layer's input and weight are quantized, its bias is what a QDQ runtime makes of it: int32 codes. */
  function roundBias(plan: LayerPlan) {
    const q = plan.input && sim.quantizers.get(plan.input.tensor);
    const bias = corrected.get(plan.layer.index) ?? storedBias(graph, plan.layer);
    const weights = codes.get(plan.layer.index);
    if (!q || !bias || !weights) return;
    // Folded scales: the layer reads integer codes, whose scale is 1.
    sim.biases.set(plan.layer.index, quantizeBias(bias, plan.input?.channels ? 1 : q.scale[0], layerCodes(plan.layer, weights).scales));
  }

  /**
   * Fits a layer's input quantizer (one scale, or one per channel) on seeded samples of what the current
   * model feeds it. `extra`: tensors kept beside the input from the same runs (a shortcut, which never reads this quantizer).
   */
  async function fitQuantizer(plan: LayerPlan, mode: 'float' | 'quantized', extra: string[] = []) {
    const q = plan.input!;
    if (sim.quantizers.has(q.tensor)) return;
    const count = q.channels?.count ?? 1;
    const samples: number[][] = Array.from({ length: count }, () => []);
    const random = seededRandom(config.seed ^ (plan.layer.index * 7919));
    const kept: Outputs[] = [];
    let keptBytes = 0;
    for (const start of batches) {
      await check();
      const b = batchOf(calib, start, Math.min(config.batchSize, calibCount - start));
      const out = await sim.run({ data: b.data, dims: [b.batch, ...calib.dims] }, mode, [q.tensor, ...extra]);
      const x = out[q.tensor];
      keptBytes += Object.values(out).reduce((n, t) => n + t.data.byteLength, 0);
      if (keptBytes <= cacheBytes) kept.push(out);
      const channelOf = channelIndex(count, x.dims, q.channels?.axis);
      const keep = Math.min(1, SAMPLES_PER_TENSOR / (x.data.length * batches.length));
      for (let i = 0; i < x.data.length; i++) if (keep >= 1 || random() < keep) samples[channelOf(i)].push(x.data[i]);
      progress('activations', plan, start + b.batch);
    }
    // Below a Clip's bound (ReLU6) the top level stays within it: nothing lies beyond, and onnxruntime then drops
    // the Clip into the QuantizeLinear (with a grid reaching past it, its optimizer rejects some Conv-Clip files).
    const grids = samples.map((values) => {
      const g = fitActivationGrid(values, q.bits, q.signed, Boolean(q.asymmetric));
      return q.ceiling !== undefined && g.scale * g.qmax > q.ceiling ? { ...g, scale: float32AtMost(q.ceiling / g.qmax) } : g;
    });
    sim.quantizers.set(q.tensor, {
      scale: Float32Array.from(grids, (g) => g.scale), qmin: Float32Array.from(grids, (g) => g.qmin), qmax: Float32Array.from(grids, (g) => g.qmax), on: true,
    });
    // The layer's input does not depend on its own quantizer: calibration can take these instead of running the model again.
    return keptBytes <= cacheBytes ? kept : undefined;
  }
}

/** The largest float32 not above x (a scale whose top level must stay within a bound). */
function float32AtMost(x: number): number {
  const f = new Float32Array([x]);
  if (f[0] > x) new Int32Array(f.buffer)[0] -= 1;
  return f[0];
}

/** Yields to the event loop first: a cancel request is a message that only arrives between tasks. */
export function cancellationCheck(signal: AbortSignal | undefined): () => Promise<void> {
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (signal?.aborted) throw new StudioError('CancelledError', 'The run was cancelled; the model and settings are unchanged.');
  };
}

/** Everything but the per-layer plan: when these differ, nothing of a previous run is valid. */
function sameGlobals(a: JobConfig, b: JobConfig): boolean {
  const strip = ({ layers: _l, wbits: _w, ...rest }: JobConfig) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function skippedRecord(plan: LayerPlan): LayerRecord {
  const l = plan.layer;
  return {
    name: l.name, op: l.op, params: l.params, wbits: 32, method: 'float', skipped: true, relOutputErrorFloat: 0,
    relOutputError: 0, relOutputErrorRtn: 0, sqnrDb: Infinity, weightMse: 0, activation: null, epochs: 0, flips: 0, seconds: 0,
    codeHistogram: [], errorPerEpoch: [], reused: false,
  };
}

/** Every output of the model, float against quantized, on the scored images (ModelMetrics). */
async function evaluate(
  sim: Simulator, set: ImageSet, outputs: GraphView['outputs'], batchSize: number, onBatch: (done: number) => void, check: () => Promise<void>,
  { scores, floatScores }: Pick<JobDeps, 'scores' | 'floatScores'>,
): Promise<ModelMetrics> {
  const metrics = new ModelMetricsAccumulator(outputs, scores);
  const names = outputs.map((o) => o.name);
  for (let start = 0; start < set.count; start += batchSize) {
    await check();
    const b = batchOf(set, start, batchSize);
    const input = { data: b.data, dims: [b.batch, ...set.dims] };
    const key = `${start}+${b.batch}`;
    const f = floatScores?.get(key) ?? (await sim.run(input, 'float', names));
    floatScores?.set(key, f);
    metrics.add(f, await sim.run(input, 'quantized', names), b.labels);
    onBatch(start + b.batch);
  }
  return metrics.result();
}

export function makeProgress(deps: Pick<JobDeps, 'onProgress'>, layers: number, images: number) {
  const start = performance.now();
  return (stage: JobProgress['stage'], plan: Pick<LayerPlan, 'layer'> | null, imagesDone: number, imagesTotal = images) => {
    if (!deps.onProgress) return;
    // Before the first layer ('prepare') there is no layer yet; after the last, evaluation and 'done' count as the last.
    const layer = plan ? plan.layer.index + 1 : stage === 'prepare' ? 0 : layers;
    const fraction = stage === 'done' ? 1 : stage === 'prepare' ? 0 : Math.min(1, (layer - 1 + imagesDone / Math.max(1, imagesTotal)) / layers);
    const elapsed = (performance.now() - start) / 1000;
    deps.onProgress({
      stage, layer, layers, layerName: plan?.layer.name, imagesDone, imagesTotal, fraction,
      etaSeconds: fraction > 0.02 && stage !== 'evaluate' ? (elapsed * (1 - fraction)) / fraction : null,
    });
  };
}
