import { describe, expect, it } from 'vitest';
import { mixedLayersModel, singleGemmModel } from '../../testing/fixtures';
import { findLayers } from '../layers';
import { storedBias } from '../layer-weights';
import { makeAttribute } from './builder';
import { addZeroBiases } from './explicit-bias';
import { GraphView } from './graph';
import { DataType, makeTensor } from './tensor';

describe('zero biases for layers without one (bias correction needs a bias to move)', () => {
  it('adds one to a Conv and a Gemm, none to a MatMul, and leaves stored biases alone', () => {
    const graph = new GraphView(addZeroBiases(mixedLayersModel()));
    const layers = findLayers(graph).layers;
    expect(layers.map((l) => [l.name, l.bias ?? null])).toEqual([
      ['conv1', 'conv1.bias'],
      ['depthwise', 'dw.weight_bias'],
      ['fc', 'fc.bias'],
      ['proj', null],
    ]);
    expect(Array.from(storedBias(graph, layers[1])!)).toEqual(new Array(8).fill(0));
    expect(storedBias(graph, layers[0])).not.toEqual(new Float32Array(8));
    const gemm = findLayers(new GraphView(addZeroBiases(singleGemmModel()))).layers[0];
    expect(gemm.bias).toBe('w_bias');
  });

  it('does not add C to a Gemm whose beta would scale it, and keeps names unique', () => {
    const model = singleGemmModel();
    model.graph!.node[0].attribute.push(makeAttribute('beta', { float: 0.5 }));
    expect(findLayers(new GraphView(addZeroBiases(model))).layers[0].bias).toBeUndefined();
    const clash = singleGemmModel();
    clash.graph!.initializer.push(makeTensor('w_bias', [1], DataType.FLOAT, Float32Array.of(1)));
    const names = addZeroBiases(clash).graph!.initializer.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('w_bias_1');
  });
});
