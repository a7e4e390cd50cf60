import { foldChannelScales, layerBias, layerCodes, layerWeights, storedBias, unfoldChannelScales } from '../core/layer-weights';
import type { GraphView } from '../core/onnx/graph';
import { fitActivationGrid } from '../core/quant/activation-scale';
import { quantizeBias } from '../core/quant/bias';
import { correctedBias, meanError } from '../core/quant/bias-correction';
import { fakeQuantize } from '../core/quant/fake-quantize';
import { dequantize, type QuantizedWeights } from '../core/quant/grid';
import { codeHistogram, weightMse } from '../core/quant/metrics';
import { channelIndex, type LayerPlan } from '../core/quant/plan';
import { seededRandom } from '../core/random';
import type { ResidualTarget } from '../core/residual-target';
import type { Outputs } from '../runtime/ort';
import { accumulateLayer, batchStarts, timed, type CalibrationPass } from './calibration';
import { batchOf } from './images';
import type { JobConfig } from './job-config';
import type { JobDeps, JobProgress, JobResult, LayerRecord } from './job-types';
import { layerErrors } from './layer-errors';
import type { Simulator } from './simulator';
import type { LayerAccumulator } from './solver-backend';

/** Values per activation quantizer the fit sees at most, drawn at random over the calibration images. */
const SAMPLES_PER_TENSOR = 1 << 18;

/** What the job carries from layer to layer: the partly quantized model and what each step left. */
export interface JobState {
  graph: GraphView;
  config: JobConfig;
  deps: JobDeps;
  sim: Simulator;
  pass: CalibrationPass;
  /** Bytes of a layer's inputs kept from its quantizer fit for its sums (0: the sums run the model again). */
  cacheBytes: number;
  residuals: Map<number, ResidualTarget>;
  progress: (
    stage: JobProgress['stage'],
    plan: Pick<LayerPlan, 'layer'> | null,
    imagesDone: number,
    imagesTotal?: number,
  ) => void;
  /** Per layer: its codes, and its bias after bias correction (before any int32 rounding). */
  codes: Map<number, QuantizedWeights>;
  corrected: Map<number, Float32Array>;
  records: LayerRecord[];
}

/** A layer kept in float. */
export function keepFloat(s: JobState, plan: LayerPlan): void {
  const l = plan.layer;
  s.records.push({
    name: l.name,
    op: l.op,
    params: l.params,
    wbits: 32,
    method: 'float',
    skipped: true,
    relOutputErrorFloat: 0,
    relOutputError: 0,
    relOutputErrorRtn: 0,
    sqnrDb: Infinity,
    weightMse: 0,
    activation: null,
    epochs: 0,
    flips: 0,
    seconds: 0,
    codeHistogram: [],
    errorPerEpoch: [],
    reused: false,
  });
}

/** The previous run's result for a layer nothing it depends on changed in: weights, bias, input quantizer, record. */
export function reuseLayer(s: JobState, plan: LayerPlan, previous: JobResult): void {
  const i = plan.layer.index;
  s.sim.setWeights(i, previous.weights.get(i)!);
  s.codes.set(i, previous.codes.get(i)!);
  const bias = previous.biases.get(i);
  if (bias && (s.config.ecaq || !bias.codes)) s.sim.setBias(i, bias);
  const fix = previous.correctedBiases.get(i);
  if (fix) s.corrected.set(i, fix);
  const q = plan.input && previous.quantizers.get(plan.input.tensor);
  if (plan.input && q && s.config.ecaq) s.sim.setQuantizer(plan.input.tensor, q);
  s.records.push({ ...previous.layers[i], reused: true, seconds: 0 });
}

/**
 * Fits a layer's input quantizer (one grid, or one per channel) on seeded samples of what the current model
 * feeds it. `extra`: tensors kept beside the input from the same runs (a shortcut, which never reads this
 * quantizer). Returns those runs' outputs where they fit the cache: the layer's input does not depend on its
 * own quantizer, so its sums can take them instead of running the model again.
 */
