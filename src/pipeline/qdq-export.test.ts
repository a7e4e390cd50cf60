import { describe, expect, it } from 'vitest';
import { mixedLayersModel } from '../testing/fixtures';
import { layerCodes } from '../core/layer-weights';
import { findLayers } from '../core/layers';
import { makeModel, makeNode, makeValueInfo } from '../core/onnx/builder';
import { GraphView } from '../core/onnx/graph';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { upgradeOpset } from '../core/onnx/opset-upgrade';
import { METADATA_KEYS } from '../core/onnx/metadata-keys';
import { activationContainer, writeQdqModel, type ExportFormat, type QdqLayer } from '../core/onnx/qdq-writer';
import { storedBias } from '../core/layer-weights';
import { quantizeBias } from '../core/quant/bias';
import { buildSimulationModel, type QuantizerValue } from '../core/onnx/sim-graph';
import { DataType, makeTensor, readTensor } from '../core/onnx/tensor';
import { qmaxOf } from '../core/quant/grid';
import { randomArray, seededRandom } from '../core/random';
import { ModelRunner, type Feeds } from '../runtime/ort';
import { relativeDifference } from '../core/model-metrics';

async function runOnce(bytes: Uint8Array, feeds: Feeds): Promise<Float32Array> {
  const runner = await ModelRunner.create(bytes);
  try {
    return Object.values(await runner.run(feeds))[0].data;
  } finally {
    await runner.release();
  }
}

/**
 * Random codes for every layer of the mixed fixture at the given bits, with per-row steps. Below 8 bits,
 * rows 1, 4, ... are full-grid rows that reach +2^(b-1), rows 2, 5, ... reach -2^(b-1); rows 3, 7, ...
 * have a negative step.
 */
function randomCodes(graph: GraphView, bits: number[]) {
  const { layers } = findLayers(graph);
  const random = seededRandom(11);
  return layers.map((layer, i): QdqLayer => {
    const q = qmaxOf(bits[i]);
    const codes = Int32Array.from({ length: layer.m * layer.n }, () => Math.round((random() * 2 - 1) * q));
    for (let r = 1; r < layer.m && bits[i] < 8; r++)
      if (r % 3 !== 0) codes[r * layer.n + (r % layer.n)] = r % 3 === 1 ? q + 1 : -q - 1;
    const steps = Float64Array.from({ length: layer.m }, (_, r) => (0.01 + random() * 0.05) * (r % 4 === 3 ? -1 : 1));
    return { layer, bits: bits[i], codes: layerCodes(layer, { bits: bits[i], m: layer.m, n: layer.n, codes, steps }) };
  });
}

/** The zero points of randomCodes' rows in int4 at 4 bits: -1 where a row reaches +8 once its step is made positive. */
const expectedZeroPoints = (m: number) =>
  Array.from({ length: m }, (_, r) => ((r % 3 === 1) !== (r % 4 === 3) && r % 3 !== 0 ? -1 : 0));

describe('activationContainer', () => {
  const one = (qmin: number, qmax: number) => {
    const c = activationContainer([qmin], [qmax]);
    return c && { type: c.type, zeroPoint: c.zeroPoints[0], lo: c.lo[0], hi: c.hi[0] };
  };
  it('uint8 from 0, int8 around 0, uint8 with a zero point for an asymmetric 8-bit grid; nothing wider than 256 levels', () => {
    expect(one(0, 15)).toEqual({ type: DataType.UINT8, zeroPoint: 0, lo: 0, hi: 255 });
    expect(one(-7, 7)).toEqual({ type: DataType.INT8, zeroPoint: 0, lo: -128, hi: 127 });
    // An asymmetric 4-bit grid fits int8 with a Clip in front.
    expect(one(-3, 12)).toEqual({ type: DataType.INT8, zeroPoint: 0, lo: -128, hi: 127 });
    expect(one(-128, 127)?.type).toBe(DataType.INT8);
    expect(one(-20, 235)).toEqual({ type: DataType.UINT8, zeroPoint: 20, lo: -20, hi: 235 });
    expect(one(-255, 0)).toEqual({ type: DataType.UINT8, zeroPoint: 255, lo: -255, hi: 0 });
    expect(one(-20, 236)).toBeNull();
  });

  it('one type for all channels: int8 while every channel fits it, else uint8 with a zero point per channel', () => {
    expect(activationContainer([0, -3, -15], [15, 12, 0])).toEqual({
      type: DataType.INT8,
      zeroPoints: [0, 0, 0],
      lo: [-128, -128, -128],
      hi: [127, 127, 127],
    });
    expect(activationContainer([0, -20, -200], [255, 235, 55])).toEqual({
      type: DataType.UINT8,
      zeroPoints: [0, 20, 200],
      lo: [0, -20, -200],
      hi: [255, 235, 55],
    });
    expect(activationContainer([0, -20], [255, 236])).toBeNull();
  });
});

