import { StudioError } from '../errors';
import type { LayerInfo } from '../layers';
import type { GraphView } from '../onnx/graph';
import type { QuantizerSite } from '../onnx/sim-graph';

export type Method = 'rtn' | 'mse' | 'bitsplit';

export interface LayerOverride {
  bits?: number;
  method?: Method;
  skip?: boolean;
}

export interface PlanConfig {
  wbits: number;
  abits: number | 'float';
  method: Method;
  /** Bits of the first and last quantized layers' weights and of the classifier's input (the paper uses 8). */
  firstLastBits: number;
  /** Per-layer choices where they differ from the defaults, by layer name. */
  layers: Record<string, LayerOverride>;
  /**
   * One activation scale per conv input channel, folded into the reading layer's weights (the paper's
   * variant): on, off, or 'auto' — on for the conv inputs that `planLayers` is told chose them.
   */
  channelScales?: boolean | 'auto';
  /** Inputs that may be negative get an asymmetric grid with a zero point (per channel with `channelScales`). Absent: symmetric. */
  asymmetric?: boolean;
}

/** Per-channel activation scales: how many, on which axis of the tensor, and the shape they broadcast with. */
export interface ChannelScales {
  count: number;
  axis: number;
  shape: number[];
}

export interface InputQuantizer {
  tensor: string;
  bits: number;
  signed: boolean;
  /** A signed input on 2^bits levels with a zero point, instead of a symmetric grid's 2^bits - 1. */
  asymmetric?: boolean;
  /** Absent: one scale for the whole tensor. */
  channels?: ChannelScales;
  /** The largest value the input can hold, where a Clip right before it says (ReLU6): no grid level goes beyond it. */
  ceiling?: number;
}

/** The channel of each flat index of a tensor of `dims` whose axis `axis` (negative from the back) has `count` channels. */
export function channelIndex(count: number, dims: readonly number[] = [], axis = 1): (i: number) => number {
  if (count === 1) return () => 0;
  const a = axis < 0 ? dims.length + axis : axis;
  if (dims[a] !== count)
    throw new StudioError(
      'InvalidArgumentError',
      `A tensor of shape [${dims.join(', ')}] has no ${count} channels on axis ${axis}.`,
    );
  const inner = dims.slice(a + 1).reduce((p, d) => p * d, 1);
  return (i) => Math.floor(i / inner) % count;
}

/** Conv inputs are N, C, spatial...: axis 1. Dense layers reduce over the last axis. */
export function inputChannels(layer: LayerInfo): ChannelScales {
  if (layer.conv) {
    const count = layer.weightShape[1] * layer.groups;
    return { count, axis: 1, shape: [1, count, ...layer.weightShape.slice(2).map(() => 1)] };
  }
  return { count: layer.n, axis: -1, shape: [layer.n] };
}

export interface LayerPlan {
  layer: LayerInfo;
  bits: number;
  method: Method;
  skip: boolean;
  /** null: the layer reads its input in float (the image, or float activations). */
  input: InputQuantizer | null;
}

/** Ops whose output is non-negative whenever their input is. */
const SIGN_PRESERVING = new Set([
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'Identity',
  'Concat',
  'Resize',
  'Upsample',
]);

/** Whether a tensor can only hold values >= 0: it comes from a ReLU, a Clip at >= 0 or a sigmoid. */
export function isNonNegative(graph: GraphView, tensor: string, depth = 0): boolean {
  const node = graph.producers.get(tensor);
  if (!node || depth > 32) return false;
  if (node.opType === 'Relu' || node.opType === 'Sigmoid' || node.opType === 'Softmax') return true;
  if (node.opType === 'Clip') {
    const min = node.input[1] ? graph.constantTensor(node.input[1])?.values[0] : node.attribute.find((a) => a.name === 'min')?.f;
    return min !== undefined && Number(min) >= 0;
  }
  if (SIGN_PRESERVING.has(node.opType)) {
    const inputs = node.opType === 'Concat' ? node.input : [node.input[0]];
    return inputs.every((t) => isNonNegative(graph, t, depth + 1));
  }
  return false;
}

/** The constant upper bound of a Clip that produces `tensor` (ReLU6's 6), or undefined. */
export function clipCeiling(graph: GraphView, tensor: string): number | undefined {
  const node = graph.producers.get(tensor);
  if (node?.opType !== 'Clip') return undefined;
  const max = node.input[2] ? graph.constantTensor(node.input[2])?.values[0] : node.attribute.find((a) => a.name === 'max')?.f;
  return max === undefined || !Number.isFinite(Number(max)) ? undefined : Number(max);
}

