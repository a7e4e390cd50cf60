import { layerBias, layerCodes, layerWeights } from '../core/layer-weights';
import type { LayerInfo } from '../core/layers';
import { ClassScoresAccumulator } from '../core/model-metrics';
import type { GraphView } from '../core/onnx/graph';
import type { SensitivityCell, SensitivityTable } from '../core/quant/mixed-precision';
import { planLayers } from '../core/quant/plan';
import { accumulateLayer, batchStarts, type CalibrationPass } from './calibration';
import { layerErrors } from './layer-errors';
import { batchOf, type ImageSet } from './images';
import { cancellationCheck, makeProgress, type JobDeps } from './job';
import { type JobConfig } from './job-config';
import { Simulator } from './simulator';

export const SENSITIVITY_BITS = [2, 3, 4, 5, 6, 7, 8];

/** Model outputs kept between cells up to this many floats; beyond it they are recomputed per cell. */
const CACHED_OUTPUT_FLOATS = 1 << 24;

/**
 * How much each layer alone costs the model at each bit-width: the layer's A and C are accumulated once
 * on float inputs, solved at every bit-width with its method, and the model is run with only that
 * layer's weights quantized (activations float), against the float outputs. The model is scored on
 * images the solver did not see where there are any: a low-bit solution of a large layer fits its
 * calibration images better than others, and scored on them its cost would look smaller than it is.
 */
export async function measureSensitivity(
  graph: GraphView,
  layers: LayerInfo[],
  calib: ImageSet,
  scoring: ImageSet,
  config: JobConfig,
  deps: JobDeps,
  bits = SENSITIVITY_BITS,
): Promise<SensitivityTable> {
  const check = cancellationCheck(deps.signal);
  await check();
  const started = performance.now();
  const plans = planLayers(graph, layers, config).plans.filter((p) => !p.skip);
  const floatWeights = new Map(layers.map((l) => [l.index, layerWeights(graph, l).original]));
  const sim = await Simulator.create(graph, layers, [], floatWeights, [], deps.executionProvider);
  const pass: CalibrationPass = {
    sim,
    images: calib,
    count: Math.min(config.calibImages, calib.count),
    batchSize: config.batchSize,
    check,
  };
  const progress = makeProgress(deps, plans.length, pass.count);
  const output = graph.outputs[0].name;
  const scores = deps.scores ?? ((x: Float32Array) => x);
  const batches = batchStarts({ count: scoring.count, batchSize: config.batchSize }).map((start) =>
    batchOf(scoring, start, config.batchSize),
  );
  const run = async (b: (typeof batches)[number], mode: 'float' | 'quantized') =>
    scores((await sim.run({ data: b.data, dims: [b.batch, ...scoring.dims] }, mode, [output]))[output].data, b.batch);
  try {
    const cached: Float32Array[] = [];
    for (const b of batches) cached.push(await run(b, 'float'));
    const keep = cached.reduce((s, o) => s + o.length, 0) <= CACHED_OUTPUT_FLOATS;
    if (!keep) cached.length = 0;
    const table: SensitivityTable = { bits, images: scoring.count, layers: [], seconds: 0 };
    for (const plan of plans) {
      const layer = plan.layer;
      const weights = layerWeights(graph, layer);
      const acc = await accumulateLayer(pass, layer, deps.backend, {
        mode: 'float',
        bias: layerBias(graph, layer),
        positionsPerImage: config.positions,
        seed: config.seed + layer.index,
        onBatch: (done) => progress('sensitivity', plan, done / 2),
      });
      try {
        const errors = layerErrors(acc, layer.m, layer.n);
        const cells: SensitivityCell[] = [];
        for (const [k, b] of bits.entries()) {
          await check();
          const solved = await acc.solve(weights.matrix, b, plan.method, { maxEpochs: config.epochs, fullGrid: config.fullGrid });
          sim.setWeights(layer.index, layerCodes(layer, solved.weights).weights);
          const metrics = new ClassScoresAccumulator();
          for (const [i, batch] of batches.entries()) {
            const f = keep ? cached[i] : await run(batch, 'float');
            metrics.add(f, await run(batch, 'quantized'), f.length / batch.batch, batch.labels);
          }
          const m = metrics.result();
          if (m.top1Float !== undefined) table.top1Float = m.top1Float;
          cells.push({
            bits: b,
            relOutputError: (await errors.of(solved)).relative,
            kl: m.kl,
            agreement: m.agreement,
            ...(m.top1 !== undefined ? { top1: m.top1 } : {}),
          });
          progress('sensitivity', plan, pass.count * (0.5 + (k + 1) / (2 * bits.length)));
        }
        table.layers.push({ name: layer.name, op: layer.op, params: layer.params, method: plan.method, cells });
      } finally {
        acc.destroy();
        sim.setWeights(layer.index, null);
      }
    }
    table.seconds = (performance.now() - started) / 1000;
    return table;
  } finally {
    await sim.release();
  }
}
