import { StudioError } from '../errors';
import { edgeLayers, withChosenBits, type PlanConfig } from './plan';

/** The model's metrics when only one layer's weights are quantized, at one bit-width (activations float). */
export interface SensitivityCell {
  bits: number;
  /** The layer's own relative output error on its calibration input. */
  relOutputError: number;
  /** Mean KL(float || quantized) of the model's outputs, nats per image. */
  kl: number;
  /** Percent of images whose top-1 class stays the float model's. */
  agreement: number;
  /** Percent, when the images are labelled. */
  top1?: number;
}

export interface LayerSensitivity {
  name: string;
  op: string;
  params: number;
  method: string;
  cells: SensitivityCell[];
}

export interface SensitivityTable {
  bits: number[];
  /** Images the model metrics were measured on (others than the calibration images where there are any). */
  images: number;
  top1Float?: number;
  layers: LayerSensitivity[];
  seconds: number;
}

/**
 * The knapsack's prices: the output KL of each layer at each bit-width, smooth and roughly additive where
 * accuracy is neither. Layers in `fixed` keep those bits (they still count towards the size).
 */
export function bitOptions(table: SensitivityTable, fixed: Record<string, number> = {}): LayerBitOptions[] {
  return table.layers.map((l) => {
    const cells = fixed[l.name] === undefined ? l.cells : l.cells.filter((c) => c.bits === fixed[l.name]);
    if (cells.length === 0)
      throw new StudioError(
        'InvalidArgumentError',
        `Layer "${l.name}" is fixed at ${fixed[l.name]} bits, which its sensitivity was not measured at.`,
      );
    return { name: l.name, params: l.params, options: cells.map((c) => ({ bits: c.bits, cost: c.kl })) };
  });
}

/** One layer's price at each bit-width: what quantizing only this layer costs the model (e.g. output KL). */
export interface LayerBitOptions {
  name: string;
  params: number;
  options: { bits: number; cost: number }[];
}

export interface BitAssignment {
  bits: Record<string, number>;
  /** Sum of parameters x bits over the layers. */
  totalBits: number;
  /** totalBits over the parameters: average bits per quantized weight. */
  averageBits: number;
  /** Sum of the chosen options' costs: the predicted cost, assuming layers add up (ZeroQ's assumption). */
  cost: number;
}

interface Entry {
  size: number;
  cost: number;
  picks: Uint8Array;
}

/** Above this many points the front is thinned to the cheapest point per size bucket. */
const MAX_FRONT = 4096;

/**
 * The Pareto front of (size, predicted cost) over all per-layer bit choices, smallest first: the
 * multiple-choice knapsack solved exactly by merging fronts layer by layer (ZeroQ, Cai et al. 2020),
 * thinned to MAX_FRONT size buckets if it grows beyond that.
 */
export function paretoFront(layers: LayerBitOptions[]): BitAssignment[] {
  if (layers.length === 0) return [];
  for (const l of layers) {
    if (l.options.length === 0)
      throw new StudioError('InvalidArgumentError', `Layer "${l.name}" has no bit-width to choose from.`);
  }
  let front: Entry[] = [{ size: 0, cost: 0, picks: new Uint8Array(layers.length) }];
  layers.forEach((layer, li) => {
    const next: Entry[] = [];
    for (const e of front) {
      layer.options.forEach((o, oi) => {
        const picks = e.picks.slice();
        picks[li] = oi;
        next.push({ size: e.size + layer.params * o.bits, cost: e.cost + o.cost, picks });
      });
    }
    front = thin(nonDominated(next));
  });
  const params = layers.reduce((s, l) => s + l.params, 0);
  return front.map((e) => ({
    bits: Object.fromEntries(layers.map((l, i) => [l.name, l.options[e.picks[i]].bits])),
    totalBits: e.size,
    averageBits: e.size / Math.max(1, params),
    cost: e.cost,
  }));
}

/** The cheapest assignment whose average bits per weight is at most `budgetBits`. */
export function chooseBits(layers: LayerBitOptions[], budgetBits: number): BitAssignment {
  if (!Number.isFinite(budgetBits) || budgetBits <= 0)
    throw new StudioError('InvalidArgumentError', `The budget must be a positive number of bits per weight, got ${budgetBits}.`);
  const front = paretoFront(layers);
  const params = layers.reduce((s, l) => s + l.params, 0);
  // A hair of slack: a budget taken from a uniform configuration's own average must admit it.
  const fits = front.filter((a) => a.totalBits <= budgetBits * params * (1 + 1e-12));
  if (fits.length === 0) {
    const least = front[0]?.averageBits ?? 0;
    throw new StudioError(
      'InvalidArgumentError',
      `A budget of ${budgetBits} bits per weight is below the smallest choice, ${least.toFixed(3)} bits (every layer at its fewest bits); raise the budget.`,
    );
  }
  return fits.reduce((best, a) => (a.cost < best.cost ? a : best));
}

/** Average bits per weight of giving each layer the bits of `bitsOf` (e.g. a uniform configuration). */
export function averageBits(layers: { name: string; params: number }[], bitsOf: (name: string) => number): number {
  const params = layers.reduce((s, l) => s + l.params, 0);
  return layers.reduce((s, l) => s + l.params * bitsOf(l.name), 0) / Math.max(1, params);
}

function nonDominated(entries: Entry[]): Entry[] {
  entries.sort((a, b) => a.size - b.size || a.cost - b.cost);
  const kept: Entry[] = [];
  for (const e of entries) if (kept.length === 0 || e.cost < kept[kept.length - 1].cost) kept.push(e);
  return kept;
}

function thin(front: Entry[]): Entry[] {
  if (front.length <= MAX_FRONT) return front;
  const min = front[0].size;
  const width = (front[front.length - 1].size - min) / MAX_FRONT;
  const kept: Entry[] = [];
  for (const e of front) {
    const bucket = Math.floor((e.size - min) / width);
    const last = kept[kept.length - 1];
    // Within a bucket the front's cost falls with size: the later entry is the cheaper one.
    if (last && Math.floor((last.size - min) / width) === bucket) kept[kept.length - 1] = e;
    else kept.push(e);
  }
  return kept;
}

export interface MixedPrecisionPlan extends BitAssignment {
  budgetBits: number;
  /** Layers held at their bits by the first/last rule (they count towards the budget). */
  fixed: Record<string, number>;
  /** The job's per-layer overrides with the chosen bits. */
  layers: PlanConfig['layers'];
}

/**
 * Bits per layer under an average-bits budget over all quantized weights, the first and last layers
 * included: they stay at the first/last bits (the paper's rule), the knapsack spends the rest.
 */
export function planMixedPrecision(
  layers: readonly { name: string }[],
  table: SensitivityTable,
  config: Pick<PlanConfig, 'firstLastBits' | 'layers'>,
  budgetBits: number,
): MixedPrecisionPlan {
  const fixed = Object.fromEntries(edgeLayers(layers, config.layers).map((l) => [l.name, config.firstLastBits]));
  const choice = chooseBits(bitOptions(table, fixed), budgetBits);
  return { ...choice, budgetBits, fixed, layers: withChosenBits(config.layers, choice.bits) };
}
