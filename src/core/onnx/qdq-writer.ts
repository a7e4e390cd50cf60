import { clone, create } from '@bufbuild/protobuf';
import { ModelProtoSchema, StringStringEntryProtoSchema, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { StudioError } from '../errors';
import type { LayerCodes } from '../layer-weights';
import type { LayerInfo } from '../layers';
import type { LayerBias } from '../quant/bias';
import { makeNode } from './builder';
import { METADATA_KEYS } from './metadata-keys';
import type { GraphView } from './graph';
import { upgradeOpset } from './opset-upgrade';
import { perChannel, tidyGraph, type QuantizerSite, type QuantizerValue } from './sim-graph';
import { DataType, makeTensor } from './tensor';

export type ExportFormat = 'int8' | 'int4';

export interface QdqLayer {
  layer: LayerInfo;
  bits: number;
  codes: LayerCodes;
  /**
   * Int32 bias codes with scale = input scale x weight scale, when the layer's input is quantized too;
   * otherwise float values that replace the stored bias (bias correction).
   */
  bias?: LayerBias;
}

export interface QdqOptions {
  format: ExportFormat;
  /** Written as the model's metadata_props, after the per-layer bits. */
  metadata: Record<string, string>;
}

/**
 * Where an activation's codes are stored, per channel (one entry per tensor for one scale): channel c's
 * codes `lo[c]..hi[c]` (relative to 0) are `lo[c] + zeroPoints[c] .. hi[c] + zeroPoints[c]` in `type`.
 */
export interface ActivationContainer {
  type: number;
  zeroPoints: number[];
  lo: number[];
  hi: number[];
}

/**
 * uint8 from 0 for grids that start at 0, int8 for grids around 0 (zero points 0, as onnxruntime's
 * symmetric quantizer writes them; asymmetric grids below 8 bits fit there too, clipped), and uint8 with
 * a zero point per channel for asymmetric 8-bit grids such as [-20, 235]; null where a channel's codes
 * span more than 256 levels.
 */
export function activationContainer(qmin: ArrayLike<number>, qmax: ArrayLike<number>): ActivationContainer | null {
  const lows = Array.from(qmin);
  const highs = Array.from(qmax);
  const low = Math.min(...lows);
  const high = Math.max(...highs);
  const uniform = (type: number, lo: number, hi: number) => ({
    type,
    zeroPoints: lows.map(() => 0),
    lo: lows.map(() => lo),
    hi: lows.map(() => hi),
  });
  if (low >= 0 && high <= 255) return uniform(DataType.UINT8, 0, 255);
  if (low >= -128 && high <= 127) return uniform(DataType.INT8, -128, 127);
  if (lows.every((lo, c) => highs[c] - lo <= 255))
    return { type: DataType.UINT8, zeroPoints: lows.map((lo) => 0 - lo), lo: lows, hi: lows.map((lo) => lo + 255) };
  return null;
}

/**
 * The quantized model in onnxruntime's QDQ form: each quantized weight an int8 (or int4) initializer
 * with per-output-channel scales and a DequantizeLinear; each quantized activation a
 * QuantizeLinear -> DequantizeLinear pair in front of the layers that read it, the same layers the
 * studio's simulation quantizes. Names follow onnxruntime's quantizer. Nothing else in the graph changes,
 * except ops that must be rewritten to reach the opset the format needs (13, or 21 for int4).
 */
export function writeQdqModel(
  graph: GraphView,
  allLayers: LayerInfo[],
  layers: QdqLayer[],
  activations: { site: QuantizerSite; value: QuantizerValue }[],
  o: QdqOptions,
): ModelProto {
  const model = clone(ModelProtoSchema, graph.model);
  const int4 = (bits: number) => o.format === 'int4' && bits <= 4;
  upgradeOpset(model, layers.some((l) => int4(l.bits)) ? 21 : 13);
  const g = model.graph!;
  const names = new Set([
    ...g.initializer.map((t) => t.name),
    ...g.input.map((i) => i.name),
    ...g.node.flatMap((n) => [...n.input, ...n.output]),
  ]);
  const unique = (base: string) => {
    let name = base;
    for (let i = 1; names.has(name); i++) name = `${base}_${i}`;
    names.add(name);
    return name;
  };
  const initializers: TensorProto[] = [];
  const byOutput = new Map(g.node.map((n) => [n.output[0], n]));
  const readers = (tensor: string) => g.node.filter((n) => n.input.includes(tensor)).length;

  /** A DequantizeLinear in front of `node`'s input `slot`, named like onnxruntime's quantizer names it. */
  const dequantizeConstant = (node: NodeProto, slot: number, inputs: TensorProto[], axis: number) => {
    const t = node.input[slot];
    initializers.push(...inputs);
    // The dequantized tensor keeps the float one's name, unless something else reads the float one too.
    const output = readers(t) === 1 ? t : unique(`${t}_DequantizeLinear_Output`);
    g.node.push(
      makeNode(
        'DequantizeLinear',
        inputs.map((i) => i.name),
        [output],
        { axis },
        unique(`${t}_DequantizeLinear`),
      ),
    );
    if (output === t) {
      g.initializer = g.initializer.filter((i) => i.name !== t);
      g.node = g.node.filter((n) => !(n.opType === 'Constant' && n.output[0] === t));
      g.input = g.input.filter((i) => i.name !== t);
    } else node.input[slot] = output;
  };

  for (const { layer, bits, codes, bias } of layers) {
    const node = byOutput.get(layer.output);
    if (!node || node.input[1] !== layer.weight)
      throw new StudioError('InvalidArgumentError', `Layer "${layer.name}" is not in this model.`);
    if (bits > 8) throw new StudioError('InvalidArgumentError', `Layer "${layer.name}": ${bits}-bit weights do not fit int8.`);
    const type = int4(bits) ? DataType.INT4 : DataType.INT8;
    const w = layer.weight;
    const stored = storedCodes(layer, codes, type === DataType.INT4);
    dequantizeConstant(
      node,
      1,
      [
        makeTensor(unique(`${w}_quantized`), layer.weightShape, type, stored.values),
        makeTensor(unique(`${w}_scale`), [layer.m], DataType.FLOAT, codes.scales),
        makeTensor(unique(`${w}_zero_point`), [layer.m], type, stored.zeroPoints),
      ],
      codes.axis,
    );
    if (bias && !bias.codes) {
      node.input[2] = unique(`${node.input[2]}_corrected`);
      initializers.push(makeTensor(node.input[2], [layer.m], DataType.FLOAT, bias.values));
    } else if (bias) {
      const b = node.input[2];
      dequantizeConstant(
        node,
        2,
        [
          makeTensor(unique(`${b}_quantized`), [layer.m], DataType.INT32, bias.codes),
          makeTensor(unique(`${b}_scale`), [layer.m], DataType.FLOAT, bias.scales),
        ],
        0,
      );
    }
  }

  const nodeOf = new Map(allLayers.map((l) => [l.name, byOutput.get(l.output)]));
  for (const { site, value } of activations) {
    const tensor = site.tensor;
    const channels = site.scaleShape.reduce((a, b) => a * b, 1);
    if (value.scale.length !== channels) {
      throw new StudioError(
        'InvalidArgumentError',
        `Activation "${tensor}": ${value.scale.length} scale(s) for ${channels} channel(s).`,
      );
    }
    const v = { scale: value.scale, qmin: perChannel(value.qmin, channels), qmax: perChannel(value.qmax, channels) };
    const container = activationContainer(v.qmin, v.qmax);
    if (!container) {
      throw new StudioError(
        'InvalidArgumentError',
        `Activation "${tensor}": codes [${Math.min(...v.qmin)}, ${Math.max(...v.qmax)}] do not fit 8 bits.`,
      );
    }
    const output = site.scaleShape.length > 0 ? foldedChannels(site, v, container) : perTensor(tensor, v, container);
    // The same readers the simulation quantizes.
    for (const reader of site.readers) {
      const n = nodeOf.get(reader);
      if (n?.input[0] === tensor) n.input[0] = output;
    }
  }

  function zeroPointTensor(name: string, { type, zeroPoints }: ActivationContainer, shape: number[]) {
    return makeTensor(name, shape, type, type === DataType.INT8 ? Int8Array.from(zeroPoints) : Uint8Array.from(zeroPoints));
  }

  /** Q -> DQ with one scale; fewer than 8 bits clip to the grid first, so QuantizeLinear's saturation is the grid's. */
  function perTensor(tensor: string, v: QuantizerValue, container: ActivationContainer): string {
    const s = v.scale[0];
    const scale = unique(`${tensor}_scale`);
    const zero = unique(`${tensor}_zero_point`);
    initializers.push(makeTensor(scale, [], DataType.FLOAT, Float32Array.of(s)), zeroPointTensor(zero, container, []));
    let input = tensor;
    if (v.qmin[0] > container.lo[0] || v.qmax[0] < container.hi[0])
      input = clip(tensor, tensor, [v.qmin[0] * s], [v.qmax[0] * s], []);
    const quantized = unique(`${tensor}_QuantizeLinear_Output`);
    const dequantized = unique(`${tensor}_DequantizeLinear_Output`);
    g.node.push(
      makeNode('QuantizeLinear', [input, scale, zero], [quantized], {}, unique(`${tensor}_QuantizeLinear`)),
      makeNode('DequantizeLinear', [quantized, scale, zero], [dequantized], {}, unique(`${tensor}_DequantizeLinear`)),
    );
    return dequantized;
  }

  /**
   * Per-channel scales folded into the readers' weights: QuantizeLinear per channel gives the codes, and
   * the readers take the codes themselves (a DequantizeLinear of scale 1, less the channel's zero point),
   * clipped to each channel's grid.
   */
  function foldedChannels(site: QuantizerSite, v: QuantizerValue, container: ActivationContainer): string {
    const tensor = site.tensor;
    const count = v.scale.length;
    const axis = site.scaleShape.length === 1 ? -1 : site.scaleShape.findIndex((d) => d > 1);
    const scale = unique(`${tensor}_scale`);
    const zero = unique(`${tensor}_zero_point`);
    const one = unique(`${tensor}_codes_scale`);
    const zero1 = unique(`${tensor}_codes_zero_point`);
    // DequantizeLinear's zero point has its scale's shape: per channel only where the zero points differ.
    const perAxis = container.zeroPoints.some((z) => z !== container.zeroPoints[0]);
    const codesShape = perAxis ? [count] : [];
    initializers.push(
      makeTensor(scale, [count], DataType.FLOAT, v.scale),
      zeroPointTensor(zero, container, [count]),
      makeTensor(one, codesShape, DataType.FLOAT, new Float32Array(perAxis ? count : 1).fill(1)),
      zeroPointTensor(zero1, perAxis ? container : { ...container, zeroPoints: [container.zeroPoints[0]] }, codesShape),
    );
    const quantized = unique(`${tensor}_QuantizeLinear_Output`);
    const codes = unique(`${tensor}_DequantizeLinear_Output`);
    g.node.push(
      makeNode('QuantizeLinear', [tensor, scale, zero], [quantized], { axis }, unique(`${tensor}_QuantizeLinear`)),
      makeNode(
        'DequantizeLinear',
        [quantized, one, zero1],
        [codes],
        perAxis ? { axis } : {},
        unique(`${tensor}_DequantizeLinear`),
      ),
    );
    const clipped = Array.from(v.qmin).some((lo, c) => lo > container.lo[c] || v.qmax[c] < container.hi[c]);
    return clipped ? clip(tensor, codes, Array.from(v.qmin), Array.from(v.qmax), site.scaleShape) : codes;
  }

  /** Clip where the bounds are one pair; Max then Min with broadcast bounds of `shape` where they differ per channel. */
  function clip(tensor: string, input: string, min: number[], max: number[], shape: number[]): string {
    const lo = unique(`${tensor}_clip_min`);
    const hi = unique(`${tensor}_clip_max`);
    const out = unique(`${tensor}_Clip_Output`);
    const uniform = min.every((m) => m === min[0]) && max.every((m) => m === max[0]);
    if (uniform) {
      initializers.push(
        makeTensor(lo, [], DataType.FLOAT, Float32Array.of(min[0])),
        makeTensor(hi, [], DataType.FLOAT, Float32Array.of(max[0])),
      );
      g.node.push(makeNode('Clip', [input, lo, hi], [out], {}, unique(`${tensor}_Clip`)));
      return out;
    }
    const floor = unique(`${tensor}_Max_Output`);
    initializers.push(
      makeTensor(lo, shape, DataType.FLOAT, Float32Array.from(min)),
      makeTensor(hi, shape, DataType.FLOAT, Float32Array.from(max)),
    );
    g.node.push(
      makeNode('Max', [input, lo], [floor], {}, unique(`${tensor}_Max`)),
      makeNode('Min', [floor, hi], [out], {}, unique(`${tensor}_Min`)),
    );
    return out;
  }

  g.initializer.push(...initializers);
  const bits = Object.fromEntries(layers.map((l) => [l.layer.name, l.bits]));
  const metadata = { [METADATA_KEYS.layerBits]: JSON.stringify(bits), ...o.metadata };
  model.metadataProps = [
    ...model.metadataProps.filter((p) => !(p.key in metadata)),
    ...Object.entries(metadata).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
  ];
  return tidyGraph(model, graph);
}

/**
 * The codes as the container holds them, zero points 0: a full-grid row's codes reach -2^(b-1) or
 * +2^(b-1), which int8 holds for any b up to 7 (the full grid leaves 8-bit layers alone). Only int4 at
 * 4 bits cannot hold +8: such a row is stored one lower with a zero point of -1. Onnxruntime
 * dequantizes int4 weights before the layer, so per-channel zero points cost nothing there; in int8
 * they would stop its integer QLinearConv, which takes one zero point for all channels.
 */
function storedCodes(layer: LayerInfo, codes: LayerCodes, int4: boolean): { values: Int8Array; zeroPoints: Int8Array } {
  const [low, high] = int4 ? [-8, 7] : [-128, 127];
  const { m, n } = layer;
  const rowOf = (at: number) => (codes.axis === 0 ? Math.floor(at / n) : at % m);
  const zeroPoints = new Int8Array(m);
  codes.codes.forEach((q, at) => {
    if (q > high && int4) zeroPoints[rowOf(at)] = -1;
  });
  const values = Int8Array.from(codes.codes, (q, at) => {
    const v = q + zeroPoints[rowOf(at)];
    if (v < low || v > high) {
      throw new StudioError(
        'InvalidArgumentError',
        `Layer "${layer.name}", output channel ${rowOf(at)}: code ${q} does not fit ${int4 ? 'int4' : 'int8'}.`,
      );
    }
    return v;
  });
  return { values, zeroPoints };
}
