import { describe, expect, it } from 'vitest';
import { findLayers } from '../core/layers';
import { makeModel, makeNode, makeValueInfo } from '../core/onnx/builder';
import { GraphView } from '../core/onnx/graph';
import { encodeModel } from '../core/onnx/model-io';
import { buildSimulationModel, weightInputName } from '../core/onnx/sim-graph';
import { DataType, makeTensor } from '../core/onnx/tensor';
import { ModelRunner } from './ort';

const TIES = Float32Array.of(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.4999998, 0.49999997, 6.5, 9, -9, 1.25);
const EXPECTED = [0, 2, 2, 0, -2, -2, 3, 0, 6, 7, -8, 1];

/** in -> Identity -> x -> MatMul(W): a fake quantizer on x, whose output is probed directly. */
async function quantizeAt(opset: number): Promise<number[]> {
  const n = TIES.length;
  const graph = new GraphView(
    makeModel({
      opset,
      inputs: [makeValueInfo('in', [1, n])],
      outputs: [makeValueInfo('y', [1, 1])],
      initializers: [makeTensor('w', [n, 1], DataType.FLOAT, new Float32Array(n).fill(1))],
      nodes: [makeNode('Identity', ['in'], ['x']), makeNode('MatMul', ['x', 'w'], ['y'], {}, 'mm')],
    }),
  );
  const { layers } = findLayers(graph);
  const out = 'bitsplit.q.x.out';
  const model = buildSimulationModel(graph, layers, [{ tensor: 'x', scaleShape: [], readers: ['mm'] }], {
    live: true,
    probes: [out],
  });
  const runner = await ModelRunner.create(encodeModel(model));
  const scalar = (v: number) => ({ dims: [], data: Float32Array.of(v) });
  const result = await runner.run(
    {
      in: { dims: [1, n], data: TIES },
      [weightInputName(layers[0])]: { dims: [n, 1], data: new Float32Array(n).fill(1) },
      'bitsplit.q.x.scale': scalar(1),
      'bitsplit.q.x.qmin': scalar(-8),
      'bitsplit.q.x.qmax': scalar(7),
      'bitsplit.q.x.on': scalar(1),
    },
    [out, 'y'],
  );
  return Array.from(result[out].data, (v) => v + 0); // + 0 turns -0 into 0
}

describe("the simulation graph's fake quantizer", () => {
  it.each([13, 9])('rounds half to even and clips at opset %i (Round from 11, Floor/Ceil before)', async (opset) => {
    expect(await quantizeAt(opset)).toEqual(EXPECTED);
  });
});