describe('QDQ export', () => {
  const graph = new GraphView(mixedLayersModel());
  const layers = findLayers(graph).layers;
  // Unsigned 4-bit after the ReLU (needs a Clip in front of QuantizeLinear), unsigned 8-bit, and an
  // asymmetric 8-bit grid [-20, 235] (uint8 with a zero point of 20).
  const quantizers = new Map<string, QuantizerValue>([
    ['r1', { scale: Float32Array.of(0.05), qmin: Float32Array.of(0), qmax: Float32Array.of(15) }],
    ['flat', { scale: Float32Array.of(0.01), qmin: Float32Array.of(0), qmax: Float32Array.of(255) }],
    ['fc', { scale: Float32Array.of(0.02), qmin: Float32Array.of(-20), qmax: Float32Array.of(235) }],
  ]);
  const readers: Record<string, string> = { r1: 'depthwise', flat: 'fc', fc: 'proj' };
  const sites = [...quantizers.keys()].map((tensor) => ({ tensor, scaleShape: [], readers: [readers[tensor]] }));
  const activations = sites.map((site) => ({ site, value: quantizers.get(site.tensor)! }));
  const quantized = randomCodes(graph, [8, 3, 4, 6]);
  // fc reads a quantized input: its bias becomes int32 codes of scale input scale x weight scale.
  const fc = quantized[2];
  fc.bias = quantizeBias(storedBias(graph, fc.layer)!, 0.01, fc.codes.scales);
  const simulation = encodeModel(
    buildSimulationModel(graph, layers, sites, {
      live: false,
      weights: new Map(quantized.map((q) => [q.layer.index, q.codes.weights])),
      biases: new Map([[fc.layer.index, fc.bias]]),
      quantizers,
    }),
  );
  const feeds = { image: { dims: [4, 3, 9, 11], data: randomArray(4 * 3 * 9 * 11, 5, 2) } };

  it.each<[ExportFormat, number, string[]]>([
    ['int8', 13, ['INT8', 'INT8', 'INT8', 'INT8']],
    ['int4', 21, ['INT8', 'INT4', 'INT4', 'INT8']],
  ])('%s: onnxruntime runs it and matches the simulation within 1e-4', async (format, opset, storage) => {
    const model = writeQdqModel(graph, layers, quantized, activations, { format, metadata: { 'bitsplit.version': 'test' } });
    const bytes = encodeModel(model);
    expect(Number(model.opsetImport[0].version)).toBe(opset);
    const [qdq, sim] = await Promise.all([runOnce(bytes, feeds), runOnce(simulation, feeds)]);
    expect(relativeDifference(qdq, sim)).toBeLessThan(1e-4);

    // Reopened, the file shows its layers as quantized at their bits, and nothing left to quantize.
    const reopened = findLayers(new GraphView(decodeModel(bytes)));
    expect(reopened.layers).toEqual([]);
    expect(reopened.quantized.map((q) => [q.name, q.bits, q.storage])).toEqual(
      layers.map((l, i) => [l.name, quantized[i].bits, storage[i]]),
    );
  });

  it('names, axes, zero points and metadata follow onnxruntime’s quantizer; the Constant weight node is gone', () => {
    const model = writeQdqModel(graph, layers, quantized, activations, {
      format: 'int4',
      metadata: { 'bitsplit.source_sha256': 'abc' },
    });
    const g = model.graph!;
    const node = (name: string) => g.node.find((n) => n.name === name)!;
    const axis = (name: string) => Number(node(name).attribute.find((a) => a.name === 'axis')!.i);
    expect([
      axis('conv1.weight_DequantizeLinear'),
      axis('dw.weight_DequantizeLinear'),
      axis('fc.weight_DequantizeLinear'),
      axis('proj.weight_DequantizeLinear'),
    ]).toEqual([0, 0, 0, 1]);
    expect(node('dw.weight_DequantizeLinear').output).toEqual(['dw.weight']);
    expect(g.node.some((n) => n.opType === 'Constant')).toBe(false);
    expect(g.initializer.some((t) => t.name === 'conv1.weight')).toBe(false);
    const init = (name: string) => {
      const t = readTensor(g.initializer.find((i) => i.name === name)!);
      return { dataType: t.dataType, values: Array.from(t.values as Int32Array, Number) };
    };
    // Full-grid rows reach -2^(b-1) or +2^(b-1): int4 holds them at 3 bits, int8 at 6; at 4 bits int4
    // stores +8 as 7 with a zero point of -1.
    expect(init('dw.weight_zero_point').values).toEqual(new Array(8).fill(0));
    expect(init('proj.weight_zero_point').values).toEqual(new Array(layers[3].m).fill(0));
    expect(init('fc.weight_zero_point').values).toEqual(expectedZeroPoints(layers[2].m));
    expect(init('fc.weight_zero_point').values).toContain(-1);
    expect(Math.max(...init('fc.weight_quantized').values)).toBe(7);
    expect(Math.max(...init('proj.weight_quantized').values.map(Math.abs))).toBe(32);
    expect(Array.from(init('dw.weight_scale').values).every((v) => v > 0)).toBe(true);
    expect(init('proj.weight_quantized').values).toEqual(Array.from(quantized[3].codes.codes));
    expect(init('dw.weight_quantized').values).toEqual(Array.from(quantized[1].codes.codes));
    expect(init('fc.bias_quantized')).toEqual({ dataType: DataType.INT32, values: Array.from(fc.bias!.codes!) });
    expect(node('fc.bias_DequantizeLinear').input).toEqual(['fc.bias_quantized', 'fc.bias_scale']);
    expect(node('r1_QuantizeLinear').input).toEqual(['r1_Clip_Output', 'r1_scale', 'r1_zero_point']);
    expect(init('r1_zero_point').dataType).toBe(DataType.UINT8);
    expect(init('fc_zero_point')).toEqual({ dataType: DataType.UINT8, values: [20] });
    expect(g.node.some((n) => n.name === 'fc_Clip')).toBe(false);
    expect(g.node.some((n) => n.name === 'flat_Clip')).toBe(false);
    expect(node('depthwise').input[0]).toBe('r1_DequantizeLinear_Output');
    // A layer reading a float input keeps its float bias.
    expect(init('conv1.bias').dataType).toBe(DataType.FLOAT);
    expect(model.metadataProps.map((p) => p.key)).toEqual(['bitsplit.layer_bits', 'bitsplit.source_sha256']);
    expect(JSON.parse(model.metadataProps[0].value)).toEqual({ conv1: 8, depthwise: 3, fc: 4, proj: 6 });
  });

  it("reopened without its record of bits, a file shows each layer's bits from its stored codes, the extra level included", () => {
    const model = writeQdqModel(graph, layers, quantized, activations, { format: 'int8', metadata: {} });
    model.metadataProps = model.metadataProps.filter((p) => p.key !== METADATA_KEYS.layerBits);
    expect(findLayers(new GraphView(decodeModel(encodeModel(model)))).quantized.map((q) => q.bits)).toEqual([8, 3, 4, 6]);
  });

  it('refuses codes that span more than 2^b levels, by layer and row', () => {
    const layer = layers[1];
    const codes = new Int32Array(layer.m * layer.n);
    codes[2 * layer.n] = 4;
    codes[2 * layer.n + 1] = -4;
    expect(() =>
      layerCodes(layer, { bits: 3, m: layer.m, n: layer.n, codes, steps: new Float64Array(layer.m).fill(0.1) }),
    ).toThrow('Layer "depthwise", output channel 2: codes from -4 to 4 do not fit the 8 levels of 3 bits.');
    // An 8-bit row at +128 is 256 levels, but int8 holds it only with a zero point (the full grid leaves 8 bits alone).
    const conv1 = layers[0];
    const wide = new Int32Array(conv1.m * conv1.n);
    wide[5] = 128;
    const q = {
      layer: conv1,
      bits: 8,
      codes: layerCodes(conv1, { bits: 8, m: conv1.m, n: conv1.n, codes: wide, steps: new Float64Array(conv1.m).fill(0.1) }),
    };
    expect(() => writeQdqModel(graph, layers, [q], [], { format: 'int8', metadata: {} })).toThrow(
      'Layer "conv1", output channel 0: code 128 does not fit int8.',
    );
  });

  it('int4 file with no layer at 4 bits or fewer stays at opset 13 and int8', () => {
    const model = writeQdqModel(graph, layers, randomCodes(graph, [8, 5, 6, 8]), activations, { format: 'int4', metadata: {} });
    expect(Number(model.opsetImport[0].version)).toBe(13);
    expect(model.graph!.initializer.filter((t) => t.dataType === DataType.INT4)).toEqual([]);
  });
});

