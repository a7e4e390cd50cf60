import { describe, expect, it } from 'vitest';
import { makeModel, makeNode, makeValueInfo } from '../core/onnx/builder';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { readModelFile } from '../core/model-summary';
import { DataType, makeTensor } from '../core/onnx/tensor';
import { randomArray } from '../core/random';
import type { ImageSet } from './images';
import { runJob } from './job';
import { DEFAULT_JOB } from './job-config';
import { exportQuantizedModel, simulatedQuantizedModel } from './report';
import { cpuBackend } from './solver-backend';
import { verifyExport } from './verify-export';
import { hardswishConvModel } from '../testing/fixtures';

/** Dense 6 -> 24, Hardswish (x * HardSigmoid(x), down to -0.375), dense 24 -> 12, dense 12 -> 4: the middle layer reads a signed, lopsided input. */
function hardswishModel() {
  const dense = (name: string, n: number, m: number, seed: number) =>
    makeTensor(name, [n, m], DataType.FLOAT, randomArray(n * m, seed, 0.8));
  return makeModel({
    inputs: [makeValueInfo('x', ['batch', 6])],
    outputs: [makeValueInfo('y', ['batch', 4])],
    initializers: [dense('w1', 6, 24, 1), dense('w2', 24, 12, 2), dense('w3', 12, 4, 3)],
    nodes: [
      makeNode('MatMul', ['x', 'w1'], ['h'], {}, 'first'),
      makeNode('HardSigmoid', ['h'], ['gate'], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }, 'gate'),
      makeNode('Mul', ['h', 'gate'], ['hs'], {}, 'hardswish'),
      makeNode('MatMul', ['hs', 'w2'], ['m'], {}, 'middle'),
      makeNode('MatMul', ['m', 'w3'], ['y'], {}, 'last'),
    ],
  });
}

const inputs: ImageSet = { count: 256, dims: [6], image: (i) => randomArray(6, 100 + i, 1.5), label: () => null };

describe('asymmetric activations', async () => {
  const { graph, summary } = await readModelFile(encodeModel(hardswishModel()), 'hardswish.onnx');
  const job = (abits: number, asymmetric: boolean) =>
    runJob(
      graph,
      summary.layers,
      inputs,
      null,
      { ...DEFAULT_JOB, wbits: 8, abits, method: 'rtn', asymmetric, calibImages: 256, batchSize: 64 },
      { backend: cpuBackend },
    );

  it("a Hardswish output at 4 bits: 16 levels with a zero point, and a lower output error than the symmetric grid's 15", async () => {
    const [asymmetric, symmetric] = [await job(4, true), await job(4, false)];
    const a = asymmetric.quantizers.get('hs')!;
    expect(a.qmax[0] - a.qmin[0]).toBe(15);
    expect(asymmetric.layers[1].activation).toMatchObject({ bits: 4, signed: true, zeroPoint: -a.qmin[0] });
    expect(-a.qmin[0]).toBeGreaterThanOrEqual(0);
    expect(-a.qmin[0]).toBeLessThanOrEqual(3);
    const s = symmetric.quantizers.get('hs')!;
    expect([...s.qmin, ...s.qmax]).toEqual([-7, 7]);
    expect(symmetric.layers[1].activation!.zeroPoint).toBeUndefined();
    // The middle layer's output error on its quantized input (weights at 8 bits): the input's grid decides it.
    console.log(
      `middle layer, A4: relative output error ${asymmetric.layers[1].relOutputError.toExponential(2)} asymmetric, ${symmetric.layers[1].relOutputError.toExponential(2)} symmetric`,
    );
    expect(asymmetric.layers[1].relOutputError).toBeLessThan(0.6 * symmetric.layers[1].relOutputError);
  });

  it.each([4, 8])(
    'the QDQ file at A%i (int8 with a Clip, or uint8 with a zero point) computes what the studio simulated',
    async (abits) => {
      const result = await job(abits, true);
      // At 8 bits the grid reaches past int8's 127: uint8 with the zero point is the container.
      if (abits === 8) expect(result.quantizers.get('hs')!.qmax[0]).toBeGreaterThan(127);
      const bytes = exportQuantizedModel(graph, summary.layers, result, {
        format: 'int8',
        sourceSha256: summary.sha256,
        configLink: '#c=test',
      });
      const check = await verifyExport(bytes, simulatedQuantizedModel(graph, summary.layers, result), inputs, graph);
      expect(check.maxRelativeDifference).toBeLessThan(1e-4);
    },
  );
});

describe('asymmetric activations with per-channel scales', async () => {
  const { graph, summary } = await readModelFile(encodeModel(hardswishConvModel()), 'hardswish-conv.onnx');
  const images: ImageSet = { count: 64, dims: [3, 8, 8], image: (i) => randomArray(3 * 64, 200 + i, 1), label: () => null };
  const job = (abits: number, asymmetric: boolean) =>
    runJob(
      graph,
      summary.layers,
      images,
      null,
      { ...DEFAULT_JOB, wbits: 8, abits, method: 'rtn', channelScales: true, asymmetric, calibImages: 64, batchSize: 16 },
      { backend: cpuBackend },
    );

  it("a zero point per channel, where each channel's values sit, and a lower output error than per-channel symmetric grids", async () => {
    const [asymmetric, symmetric] = [await job(4, true), await job(4, false)];
    const a = asymmetric.layers[1].activation!;
    expect(a.channelScales).toHaveLength(8);
    expect(a.channelZeroPoints).toHaveLength(8);
    expect(new Set(a.channelZeroPoints).size).toBeGreaterThan(2);
    const q = asymmetric.quantizers.get('hs')!;
    expect(Array.from(q.qmax, (hi, c) => hi - q.qmin[c])).toEqual(new Array(8).fill(15));
    expect(symmetric.layers[1].activation!.channelZeroPoints).toBeUndefined();
    console.log(
      `middle conv, A4 per channel: relative output error ${asymmetric.layers[1].relOutputError.toExponential(2)} asymmetric, ` +
        `${symmetric.layers[1].relOutputError.toExponential(2)} symmetric; zero points ${a.channelZeroPoints!.join(', ')}`,
    );
    expect(asymmetric.layers[1].relOutputError).toBeLessThan(0.8 * symmetric.layers[1].relOutputError);
  });

  it.each([4, 8])(
    'the QDQ file at A%i (int8 with per-channel bounds, or uint8 with a zero point per channel) computes what the studio simulated',
    async (abits) => {
      const result = await job(abits, true);
      const bytes = exportQuantizedModel(graph, summary.layers, result, {
        format: 'int8',
        sourceSha256: summary.sha256,
        configLink: '#c=test',
      });
      const nodes = decodeModel(bytes).graph!.node;
      // A4: every channel's codes fit int8, clipped per channel by Max and Min; A8: past int8, uint8 with a zero point per channel.
      if (abits === 4) expect(nodes.filter((n) => n.opType === 'Max' || n.opType === 'Min')).toHaveLength(2);
      else expect(nodes.find((n) => n.name === 'hs_DequantizeLinear')!.attribute.find((at) => at.name === 'axis')).toBeDefined();
      const check = await verifyExport(bytes, simulatedQuantizedModel(graph, summary.layers, result), images, graph);
      expect(check.maxRelativeDifference).toBeLessThan(1e-4);
    },
  );
});
