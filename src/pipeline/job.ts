import { StudioError } from '../core/errors';
import { layerWeights } from '../core/layer-weights';
import type { LayerInfo } from '../core/layers';
import { ModelMetricsAccumulator, type ModelMetrics } from '../core/model-metrics';
import type { GraphView } from '../core/onnx/graph';
import { planLayers, type LayerPlan } from '../core/quant/plan';
import { residualTarget } from '../core/residual-target';
import { timed } from './calibration';
import { autoChannelTensors } from './channel-choice';
import { batchOf, type ImageSet } from './images';
import type { JobConfig } from './job-config';
import {
  activationRecord,
  fitInputQuantizer,
  keepFloat,
  layerProblem,
  reuseLayer,
  roundBias,
  solveLayer,
  sumLayer,
  type JobState,
} from './job-steps';
import type { JobDeps, JobProgress, JobResult } from './job-types';
import { reuseFrom } from './rerun';
import { Simulator } from './simulator';

export { resultPlan, type JobDeps, type JobProgress, type JobResult, type LayerRecord } from './job-types';

/** A layer's inputs over the calibration images are kept between its quantizer fit and its sums up to this size. */
const INPUT_CACHE_BYTES = 256 * 2 ** 20;

/**
 * The quantization job (bit-split.md, section 7): layer by layer in topological order, fit the input's
 * activation quantizer on what the partly quantized model feeds it, sum A and C against the float model's
 * targets, solve, and feed the quantized weights to every later layer. Without ECAQ, every layer is solved
 * on float inputs and activation grids are fitted afterwards. A rerun takes what rerun.ts says still holds.
 */
export async function runJob(
  graph: GraphView,
  layers: LayerInfo[],
  calib: ImageSet,
  evalSet: ImageSet | null,
  config: JobConfig,
  deps: JobDeps,
): Promise<JobResult> {
  const check = cancellationCheck(deps.signal);
  await check();
  refuseUnrunnable(graph, config);
  const started = performance.now();
  const seconds: Record<string, number> = {};
  const executionProvider = deps.executionProvider ?? 'wasm';
  const calibCount = Math.min(config.calibImages, calib.count);
  if (calibCount === 0) throw new StudioError('InvalidArgumentError', 'No calibration images: add at least one image.');
  const progress = makeProgress(deps, layers.length, calibCount);
  const floatWeights = new Map(layers.map((l) => [l.index, layerWeights(graph, l).original]));

  // Plan: which inputs get one grid per channel, each layer's bits and quantizers, and what a rerun keeps.
  const reuse = reuseFrom(graph, layers, deps.previous, config, { backend: deps.backend.name, executionProvider });
  const channelTensors =
    reuse?.channelTensors ??
    (await timed(seconds, 'channelChoice', () =>
      autoChannelTensors(graph, layers, calib, config, {
        floatWeights,
        executionProvider,
        check,
        onBatch: (done, total) => progress('prepare', null, done, total),
      }),
    ));
  const { plans, sites } = planLayers(graph, layers, config, channelTensors);
  const reused = reuse?.layers(plans) ?? new Set<number>();
  for (const plan of plans) if (!plan.skip) deps.backend.assertFits?.(plan.layer);
  const residuals = new Map(
    config.ecaq && config.residualCompensation
      ? plans.flatMap((p) => {
          const r = p.skip || p.method !== 'bitsplit' ? null : residualTarget(graph, p.layer, layers);
          return r ? [[p.layer.index, r] as const] : [];
        })
      : [],
  );
  const sim = await Simulator.create(
    graph,
    layers,
    sites,
    floatWeights,
    [...residuals.values()].map((r) => r.shortcut),
    executionProvider,
  );
  const s: JobState = {
    graph,
    config,
    deps,
    sim,
    residuals,
    progress,
    cacheBytes: deps.inputCacheBytes ?? INPUT_CACHE_BYTES,
    pass: { sim, images: calib, count: calibCount, batchSize: config.batchSize, check, seconds },
    codes: new Map(),
    corrected: new Map(),
    records: [],
  };
  seconds.prepare = (performance.now() - started) / 1000;

  try {
    const solveStart = performance.now();
    for (const plan of plans) {
      await check();
      const earlier = reuse?.previous.layers[plan.layer.index];
      if (plan.skip) keepFloat(s, plan);
      else if (reuse && reused.has(plan.layer.index) && earlier && !earlier.skipped) reuseLayer(s, plan, reuse.previous);
      else await quantizeLayer(s, plan);
    }
    seconds.calibrateAndSolve = (performance.now() - solveStart) / 1000;
    if (!config.ecaq) await timed(seconds, 'activations', () => fitGridsAfterwards(s, plans));

    let metrics: ModelMetrics | null = null;
    if (evalSet && evalSet.count > 0) {
      metrics = await timed(seconds, 'evaluate', () =>
        evaluate(
          sim,
          evalSet,
          graph.outputs,
          config.batchSize,
          (done) => progress('evaluate', null, done, evalSet.count),
          check,
          deps,
        ),
      );
    }
    seconds.total = (performance.now() - started) / 1000;
    progress('done', null, calibCount);
    const { weights, biases, quantizers } = sim.state();
    return {
      config,
      backend: deps.backend.name,
      executionProvider,
      layers: s.records,
      metrics,
      seconds,
      weights,
      codes: s.codes,
      biases,
      correctedBiases: new Map(s.corrected),
      quantizers,
      channelTensors,
    };
  } finally {
    await sim.release();
  }
}

