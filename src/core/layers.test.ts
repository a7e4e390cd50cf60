import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConvGeometry, convOutputSize } from './conv-geometry';
import { mixedLayersModel } from '../testing/fixtures';
import { findLayers } from './layers';
import { readModelFile } from './model-summary';
import { makeModel, makeNode, makeValueInfo } from './onnx/builder';
import { GraphView } from './onnx/graph';
import { encodeModel } from './onnx/model-io';

describe('layer inventory', () => {
  it('finds Conv (strided, depthwise from a Constant node), Gemm with transB and MatMul', () => {
    const { layers, skipped } = findLayers(new GraphView(mixedLayersModel()));
    expect(skipped).toEqual([]);
    expect(layers.map((l) => [l.name, l.op, l.m, l.n, l.groups, l.params, l.weightSource, l.input])).toEqual([
      ['conv1', 'Conv', 8, 27, 1, 216, 'initializer', 'image'],
      ['depthwise', 'Conv', 8, 9, 8, 72, 'constant', 'r1'],
      ['fc', 'Gemm', 6, 8, 1, 48, 'initializer', 'flat'],
      ['proj', 'MatMul', 4, 6, 1, 24, 'initializer', 'fc'],
    ]);
    expect(layers[0].conv).toMatchObject({ strides: [2, 2], pads: [1, 0, 2, 1], dilations: [1, 1], autoPad: 'NOTSET' });
    expect(layers[1].conv).toMatchObject({ dilations: [2, 2], pads: [2, 1, 2, 3], groups: 8 });
    expect(layers[2].gemm).toEqual({ transA: false, transB: true, alpha: 0.5, beta: 1 });
  });

  it('skips a layer whose weight holds NaN or infinity, with the count; an all-zero weight is an ordinary layer', () => {
    const model = mixedLayersModel();
    const init = (name: string) => model.graph!.initializer.find((t) => t.name === name)!;
    init('fc.weight').rawData = new Uint8Array(
      Float32Array.from({ length: 48 }, (_, i) => (i === 3 ? NaN : i === 7 ? -Infinity : 0.1)).buffer,
    );
    init('proj.weight').rawData = new Uint8Array(24 * 4);
    const { layers, skipped } = findLayers(new GraphView(model));
    expect(skipped).toEqual([
      {
        name: 'fc',
        op: 'Gemm',
        reason: 'its weight "fc.weight" holds 2 NaN or infinite value(s); fix the model, this layer stays as it is',
      },
    ]);
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'depthwise', 'proj']);
  });

  it('skips a MatMul whose operands are both computed, and says why', () => {
    const model = makeModel({
      inputs: [makeValueInfo('a', [2, 3]), makeValueInfo('b', [3, 2])],
      outputs: [makeValueInfo('y', [2, 2])],
      nodes: [makeNode('MatMul', ['a', 'b'], ['y'], {}, 'attention')],
    });
    const { layers, skipped } = findLayers(new GraphView(model));
    expect(layers).toEqual([]);
    expect(skipped).toEqual([
      { name: 'attention', op: 'MatMul', reason: 'its weight "b" is computed at run time, not a constant' },
    ]);
  });

  it('summarises the demo: ten layers, the stem first and the classifier last', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../../public/demo/model.onnx', import.meta.url)));
    const { summary } = await readModelFile(bytes, 'model.onnx');
    expect(summary.layers).toHaveLength(10);
    expect(summary.layers[0]).toMatchObject({ op: 'Conv', m: 16, n: 9, input: 'image' });
    expect(summary.layers.at(-1)).toMatchObject({ op: 'Gemm', m: 10, n: 64 });
    expect(summary.opset).toBe(13);
    expect(summary.inputs).toEqual([{ name: 'image', elemType: 'FLOAT', dims: ['batch', 1, 28, 28] }]);
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.quantizableParams).toBeGreaterThan(70_000);
    expect(summary.opCounts.Conv).toBe(9);
  });

  it('reports a graph that reads a tensor nothing produces', () => {
    const model = makeModel({
      inputs: [makeValueInfo('x', [1, 2])],
      outputs: [makeValueInfo('y', [1, 2])],
      nodes: [makeNode('Add', ['x', 'ghost'], ['y'], {}, 'add')],
    });
    expect(() => new GraphView(model)).toThrowError(/Node "add" reads "ghost", which no node/);
    expect(encodeModel(model).byteLength).toBeGreaterThan(0);
  });
});

describe('conv geometry', () => {
  it('resolves SAME_UPPER / SAME_LOWER padding as ONNX defines it', () => {
    const base = {
      kernel: [3, 3] as [number, number],
      strides: [2, 2] as [number, number],
      dilations: [2, 2] as [number, number],
      pads: [0, 0, 0, 0] as [number, number, number, number],
      groups: 1,
    };
    const input = { batch: 1, channels: 4, height: 10, width: 7 };
    const upper = resolveConvGeometry({ ...base, autoPad: 'SAME_UPPER' }, input);
    expect([upper.padTop, upper.padBottom, upper.padLeft, upper.padRight]).toEqual([1, 2, 2, 2]);
    expect(convOutputSize(upper)).toEqual({ outH: 5, outW: 4 });
    const lower = resolveConvGeometry({ ...base, autoPad: 'SAME_LOWER' }, input);
    expect([lower.padTop, lower.padBottom, lower.padLeft, lower.padRight]).toEqual([2, 1, 2, 2]);
    expect(() => resolveConvGeometry({ ...base, autoPad: 'NOTSET', groups: 3 }, input)).toThrowError(/not divisible by group=3/);
  });
});