export async function fitInputQuantizer(
  s: JobState,
  plan: LayerPlan,
  mode: 'float' | 'quantized',
  extra: string[] = [],
): Promise<Outputs[] | undefined> {
  const q = plan.input!;
  if (s.sim.quantizer(q.tensor)) return undefined;
  const { images, count, batchSize, check } = s.pass;
  const batches = batchStarts(s.pass);
  const channels = q.channels?.count ?? 1;
  const samples: number[][] = Array.from({ length: channels }, () => []);
  const random = seededRandom(s.config.seed ^ (plan.layer.index * 7919));
  const kept: Outputs[] = [];
  let keptBytes = 0;
  for (const start of batches) {
    await check();
    const b = batchOf(images, start, Math.min(batchSize, count - start));
    const out = await s.sim.run({ data: b.data, dims: [b.batch, ...images.dims] }, mode, [q.tensor, ...extra]);
    const x = out[q.tensor];
    keptBytes += Object.values(out).reduce((n, t) => n + t.data.byteLength, 0);
    if (keptBytes <= s.cacheBytes) kept.push(out);
    const channelOf = channelIndex(channels, x.dims, q.channels?.axis);
    const keep = Math.min(1, SAMPLES_PER_TENSOR / (x.data.length * batches.length));
    for (let i = 0; i < x.data.length; i++) if (keep >= 1 || random() < keep) samples[channelOf(i)].push(x.data[i]);
    s.progress('activations', plan, start + b.batch);
  }
  // Below a Clip's bound (ReLU6) the top level stays within it: nothing lies beyond, and onnxruntime then drops
  // the Clip into the QuantizeLinear (with a grid reaching past it, its optimizer rejects some Conv-Clip files).
  const grids = samples.map((values) => {
    const g = fitActivationGrid(values, q.bits, q.signed, Boolean(q.asymmetric));
    return q.ceiling !== undefined && g.scale * g.qmax > q.ceiling ? { ...g, scale: float32AtMost(q.ceiling / g.qmax) } : g;
  });
  s.sim.setQuantizer(q.tensor, {
    scale: Float32Array.from(grids, (g) => g.scale),
    qmin: Float32Array.from(grids, (g) => g.qmin),
    qmax: Float32Array.from(grids, (g) => g.qmax),
    on: true,
  });
  return keptBytes <= s.cacheBytes ? kept : undefined;
}

/** A layer as its solve sees it: the matrix (input channel scales folded in) and the bias correction's start. */
export interface LayerProblem {
  plan: LayerPlan;
  original: Float32Array;
  matrix: Float32Array;
  /** Folded per-channel input scales: the layer reads the codes x / s, and its weights are W diag(s). */
  folded: Float32Array | null;
  /** The stored float bias, where bias correction applies. */
  floatBias: Float32Array | null;
}

export function layerProblem(s: JobState, plan: LayerPlan): LayerProblem {
  const q = s.config.ecaq && plan.input ? s.sim.quantizer(plan.input.tensor)! : null;
  const folded = q && plan.input?.channels ? q.scale : null;
  const original = layerWeights(s.graph, plan.layer).matrix;
  return {
    plan,
    original,
    folded,
    matrix: folded ? foldChannelScales(plan.layer, original, folded) : original,
    floatBias: s.config.biasCorrection && plan.method === 'bitsplit' ? storedBias(s.graph, plan.layer) : null,
  };
}

/** A, C (and the means, for bias correction) of the layer over the calibration images, on its real input. */
export function sumLayer(s: JobState, p: LayerProblem, cachedInputs: Outputs[] | undefined): Promise<LayerAccumulator> {
  const { plan } = p;
  const q = s.config.ecaq && plan.input ? s.sim.quantizer(plan.input.tensor)! : null;
  return accumulateLayer(s.pass, plan.layer, s.deps.backend, {
    mode: s.config.ecaq ? 'quantized' : 'float',
    quantizeInput: q
      ? (x, dims) => fakeQuantize(x, q, { dims, axis: plan.input?.channels?.axis, codes: Boolean(p.folded) })
      : undefined,
    bias: layerBias(s.graph, plan.layer),
    cachedInputs,
    residual: s.residuals.get(plan.layer.index),
    positionsPerImage: s.config.positions,
    seed: s.config.seed + plan.layer.index,
    means: p.floatBias !== null,
    onBatch: (done) => s.progress('calibrate', plan, done),
  });
}

