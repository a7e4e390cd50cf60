import type { LayerInfo } from '../core/layers';
import type { GraphView } from '../core/onnx/graph';
import { CHANNEL_SCALE_GAIN, channelScaleGain } from '../core/quant/channel-choice';
import { channelIndex, planLayers, type InputQuantizer } from '../core/quant/plan';
import { seededRandom } from '../core/random';
import type { ExecutionProvider } from '../runtime/ort';
import { batchOf, type ImageSet } from './images';
import type { JobConfig } from './job-config';
import { Simulator } from './simulator';

/** Calibration images the choice looks at, how many at a time, and the values it keeps per tensor. */
const CHOICE_IMAGES = 32;
const CHOICE_BATCH = 8;
const CHOICE_SAMPLES = 1 << 16;

/**
 * Per-channel activation scales on "auto": every conv input below 8 bits, if the float values of any of
 * them, on the first calibration images, lose at least CHANNEL_SCALE_GAIN times less on one grid per
 * channel than on one grid for the tensor; else none. The whole model, not input by input: a model with
 * lopsided inputs gains more from per-channel grids on all of them than on those past the threshold
 * (docs/benchmarks.md). At 8 bits one scale per tensor stays: it keeps the integer kernels a QDQ runtime has for such layers (a
 * folded per-channel input runs them in float). Nothing to choose (not "auto", no error compensation,
 * float activations): none.
 */
export async function autoChannelTensors(
  graph: GraphView,
  layers: LayerInfo[],
  calib: ImageSet,
  config: JobConfig,
  o: {
    /** The layers' float weights, as the job holds them. */
    floatWeights: Map<number, Float32Array>;
    executionProvider: ExecutionProvider;
    check: () => Promise<void>;
    onBatch?: (imagesDone: number, imagesTotal: number) => void;
  },
): Promise<string[]> {
  if (config.channelScales !== 'auto' || !config.ecaq || config.abits === 'float') return [];
  const candidates = candidateInputs(graph, layers, config);
  if (candidates.size === 0) return [];
  const tensors = [...candidates.keys()];
  const sim = await Simulator.create(graph, layers, [], o.floatWeights, tensors, o.executionProvider);
  const count = Math.min(CHOICE_IMAGES, config.calibImages, calib.count);
  const samples = new Map(
    tensors.map((t) => [t, Array.from({ length: candidates.get(t)!.channels.count }, () => [] as number[])]),
  );
  const random = seededRandom(config.seed ^ 0x5eed);
  try {
    for (let start = 0; start < count; start += CHOICE_BATCH) {
      await o.check();
      const b = batchOf(calib, start, Math.min(CHOICE_BATCH, count - start));
      const out = await sim.run({ data: b.data, dims: [b.batch, ...calib.dims] }, 'float', tensors);
      for (const [tensor, q] of candidates) {
        const x = out[tensor];
        const channelOf = channelIndex(q.channels.count, x.dims, q.channels.axis);
        const keep = Math.min(1, (CHOICE_SAMPLES * b.batch) / (x.data.length * count));
        const perChannel = samples.get(tensor)!;
        for (let i = 0; i < x.data.length; i++) if (keep >= 1 || random() < keep) perChannel[channelOf(i)].push(x.data[i]);
      }
      o.onBatch?.(start + b.batch, count);
    }
  } finally {
    await sim.release();
  }
  const lopsided = tensors.some((t) => {
    const q = candidates.get(t)!;
    return channelScaleGain(samples.get(t)!, q.bits, q.signed, Boolean(q.asymmetric)) >= CHANNEL_SCALE_GAIN;
  });
  return lopsided ? tensors : [];
}

type Candidate = InputQuantizer & { channels: NonNullable<InputQuantizer['channels']> };

/** The conv inputs below 8 bits that could take one scale per channel, as the plan would quantize them. */
export function candidateInputs(graph: GraphView, layers: LayerInfo[], config: JobConfig): Map<string, Candidate> {
  const candidates = new Map<string, Candidate>();
  for (const plan of planLayers(graph, layers, { ...config, channelScales: true }).plans) {
    const q = plan.input;
    if (q?.channels && q.bits < 8 && !candidates.has(q.tensor)) candidates.set(q.tensor, { ...q, channels: q.channels });
  }
  return candidates;
}
