import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { residualBlockModel } from '../testing/fixtures';
import { findLayers } from './layers';
import { GraphView } from './onnx/graph';
import { makeModel, makeNode, makeValueInfo } from './onnx/builder';
import { decodeModel } from './onnx/model-io';
import { DataType, makeTensor } from './onnx/tensor';
import { compensateResidual, residualTarget } from './residual-target';

describe('residual targets: which layers aim at a residual sum', () => {
  it("finds the last conv of a block through its BatchNormalization, with the normalisation's gain", () => {
    const graph = new GraphView(residualBlockModel());
    const layers = findLayers(graph).layers;
    const targets = layers.map((l) => residualTarget(graph, l, layers));
    // The stem's output also feeds branch1; branch1 feeds a Relu; fc feeds the graph's output.
    expect(targets.map((t) => t?.shortcut ?? null)).toEqual([null, null, 'r0', null]);
    // γ / sqrt(var + ε) with ε = 1.
    expect(Array.from(targets[2]!.gain)).toEqual(Array.from(Float32Array.of(1, -1, 0.5 / Math.sqrt(1.25), 0)));
  });

  it('on the demo: the identity shortcut, and a projection shortcut solved after the branch takes the sum instead', () => {
    const graph = new GraphView(
      decodeModel(new Uint8Array(readFileSync(new URL('../../public/demo/model.onnx', import.meta.url)))),
    );
    const layers = findLayers(graph).layers;
    const found = layers.flatMap((l) => {
      const t = residualTarget(graph, l, layers);
      return t ? [[l.name, t.shortcut, Array.from(new Set(t.gain))] as const] : [];
    });
    const conv2 = (stage: number) => layers.find((l) => l.output === `/stages/stages.${stage}/conv2/Conv_output_0`)!;
    const down = (stage: number) => layers.find((l) => l.output === `/stages/stages.${stage}/down/down.0/Conv_output_0`)!;
    // stages.1 and .2: conv2 comes first in the job's order, so its projection shortcut is not solved yet:
    // the projection (solved after) aims at the sum minus the quantized conv2 instead.
    expect(found).toEqual([
      [conv2(0).name, '/stem/stem.2/Relu_output_0', [1]],
      [down(1).name, conv2(1).output, [1]],
      [down(2).name, conv2(2).output, [1]],
    ]);
    expect(conv2(1).index).toBeLessThan(down(1).index);
  });

  it('goes through biases and unfolded normalisations (Add/Sub/Mul/Div by per-channel or scalar constants)', () => {
    const constant = (name: string, dims: number[], values: number[]) =>
      makeTensor(name, dims, DataType.FLOAT, Float32Array.from(values));
    // A transformer block's projection (MatMul, bias Add, residual Add) and a conv through a scale, a shift and a division.
    const model = (tail: ReturnType<typeof makeNode>[], extra: ReturnType<typeof constant>[] = []) =>
      makeModel({
        inputs: [makeValueInfo('x', [1, 2, 3]), makeValueInfo('image', [1, 3, 4, 4])],
        outputs: [makeValueInfo('seq', [1, 2, 3]), makeValueInfo('map', null)],
        initializers: [
          constant('w', [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]),
          constant('b', [3], [0.1, 0.2, 0.3]),
          constant('k', [2, 3, 1, 1], [1, 2, 3, 4, 5, 6]),
          constant('scale', [2, 1, 1], [2, 4]),
          constant('shift', [1, 2, 1, 1], [1, 1]),
          constant('half', [], [0.5]),
          ...extra,
        ],
        nodes: [
          makeNode('MatMul', ['x', 'w'], ['p'], {}, 'proj'),
          makeNode('Add', ['p', 'b'], ['pb']),
          makeNode('Add', ['x', 'pb'], ['seq']),
          // The shortcut's conv comes first: solved before the branch, it may be its shortcut.
          makeNode('Conv', ['image', 'k'], ['short'], {}, 'short'),
          makeNode('Conv', ['image', 'k'], ['c'], {}, 'conv'),
          ...tail,
        ],
      });
    const targets = (m: ReturnType<typeof model>) => {
      const graph = new GraphView(m);
      const layers = findLayers(graph).layers;
      return layers.map((l) => {
        const t = residualTarget(graph, l, layers);
        return t && [t.shortcut, Array.from(t.gain)];
      });
    };
    expect(
      targets(
        model([
          makeNode('Mul', ['scale', 'c'], ['c1']),
          makeNode('Sub', ['c1', 'shift'], ['c2']),
          makeNode('Div', ['c2', 'half'], ['c3']),
          makeNode('Add', ['c3', 'short'], ['map']),
        ]),
      ),
    ).toEqual([['x', [1, 1, 1]], null, ['short', [4, 8]]]);
    // The path as the divisor or the subtrahend, or a constant that is not one value per channel: not affine per channel.
    for (const tail of [
      [makeNode('Div', ['half', 'c'], ['c1'])],
      [makeNode('Sub', ['shift', 'c'], ['c1'])],
      [makeNode('Mul', ['c', 'spatial'], ['c1'])],
    ]) {
      expect(
        targets(
          model([...tail, makeNode('Add', ['c1', 'short'], ['map'])], [constant('spatial', [1, 1, 4, 4], new Array(16).fill(1))]),
        )[2],
      ).toBeNull();
    }
  });

  it("adds the shortcut's drift over the gain per channel (NCHW), keeps a channel without gain, refuses other shapes", () => {
    const target = { shortcut: 's', gain: Float32Array.of(2, 0) };
    // batch 2, 2 channels, plane 2.
    const y = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const floatShortcut = Float32Array.of(1, 1, 1, 1, 0, 0, 0, 0);
    const quantShortcut = Float32Array.of(0, 3, 1, 1, 1, 0, 2, 2);
    expect(Array.from(compensateResidual(y, floatShortcut, quantShortcut, target, 2))).toEqual([1.5, 1, 3, 4, 4.5, 6, 7, 8]);
    expect(() => compensateResidual(y, floatShortcut.subarray(0, 4), quantShortcut, target, 2)).toThrow(
      /Shortcut "s" has 4 values where the layer's output has 8/,
    );
  });
});