/** Solves the layer, puts its weights (and corrected bias) into the model, and records what it cost. */
export async function solveLayer(s: JobState, p: LayerProblem, acc: LayerAccumulator, started: number): Promise<void> {
  const { plan, matrix, folded, floatBias } = p;
  const { layer } = plan;
  const seconds = s.pass.seconds;
  const means = floatBias ? await timed(seconds, 'accumulate', () => acc.center()) : null;
  const solved = await timed(seconds, 'solve', () =>
    acc.solve(matrix, plan.bits, plan.method, { maxEpochs: s.config.epochs, fullGrid: s.config.fullGrid }),
  );
  const rtn = plan.method === 'rtn' ? solved : await timed(seconds, 'solve', () => acc.solve(matrix, plan.bits, 'rtn'));
  const errors = layerErrors(acc, layer.m, layer.n, { means });
  const dequantized = layerCodes(layer, solved.weights).weights;
  s.sim.setWeights(layer.index, folded ? unfoldChannelScales(layer, dequantized, folded) : dequantized);
  s.codes.set(layer.index, solved.weights);
  if (means && floatBias) {
    const bias = correctedBias(floatBias, meanError(means, dequantize(solved.weights)));
    s.corrected.set(layer.index, bias);
    s.sim.setBias(layer.index, { values: bias });
  }
  if (s.config.ecaq) roundBias(s, plan);
  const after = await errors.of(solved);
  s.records.push({
    name: layer.name,
    op: layer.op,
    params: layer.params,
    wbits: plan.bits,
    method: plan.method,
    skipped: false,
    relOutputErrorFloat: await errors.float(matrix),
    relOutputError: after.relative,
    relOutputErrorRtn: (await errors.uncorrected(rtn)).relative,
    sqnrDb: after.sqnrDb,
    weightMse: weightMse(matrix, solved.weights),
    activation: activationRecord(s, plan),
    epochs: solved.epochs,
    flips: solved.flips,
    seconds: (performance.now() - started) / 1000,
    codeHistogram: codeHistogram(solved.weights),
    reused: false,
    errorPerEpoch: await errors.perEpoch(solved.objective),
  });
}

/** Once a layer's input and weight are quantized, its bias is what a QDQ runtime makes of it: int32 codes. */
export function roundBias(s: JobState, plan: LayerPlan): void {
  const q = plan.input && s.sim.quantizer(plan.input.tensor);
  const bias = s.corrected.get(plan.layer.index) ?? storedBias(s.graph, plan.layer);
  const weights = s.codes.get(plan.layer.index);
  if (!q || !bias || !weights) return;
  // Folded scales: the layer reads integer codes, whose scale is 1.
  s.sim.setBias(
    plan.layer.index,
    quantizeBias(bias, plan.input?.channels ? 1 : q.scale[0], layerCodes(plan.layer, weights).scales),
  );
}

export function activationRecord(s: JobState, plan: LayerPlan): LayerRecord['activation'] {
  if (!plan.input) return null;
  const q = s.sim.quantizer(plan.input.tensor);
  const scale = q?.scale ?? Float32Array.of(0);
  return {
    bits: plan.input.bits,
    signed: plan.input.signed,
    scale: scale[0],
    ...(plan.input.asymmetric && q ? { zeroPoint: -q.qmin[0] } : {}),
    ...(plan.input.channels ? { channelScales: Array.from(scale) } : {}),
    ...(plan.input.asymmetric && plan.input.channels && q ? { channelZeroPoints: Array.from(q.qmin, (lo) => -lo) } : {}),
  };
}

/** The largest float32 not above x (a scale whose top level must stay within a bound). */
function float32AtMost(x: number): number {
  const f = new Float32Array([x]);
  if (f[0] > x) new Int32Array(f.buffer)[0] -= 1;
  return f[0];
}