/** One layer: its input's grid on what the model before it feeds it (ECAQ), its sums, its solve. */
async function quantizeLayer(s: JobState, plan: LayerPlan): Promise<void> {
  const started = performance.now();
  const seconds = s.pass.seconds;
  const shortcut = s.residuals.get(plan.layer.index)?.shortcut;
  const cachedInputs =
    s.config.ecaq && plan.input
      ? await timed(seconds, 'fitActivations', () => fitInputQuantizer(s, plan, 'quantized', shortcut ? [shortcut] : []))
      : undefined;
  const problem = layerProblem(s, plan);
  let accumulator = null;
  try {
    accumulator = await sumLayer(s, problem, cachedInputs);
    await solveLayer(s, problem, accumulator, started);
  } finally {
    accumulator?.destroy();
  }
}

/** Without ECAQ the layers were solved on float inputs: the activation grids are fitted on the quantized model after. */
async function fitGridsAfterwards(s: JobState, plans: LayerPlan[]): Promise<void> {
  for (const plan of plans) {
    if (!plan.input || plan.skip) continue;
    await fitInputQuantizer(s, plan, 'quantized');
    roundBias(s, plan);
  }
  for (const r of s.records) {
    const plan = plans.find((p) => p.layer.name === r.name)!;
    if (plan.input) r.activation = activationRecord(s, plan);
  }
}

function refuseUnrunnable(graph: GraphView, config: JobConfig): void {
  const input = graph.inputs[0];
  if (input && input.elemType !== 'FLOAT') {
    throw new StudioError(
      'UnsupportedModelError',
      `The model's input "${input.name}" is ${input.elemType}; the studio quantizes models that compute in float32. ` +
        "Convert it to float32 first (e.g. onnxconverter-common's float16 tools), then open it again.",
    );
  }
  if (config.channelScales === true && !config.ecaq) {
    throw new StudioError(
      'InvalidArgumentError',
      "Per-channel activation scales are folded into each layer's weights as it is solved, so they need error compensation on: turn it on, or use one scale per tensor.",
    );
  }
}

/** Yields to the event loop first: a cancel request is a message that only arrives between tasks. */
export function cancellationCheck(signal: AbortSignal | undefined): () => Promise<void> {
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (signal?.aborted) throw new StudioError('CancelledError', 'The run was cancelled; the model and settings are unchanged.');
  };
}

/** Every output of the model, float against quantized, on the scored images (ModelMetrics). */
async function evaluate(
  sim: Simulator,
  set: ImageSet,
  outputs: GraphView['outputs'],
  batchSize: number,
  onBatch: (done: number) => void,
  check: () => Promise<void>,
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
    const fraction =
      stage === 'done' ? 1 : stage === 'prepare' ? 0 : Math.min(1, (layer - 1 + imagesDone / Math.max(1, imagesTotal)) / layers);
    const elapsed = (performance.now() - start) / 1000;
    deps.onProgress({
      stage,
      layer,
      layers,
      layerName: plan?.layer.name,
      imagesDone,
      imagesTotal,
      fraction,
      etaSeconds: fraction > 0.02 && stage !== 'evaluate' ? (elapsed * (1 - fraction)) / fraction : null,
    });
  };
}
