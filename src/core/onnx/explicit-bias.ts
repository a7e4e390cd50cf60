import { findLayers } from '../layers';
import { GraphView } from './graph';
import type { ModelProto } from './model-io';
import { DataType, makeTensor } from './tensor';

/**
 * Gives every quantizable Conv, and every Gemm with beta = 1, that has no bias a zero bias of one value
 * per output channel, in place. The outputs do not change; bias correction (bias-correction.ts) then has
 * a bias to move on layers such as a Conv followed by BatchNormalization, and the export writes it like
 * any other bias (int32 once the layer's input is quantized).
 */
export function addZeroBiases(model: ModelProto): ModelProto {
  const graph = new GraphView(model);
  const names = new Set([
    ...graph.constants.keys(),
    ...graph.nodes.flatMap((n) => [...n.input, ...n.output]),
    ...graph.inputs.map((i) => i.name),
  ]);
  const byOutput = new Map(graph.nodes.map((n) => [n.output[0], n]));
  for (const layer of findLayers(graph).layers) {
    if (layer.bias || layer.op === 'MatMul' || (layer.gemm && layer.gemm.beta !== 1)) continue;
    const node = byOutput.get(layer.output)!;
    let name = `${layer.weight}_bias`;
    for (let i = 1; names.has(name); i++) name = `${layer.weight}_bias_${i}`;
    names.add(name);
    model.graph!.initializer.push(makeTensor(name, [layer.m], DataType.FLOAT, new Float32Array(layer.m)));
    node.input[2] = name;
  }
  return model;
}
