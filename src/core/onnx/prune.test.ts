import { create } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType, AttributeProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { mixedLayersModel } from '../../testing/fixtures';
import { makeModel, makeNode, makeValueInfo } from './builder';
import { pruneToOutputs } from './prune';

describe('pruneToOutputs', () => {
  it('keeps only the nodes, inputs and initializers the outputs depend on', () => {
    const pruned = pruneToOutputs(mixedLayersModel(), ['r1']).graph!;
    expect(pruned.node.map((n) => n.name)).toEqual(['conv1', 'relu1']);
    expect(pruned.input.map((i) => i.name)).toEqual(['image']);
    expect(pruned.initializer.map((t) => t.name)).toEqual(['conv1.weight', 'conv1.bias']);
    expect(pruned.output.map((o) => o.name)).toEqual(['r1']);
  });

  it('keeps a Constant node that feeds a kept layer, and declared outputs as they were', () => {
    const model = mixedLayersModel();
    const pruned = pruneToOutputs(model, ['c2', 'scores']).graph!;
    expect(pruned.node.map((n) => n.name)).toEqual(model.graph!.node.map((n) => n.name));
    expect(pruned.output.map((o) => o.name)).toEqual(['c2', 'scores']);
    expect(pruned.output[1]).toEqual(model.graph!.output[0]);
  });

  it('fetches a graph input with no node at all', () => {
    const pruned = pruneToOutputs(mixedLayersModel(), ['image']).graph!;
    expect(pruned.node).toEqual([]);
    expect(pruned.input.map((i) => i.name)).toEqual(['image']);
  });

  it('keeps a graph with subgraphs whole: their nodes read outer names without listing them', () => {
    const branch = makeModel({
      inputs: [],
      outputs: [makeValueInfo('b', null)],
      nodes: [makeNode('Identity', ['outer'], ['b'])],
    }).graph!;
    const ifNode = makeNode('If', ['cond'], ['picked'], {}, 'if');
    ifNode.attribute.push(
      create(AttributeProtoSchema, { name: 'then_branch', type: AttributeProto_AttributeType.GRAPH, g: branch }),
    );
    const model = makeModel({
      inputs: [makeValueInfo('x', [1]), makeValueInfo('cond', [])],
      outputs: [makeValueInfo('picked', null)],
      nodes: [makeNode('Relu', ['x'], ['outer'], {}, 'relu'), makeNode('Neg', ['x'], ['early'], {}, 'neg'), ifNode],
    });
    expect(pruneToOutputs(model, ['early']).graph!.node.map((n) => n.name)).toEqual(['relu', 'neg', 'if']);
  });
});
