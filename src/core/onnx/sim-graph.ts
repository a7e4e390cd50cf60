import { clone } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto, type TensorProto } from 'onnx-buf';
import { StudioError } from '../errors';
import { storedBias } from '../layer-weights';
import type { LayerInfo } from '../layers';
import { makeNode, makeValueInfo } from './builder';
import { topologicalOrder, type GraphView } from './graph';
import { DataType, makeTensor } from './tensor';

/** A fake quantizer on a tensor that quantized layers read: q = clip(round(x / s), qmin, qmax) * s. */
export interface QuantizerSite {
  tensor: string;
  /** Shape the scale broadcasts with, e.g. [1, C, 1, 1] for an NCHW conv input. */
  scaleShape: number[];
  /** The layers (by name) that read the quantized tensor; other readers keep the float one. */
  readers: string[];
}

/**
 * A quantizer's scales and code bounds, each one for the tensor or one per channel (as `scaleShape`):
 * an asymmetric grid's bounds are [-z, 2^bits - 1 - z] for a zero point z, which may differ per channel.
 */
export interface QuantizerValue {
  scale: Float32Array;
  qmin: Float32Array;
  qmax: Float32Array;
}

/** `values` for each of `count` channels: itself, or its one value repeated. */
export function perChannel(values: Float32Array, count: number): Float32Array {
  if (values.length === count) return values;
  if (values.length !== 1)
    throw new StudioError('InvalidArgumentError', `${values.length} quantizer values for ${count} channel(s).`);
  return new Float32Array(count).fill(values[0]);
}

export const weightInputName = (layer: LayerInfo) => `bitsplit.w.${layer.index}`;
export const biasInputName = (layer: LayerInfo) => `bitsplit.b.${layer.index}`;
const q = (site: QuantizerSite, what: string) => `bitsplit.q.${site.tensor}.${what}`;

/**
 * The model the studio simulates and exports: every quantized layer reads its weight from `weights`
 * (a graph input when live, a constant when baked) and its input through a fake quantizer. With
 * `live`, scales, bounds and an on/off switch are graph inputs, so one onnxruntime session serves the
 * whole job: float (switch 0, float weights), partly or fully quantized. `probes` become graph
 * outputs (the layers' raw inputs and outputs, for calibration).
 */
export function buildSimulationModel(
  graph: GraphView,
  layers: LayerInfo[],
  sites: QuantizerSite[],
  o:
    | { live: true; probes: string[] }
    | {
        live: false;
        weights: Map<number, Float32Array>;
        biases: Map<number, { values: Float32Array }>;
        quantizers: Map<string, QuantizerValue>;
      },
): ModelProto {
  if (graph.opset < 8) {
    throw new StudioError(
      'UnsupportedModelError',
      `The model uses ONNX opset ${graph.opset}; the studio needs opset 8 or later (broadcasting Min and Max). Convert it with onnx.version_converter.`,
    );
  }
  const model = clone(ModelProtoSchema, graph.model);
  const g = model.graph!;
  const initializers: TensorProto[] = [];
  const quantized = new Map<string, { out: string; readers: string[] }>();
  for (const site of sites) {
    const ins = [q(site, 'scale'), q(site, 'qmin'), q(site, 'qmax'), q(site, 'on')];
    if (o.live) {
      g.input.push(
        makeValueInfo(ins[0], site.scaleShape),
        makeValueInfo(ins[1], site.scaleShape),
        makeValueInfo(ins[2], site.scaleShape),
        makeValueInfo(ins[3], []),
      );
    } else {
      const v = o.quantizers.get(site.tensor);
      if (!v) throw new StudioError('InvalidArgumentError', `No quantizer value for tensor "${site.tensor}".`);
      const count = site.scaleShape.reduce((a, b) => a * b, 1);
      initializers.push(
        makeTensor(ins[0], site.scaleShape, DataType.FLOAT, v.scale),
        makeTensor(ins[1], site.scaleShape, DataType.FLOAT, perChannel(v.qmin, count)),
        makeTensor(ins[2], site.scaleShape, DataType.FLOAT, perChannel(v.qmax, count)),
        makeTensor(ins[3], [], DataType.FLOAT, Float32Array.of(1)),
      );
    }
    const t = site.tensor;
    const out = q(site, 'out');
    // out = x + on * (fq(x) - x): exactly x when off, exactly fq(x) when on.
    g.node.push(
      makeNode('Div', [t, ins[0]], [q(site, 'div')]),
      ...roundHalfEven(graph.opset, q(site, 'div'), q(site, 'round'), (what) => q(site, what), initializers),
      makeNode('Min', [q(site, 'round'), ins[2]], [q(site, 'min')]),
      makeNode('Max', [q(site, 'min'), ins[1]], [q(site, 'clip')]),
      makeNode('Mul', [q(site, 'clip'), ins[0]], [q(site, 'fq')]),
      makeNode('Sub', [q(site, 'fq'), t], [q(site, 'delta')]),
      makeNode('Mul', [q(site, 'delta'), ins[3]], [q(site, 'gated')]),
      makeNode('Add', [t, q(site, 'gated')], [out]),
    );
    quantized.set(t, { out, readers: site.readers });
  }
  const byName = new Map(layers.map((l) => [l.name, l]));
  g.node.forEach((node, i) => {
    const layer = byName.get(node.name || `${node.opType}_${i}`);
    if (!layer || node.output[0] !== layer.output) return;
    const site = quantized.get(node.input[0]);
    if (site?.readers.includes(layer.name)) node.input[0] = site.out;
    // Biases are inputs too: a QDQ runtime rounds them to int32 once the layer's input and weight are quantized.
    const bias = storedBias(graph, layer);
    if (bias) {
      node.input[2] = biasInputName(layer);
      if (o.live) g.input.push(makeValueInfo(node.input[2], [layer.m]));
      else initializers.push(makeTensor(node.input[2], [layer.m], DataType.FLOAT, o.biases.get(layer.index)?.values ?? bias));
    }
    const name = weightInputName(layer);
    node.input[1] = name;
    if (o.live) g.input.push(makeValueInfo(name, layer.weightShape));
    else {
      const w = o.weights.get(layer.index);
      if (!w) throw new StudioError('InvalidArgumentError', `No weights for layer "${layer.name}".`);
      initializers.push(makeTensor(name, layer.weightShape, DataType.FLOAT, w));
    }
  });
  g.initializer.push(...initializers);
  if (o.live) {
    const existing = new Set(g.output.map((v) => v.name));
    for (const probe of o.probes) if (!existing.has(probe)) g.output.push(makeValueInfo(probe, null, DataType.FLOAT));
  }
  return tidyGraph(model, graph);
}