/**
 * Bits, method and input quantizer of every layer: the paper's rule puts the first and last quantized
 * layers (and the last one's input) at `firstLastBits`; per-layer overrides win. The model's own
 * inputs stay float, and so do all activations with abits = 'float'.
 */
/** The weight bits of each layer (by index): the override, else the first/last rule, else the default. */
export function plannedBits(
  layers: readonly { index: number; name: string }[],
  c: Pick<PlanConfig, 'wbits' | 'firstLastBits' | 'layers'>,
): Map<number, number> {
  const edges = new Set(edgeLayers(layers, c.layers).map((l) => l.index));
  return new Map(layers.map((l) => [l.index, c.layers[l.name]?.bits ?? (edges.has(l.index) ? c.firstLastBits : c.wbits)]));
}

/** The first and last layers that are quantized (not kept in float): the paper's rule gives them more bits. */
export function edgeLayers<L extends { name: string }>(layers: readonly L[], overrides: PlanConfig['layers']): L[] {
  const active = layers.filter((l) => !overrides[l.name]?.skip);
  return [...new Set([active[0], active.at(-1)])].filter((l): l is L => l !== undefined);
}

/**
 * The overrides of a mixed-precision choice: its bits for every layer, each layer's method and skip kept.
 * Bits the choice does not name (skipped layers) are left as they were.
 */
export function withChosenBits(overrides: PlanConfig['layers'], bits: Record<string, number>): PlanConfig['layers'] {
  const next = { ...overrides };
  for (const [name, b] of Object.entries(bits)) next[name] = { ...next[name], bits: b };
  return next;
}

export function planLayers(
  graph: GraphView,
  layers: LayerInfo[],
  c: PlanConfig,
  autoChannels: readonly string[] = [],
): { plans: LayerPlan[]; sites: QuantizerSite[] } {
  const active = layers.filter((l) => !c.layers[l.name]?.skip);
  const last = active.at(-1)?.index;
  const bitsOf = plannedBits(layers, c);
  const modelInputs = new Set(graph.inputs.map((i) => i.name));
  const sites = new Map<string, QuantizerSite>();
  const plans = layers.map((layer): LayerPlan => {
    const o = c.layers[layer.name] ?? {};
    const bits = bitsOf.get(layer.index)!;
    let input: InputQuantizer | null = null;
    if (!o.skip && c.abits !== 'float' && !modelInputs.has(layer.input)) {
      input = {
        tensor: layer.input,
        bits: layer.index === last ? Math.max(c.abits, c.firstLastBits) : c.abits,
        signed: !isNonNegative(graph, layer.input),
      };
      // Dense layers keep one scale: their inputs give one value per image and channel, too few to fit a
      // scale per channel that holds on images beyond the calibration ones (measured on the demo's classifier).
      const perChannel = c.channelScales === true || (c.channelScales === 'auto' && autoChannels.includes(layer.input));
      const channels = perChannel && layer.conv ? inputChannels(layer) : undefined;
      if (channels) input.channels = channels;
      if (c.asymmetric && input.signed) input.asymmetric = true;
      const ceiling = input.signed ? undefined : clipCeiling(graph, layer.input);
      if (ceiling !== undefined && ceiling > 0) input.ceiling = ceiling;
      const site = sites.get(layer.input) ?? { tensor: layer.input, scaleShape: channels?.shape ?? [], readers: [] };
      if (JSON.stringify(site.scaleShape) !== JSON.stringify(channels?.shape ?? [])) {
        throw new StudioError(
          'UnsupportedModelError',
          `Tensor "${layer.input}" feeds layers that read its channels differently ("${site.readers[0]}" and "${layer.name}"): ` +
            'per-channel activation scales need one layout; turn them off for this model.',
        );
      }
      site.readers.push(layer.name);
      sites.set(layer.input, site);
    }
    return { layer, bits, method: o.method ?? c.method, skip: Boolean(o.skip), input };
  });
  return { plans, sites: [...sites.values()] };
}

/** Layers whose input depends on any of `changed` (through the graph), `changed` included. */
export function affectedLayers(graph: GraphView, layers: LayerInfo[], changed: Set<number>): Set<number> {
  const byOutput = new Map(layers.map((l) => [l.output, l]));
  const affected = new Set(changed);
  const seen = new Set<string>();
  const queue = layers.filter((l) => changed.has(l.index)).map((l) => l.output);
  while (queue.length > 0) {
    const tensor = queue.pop()!;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    for (const node of graph.consumers.get(tensor) ?? []) {
      for (const out of node.output) {
        const layer = byOutput.get(out);
        if (layer) affected.add(layer.index);
        queue.push(out);
      }
    }
  }
  return affected;
}
