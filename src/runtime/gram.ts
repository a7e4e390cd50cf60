import * as ort from 'onnxruntime-web';
import { makeModel, makeNode, makeValueInfo } from '../core/onnx/builder';
import { encodeModel } from '../core/onnx/model-io';

/**
 * Per group g: A_g = X_g^T X_g and C_g = Y_g^T X_g, for X [groups, P, N] and Y [groups, P, Mg]. On the
 * CPU these products dominate calibration; onnxruntime's MatMul (MLAS, wasm SIMD) runs them 10-25x
 * faster than a JavaScript loop over patches.
 */
function gramModel(): Uint8Array {
  const transpose = { perm: [0, 2, 1] };
  return encodeModel(makeModel({
    nodes: [
      makeNode('Transpose', ['X'], ['XT'], transpose),
      makeNode('MatMul', ['XT', 'X'], ['A']),
      makeNode('Transpose', ['Y'], ['YT'], transpose),
      makeNode('MatMul', ['YT', 'X'], ['C']),
    ],
    inputs: [makeValueInfo('X', ['G', 'P', 'N']), makeValueInfo('Y', ['G', 'P', 'M'])],
    outputs: [makeValueInfo('A', ['G', 'N', 'N']), makeValueInfo('C', ['G', 'M', 'N'])],
    name: 'gram',
  }));
}

let session: Promise<ort.InferenceSession> | null = null;

function gramSession(): Promise<ort.InferenceSession> {
  session ??= ort.InferenceSession.create(gramModel(), { executionProviders: ['wasm'], logSeverityLevel: 3 }).catch((e: unknown) => {
    session = null;
    throw e;
  });
  return session;
}

/** A [groups, N, N] and C [groups, Mg, N] in float32 (one product's sums: callers add chunks in float64). */
export async function gramProducts(
  x: Float32Array, y: Float32Array, shape: { groups: number; rows: number; n: number; mg: number },
): Promise<{ a: Float32Array; c: Float32Array }> {
  const { groups, rows, n, mg } = shape;
  const s = await gramSession();
  const out = await s.run({ X: new ort.Tensor('float32', x, [groups, rows, n]), Y: new ort.Tensor('float32', y, [groups, rows, mg]) });
  const a = out.A.data as Float32Array;
  const c = out.C.data as Float32Array;
  out.A.dispose();
  out.C.dispose();
  return { a, c };
}