/**
 * After rewiring: drops the constants nothing reads any more (the replaced weights, unless shared)
 * and restores a topological order, since new nodes were appended after their consumers.
 */
export function tidyGraph(model: ModelProto, original: GraphView): ModelProto {
  const g = model.graph!;
  const used = new Set([...g.node.flatMap((n) => n.input), ...g.output.map((o) => o.name)]);
  g.initializer = g.initializer.filter((t) => used.has(t.name) || g.input.some((i) => i.name === t.name));
  g.node = g.node.filter((n) => n.opType !== 'Constant' || n.output.some((out) => used.has(out)));
  g.input = g.input.filter((i) => used.has(i.name) || !original.constants.has(i.name));
  g.node = topologicalOrder(g.node, new Set([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name)]));
  return model;
}

/**
 * Round half to even: the Round op from opset 11; before it, from Floor and Ceil:
 * f = floor(x + 1/2); a tie (x + 1/2 an integer) with f odd rounds down by one.
 */
function roundHalfEven(opset: number, x: string, out: string, name: (what: string) => string, initializers: TensorProto[]) {
  if (opset >= 11) return [makeNode('Round', [x], [out])];
  const half = name('half');
  const two = name('two');
  const one = name('one');
  if (!initializers.some((t) => t.name === half)) {
    initializers.push(
      makeTensor(half, [], DataType.FLOAT, Float32Array.of(0.5)),
      makeTensor(two, [], DataType.FLOAT, Float32Array.of(2)),
      makeTensor(one, [], DataType.FLOAT, Float32Array.of(1)),
    );
  }
  return [
    makeNode('Add', [x, half], [name('u')]),
    makeNode('Floor', [name('u')], [name('f')]),
    makeNode('Sub', [name('u'), name('f')], [name('frac')]),
    makeNode('Ceil', [name('frac')], [name('notTie')]),
    makeNode('Sub', [one, name('notTie')], [name('tie')]),
    makeNode('Div', [name('f'), two], [name('halfF')]),
    makeNode('Floor', [name('halfF')], [name('floorHalfF')]),
    makeNode('Mul', [name('floorHalfF'), two], [name('even')]),
    makeNode('Sub', [name('f'), name('even')], [name('odd')]),
    makeNode('Mul', [name('tie'), name('odd')], [name('down')]),
    makeNode('Sub', [name('f'), name('down')], [out]),
  ];
}
