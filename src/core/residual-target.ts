import { StudioError } from './errors';
import type { LayerInfo } from './layers';
import type { NodeProto } from 'onnx-buf';
import { attrFloat, type GraphView } from './onnx/graph';
import { tensorToFloat32 } from './onnx/tensor';

/**
 * A layer whose output reaches an Add through per-channel affine nodes only, beside a branch (the
 * shortcut of a residual block) that holds no layer solved after it. Error compensation feeds each
 * layer its real, partly quantized input but aims at its float output; the shortcut's own drift
 * (what the quantized layers before the block changed in it) reaches the sum untouched by that.
 * Aiming this layer at float sum − quantized shortcut instead lets it absorb the part of the drift
 * its input can predict: the sum, not the branch, is what the rest of the model reads.
 */
export interface ResidualTarget {
  /** The Add's other input. */
  shortcut: string;
  /** Per output channel, how much the Add input moves per unit of the layer's output (BatchNormalization's multiplier, or 1). */
  gain: Float32Array;
}

/**
 * The Add this layer's output flows into, through BatchNormalization and Add/Sub/Mul/Div by per-channel
 * or scalar constants (a bias, an unfolded normalisation); null where the output goes anywhere else too.
 */
export function residualTarget(graph: GraphView, layer: LayerInfo, layers: LayerInfo[]): ResidualTarget | null {
  const gain = new Float32Array(layer.m).fill(1);
  let tensor = layer.output;
  for (;;) {
    const readers = graph.consumers.get(tensor) ?? [];
    if (readers.length !== 1 || graph.outputs.some((o) => o.name === tensor)) return null;
    const node = readers[0];
    if (node.output.length !== 1) return null;
    const step = affineStep(graph, node, tensor, layer);
    if (step === null) return null;
    if (step instanceof Float32Array) {
      step.forEach((s, c) => (gain[c] *= s));
      tensor = node.output[0];
      continue;
    }
    return solvedBefore(graph, step.shortcut, layer, layers) ? { shortcut: step.shortcut, gain } : null;
  }
}

/** What `node` does to the path through `tensor`: scales it per channel, adds a shortcut, or neither (null). */
function affineStep(
  graph: GraphView,
  node: NodeProto,
  tensor: string,
  layer: LayerInfo,
): Float32Array | { shortcut: string } | null {
  if (node.opType === 'BatchNormalization') return batchNormScale(graph, node.input, attrFloat(node, 'epsilon', 1e-5), layer.m);
  if (!['Add', 'Sub', 'Mul', 'Div'].includes(node.opType) || node.input.length !== 2) return null;
  const [first, second] = node.input;
  if (first === second) return null;
  const other = first === tensor ? second : first;
  const constant = graph.constants.has(other) ? channelConstant(graph, other, layer) : undefined;
  if (constant === null) return null;
  if (node.opType === 'Add') return constant ? new Float32Array(layer.m).fill(1) : { shortcut: other };
  // A constant subtracted from the path, or the path divided by one; not the other way round.
  if (!constant || (node.opType !== 'Mul' && first !== tensor)) return null;
  if (node.opType === 'Sub') return new Float32Array(layer.m).fill(1);
  return node.opType === 'Mul' ? constant : constant.map((v) => 1 / v);
}

/**
 * A constant as one value per output channel: a scalar, or m values along the channel axis (-3 of
 * NCHW for conv, the last one for dense layers); null when it broadcasts any other way.
 */
function channelConstant(graph: GraphView, name: string, layer: LayerInfo): Float32Array | null {
  const t = graph.constantTensor(name);
  if (!t) return null;
  const values = tensorToFloat32(t);
  if (values.length === 1) return new Float32Array(layer.m).fill(values[0]);
  const axis = t.dims.length - (layer.conv ? 3 : 1);
  const ok = values.length === layer.m && axis >= 0 && t.dims.every((d, i) => (i === axis ? d === layer.m : d === 1));
  return ok ? values : null;
}

/**
 * Drift-compensated targets: y + (shortcut_float − shortcut_quantized) / gain per element of the
 * layer's output (NCHW for conv, channels last for dense: `plane` 1). A channel with no gain keeps y.
 */
export function compensateResidual(
  y: Float32Array,
  floatShortcut: Float32Array,
  quantShortcut: Float32Array,
  r: ResidualTarget,
  plane: number,
): Float32Array {
  if (floatShortcut.length !== y.length || quantShortcut.length !== y.length) {
    throw new StudioError(
      'UnsupportedModelError',
      `Shortcut "${r.shortcut}" has ${floatShortcut.length} values where the layer's output has ${y.length}; turn residual compensation off for this model.`,
    );
  }
  const m = r.gain.length;
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const g = r.gain[Math.floor(i / plane) % m];
    out[i] = g === 0 ? y[i] : y[i] + (floatShortcut[i] - quantShortcut[i]) / g;
  }
  return out;
}

/** γ / sqrt(var + ε) of an inference BatchNormalization whose parameters are constants, or null. */
function batchNormScale(graph: GraphView, inputs: string[], epsilon: number, m: number): Float32Array | null {
  const [scale, , , variance] = inputs.slice(1).map((name) => {
    const t = name ? graph.constantTensor(name) : null;
    return t ? tensorToFloat32(t) : null;
  });
  if (!scale || !variance || scale.length !== m || variance.length !== m || inputs.length !== 5) return null;
  return Float32Array.from(scale, (s, c) => s / Math.sqrt(variance[c] + epsilon));
}

/** Whether every layer the shortcut depends on comes before this one in the job's order. */
function solvedBefore(graph: GraphView, shortcut: string, layer: LayerInfo, layers: LayerInfo[]): boolean {
  const later = new Set(layers.filter((l) => l.index > layer.index).map((l) => l.output));
  const seen = new Set<string>();
  const stack = [shortcut];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (later.has(t) || t === layer.output) return false;
    const node = graph.producers.get(t);
    if (node) stack.push(...node.input.filter((i) => i !== ''));
  }
  return true;
}
