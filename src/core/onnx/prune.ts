import { clone } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from 'onnx-buf';
import { makeValueInfo } from './builder';
import { DataType } from './tensor';

/**
 * The part of `model` that `outputs` depend on, with exactly those outputs. onnxruntime runs every node
 * of a session whatever is fetched, so a session cut at an early layer's input costs only the layers
 * before it. Graphs with subgraphs (If, Loop, Scan) read outer names implicitly: they are kept whole.
 */
export function pruneToOutputs(model: ModelProto, outputs: readonly string[]): ModelProto {
  const pruned = clone(ModelProtoSchema, model);
  const g = pruned.graph!;
  const hasSubgraphs = g.node.some((n) => n.attribute.some((a) => a.g || a.graphs.length > 0));
  const producer = new Map(g.node.flatMap((n) => n.output.map((out) => [out, n] as const)));
  const needed = new Set<string>();
  const keep = new Set(hasSubgraphs ? g.node : []);
  const stack = hasSubgraphs ? g.node.flatMap((n) => n.input) : [...outputs];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (name === '' || needed.has(name)) continue;
    needed.add(name);
    const node = producer.get(name);
    if (node && !keep.has(node)) {
      keep.add(node);
      stack.push(...node.input);
    }
  }
  for (const name of outputs) needed.add(name);
  g.node = g.node.filter((n) => keep.has(n));
  g.input = g.input.filter((i) => needed.has(i.name));
  g.initializer = g.initializer.filter((t) => needed.has(t.name));
  const declared = new Map(g.output.map((o) => [o.name, o]));
  g.output = outputs.map((name) => declared.get(name) ?? makeValueInfo(name, null, DataType.FLOAT));
  return pruned;
}