describe('opset upgrade for export', () => {
  /** An opset-9 graph with every op whose form changed by opset 13 or 21, as old exporters wrote them. */
  function oldModel() {
    return makeModel({
      opset: 9,
      inputs: [makeValueInfo('x', [2, 3, 4, 6])],
      outputs: [makeValueInfo('y', null)],
      nodes: [
        makeNode('Clip', ['x'], ['c'], { min: { float: -0.5 }, max: { float: 1.5 } }),
        makeNode('Slice', ['c'], ['s'], { starts: [0, 1], ends: [2, 6], axes: [0, 3] }),
        makeNode('Pad', ['s'], ['p'], { pads: [0, 0, 1, 0, 0, 0, 0, 2], value: { float: 0.25 } }),
        makeNode('ReduceMean', ['p'], ['m'], { axes: [2], keepdims: 1 }),
        makeNode('Squeeze', ['m'], ['sq'], { axes: [2] }),
        makeNode('Unsqueeze', ['sq'], ['u'], { axes: [1] }),
        makeNode('ReduceSum', ['u'], ['rs'], { axes: [1], keepdims: 0 }),
        makeNode('Softmax', ['rs'], ['sm'], { axis: 1 }),
        makeNode('Split', ['sm'], ['a', 'b'], { axis: 2, split: [2, 5] }),
        makeNode('Concat', ['b', 'a'], ['y'], { axis: 2 }),
      ],
    });
  }

  it.each([13, 21])('carries an opset-9 graph to opset %i with identical outputs', async (target) => {
    const before = encodeModel(oldModel());
    const upgraded = oldModel();
    upgradeOpset(upgraded, target);
    expect(Number(upgraded.opsetImport[0].version)).toBe(target);
    const feeds = { x: { dims: [2, 3, 4, 6], data: randomArray(144, 3, 2) } };
    const [a, b] = await Promise.all([runOnce(before, feeds), runOnce(encodeModel(upgraded), feeds)]);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('refuses an op it cannot carry over, by name, with what to do', () => {
    const model = makeModel({
      opset: 9,
      inputs: [makeValueInfo('x', [1, 1, 2, 2])],
      outputs: [makeValueInfo('y', null)],
      initializers: [makeTensor('scales', [4], DataType.FLOAT, Float32Array.of(1, 1, 2, 2))],
      nodes: [makeNode('Upsample', ['x', 'scales'], ['y'], { mode: 'nearest' })],
    });
    expect(() => upgradeOpset(model, 13)).toThrow(
      'Export needs ONNX opset 13 and the model is opset 9; it uses Upsample (no rule to carry it from opset 9 to 13). Convert the model to opset 13 first (onnx.version_converter), then quantize it again.',
    );
  });
});
