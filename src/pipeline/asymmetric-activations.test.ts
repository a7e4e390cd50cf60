import { describe, expect, it } from 'vitest';
import { makeModel, makeNode, makeValueInfo } from '../core/onnx/builder';
import { encodeModel } from '../core/onnx/model-io';
import { readModelFile } from '../core/model-summary';
import { DataType, makeTensor } from '../core/onnx/tensor';
import { randomArray } from '../core/random';
import type { ImageSet } from './images';
import { DEFAULT_JOB, runJob } from './job';
import { exportQuantizedModel, simulatedQuantizedModel } from './report';
import { cpuBackend } from './solver-backend';
import { verifyExport } from './verify-export';

/** Dense 6 -> 24, Hardswish (x * HardSigmoid(x), down to -0.375), dense 24 -> 12, dense 12 -> 4: the middle layer reads a signed, lopsided input. */
function hardswishModel() {
  const dense = (name: string, n: number, m: number, seed: number) => makeTensor(name, [n, m], DataType.FLOAT, randomArray(n * m, seed, 0.8));
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
    runJob(graph, summary.layers, inputs, null, { ...DEFAULT_JOB, wbits: 8, abits, method: 'rtn', asymmetric, calibImages: 256, batchSize: 64 }, { backend: cpuBackend });

  it('a Hardswish output at 4 bits: 16 levels with a zero point, and a lower output error than the symmetric grid\'s 15', async () => {
    const [asymmetric, symmetric] = [await job(4, true), await job(4, false)];
    const a = asymmetric.quantizers.get('hs')!;
    expect(a.qmax - a.qmin).toBe(15);
    expect(asymmetric.layers[1].activation).toMatchObject({ bits: 4, signed: true, zeroPoint: -a.qmin });
    expect(-a.qmin).toBeGreaterThanOrEqual(0);
    expect(-a.qmin).toBeLessThanOrEqual(3);
    const s = symmetric.quantizers.get('hs')!;
    expect([s.qmin, s.qmax]).toEqual([-7, 7]);
    expect(symmetric.layers[1].activation!.zeroPoint).toBeUndefined();
    // The middle layer's output error on its quantized input (weights at 8 bits): the input's grid decides it.
    console.log(`middle layer, A4: relative output error ${asymmetric.layers[1].relOutputError.toExponential(2)} asymmetric, ${symmetric.layers[1].relOutputError.toExponential(2)} symmetric`);
    expect(asymmetric.layers[1].relOutputError).toBeLessThan(0.6 * symmetric.layers[1].relOutputError);
  });

  it.each([4, 8])('the QDQ file at A%i (int8 with a Clip, or uint8 with a zero point) computes what the studio simulated', async (abits) => {
    const result = await job(abits, true);
    // At 8 bits the grid reaches past int8's 127: uint8 with the zero point is the container.
    if (abits === 8) expect(result.quantizers.get('hs')!.qmax).toBeGreaterThan(127);
    const bytes = exportQuantizedModel(graph, summary.layers, result, { format: 'int8', sourceSha256: summary.sha256, configLink: '#c=test' });
    const check = await verifyExport(bytes, simulatedQuantizedModel(graph, summary.layers, result), inputs, 'x');
    expect(check.maxRelativeDifference).toBeLessThan(1e-4);
  });
});
