import { makeModel, makeNode, makeValueInfo } from '../core/onnx/builder';
import { encodeModel } from '../core/onnx/model-io';
import { DataType, makeTensor } from '../core/onnx/tensor';
import { ModelRunner } from './ort';

/**
 * Batched matrix products for the CPU path, run by onnxruntime's MatMul (MLAS, wasm SIMD): 10-25x faster
 * than JavaScript loops, in float32 (callers sum chunks in float64).
 */
const transpose = { perm: [0, 2, 1] };

/** Per group g: A_g = X_g^T X_g and C_g = Y_g^T X_g, for X [groups, P, N] and Y [groups, P, Mg]. */
const gramModel = () =>
  makeModel({
    nodes: [
      makeNode('Transpose', ['X'], ['XT'], transpose),
      makeNode('MatMul', ['XT', 'X'], ['A']),
      makeNode('Transpose', ['Y'], ['YT'], transpose),
      makeNode('MatMul', ['YT', 'X'], ['C']),
    ],
    inputs: [makeValueInfo('X', ['G', 'P', 'N']), makeValueInfo('Y', ['G', 'P', 'M'])],
    outputs: [makeValueInfo('A', ['G', 'N', 'N']), makeValueInfo('C', ['G', 'M', 'N'])],
    name: 'gram',
  });

/** Per row of W [groups, Mg, N]: w^T A_g w and <C_m, w>, the output error's terms. */
const rowSumsModel = () =>
  makeModel({
    nodes: [
      makeNode('MatMul', ['W', 'A'], ['WA']),
      makeNode('Mul', ['WA', 'W'], ['WAW_terms']),
      makeNode('ReduceSum', ['WAW_terms', 'last'], ['WAW'], { keepdims: 0 }),
      makeNode('Mul', ['C', 'W'], ['CW_terms']),
      makeNode('ReduceSum', ['CW_terms', 'last'], ['CW'], { keepdims: 0 }),
    ],
    inputs: [makeValueInfo('W', ['G', 'M', 'N']), makeValueInfo('A', ['G', 'N', 'N']), makeValueInfo('C', ['G', 'M', 'N'])],
    outputs: [makeValueInfo('WAW', ['G', 'M']), makeValueInfo('CW', ['G', 'M'])],
    initializers: [makeTensor('last', [1], DataType.INT64, BigInt64Array.of(2n))],
    name: 'row-sums',
  });

const runners = new Map<string, Promise<ModelRunner>>();

/** One session per product model, made on first use (a failed creation is retried next time). */
async function run(
  name: string,
  model: () => ReturnType<typeof makeModel>,
  feeds: Record<string, [Float32Array, number[]]>,
): Promise<Record<string, Float32Array>> {
  let runner = runners.get(name);
  if (!runner) {
    runner = ModelRunner.create(encodeModel(model()));
    runner.catch(() => runners.delete(name));
    runners.set(name, runner);
  }
  const out = await (await runner).run(Object.fromEntries(Object.entries(feeds).map(([k, [data, dims]]) => [k, { data, dims }])));
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data]));
}

/** A [groups, N, N] and C [groups, Mg, N] of one chunk of patches. */
export async function gramProducts(
  x: Float32Array,
  y: Float32Array,
  shape: { groups: number; rows: number; n: number; mg: number },
): Promise<{ a: Float32Array; c: Float32Array }> {
  const { groups, rows, n, mg } = shape;
  const out = await run('gram', gramModel, { X: [x, [groups, rows, n]], Y: [y, [groups, rows, mg]] });
  return { a: out.A, c: out.C };
}

/** Per row (M = groups x Mg, row-major weights [M, N]): w^T A w and <C_m, w>. */
export async function quadraticRowSums(
  w: ArrayLike<number>,
  a: readonly ArrayLike<number>[],
  c: ArrayLike<number>,
  shape: { m: number; n: number },
): Promise<{ waw: Float64Array; cw: Float64Array }> {
  const { m, n } = shape;
  const groups = a.length;
  const gram = new Float32Array(groups * n * n);
  a.forEach((part, g) => gram.set(part, g * n * n));
  const out = await run('row-sums', rowSumsModel, {
    W: [Float32Array.from(w), [groups, m / groups, n]],
    A: [gram, [groups, n, n]],
    C: [Float32Array.from(c), [groups, m / groups, n]],
  });
  return { waw: Float64Array.from(out.WAW), cw: Float64Array.from(out.CW) };
}
