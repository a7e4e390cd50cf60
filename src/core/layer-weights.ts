import { resolveConvGeometry, denseGeometry, type ConvGeometry } from './conv-geometry';
import { StudioError } from './errors';
import type { LayerInfo } from './layers';
import type { GraphView } from './onnx/graph';
import { tensorToFloat32 } from './onnx/tensor';

/** A layer's weight as the solver's M x N matrix, and as the model stores it. */
export interface LayerWeights {
  matrix: Float32Array;
  original: Float32Array;
}

/** Gemm computes alpha * A * B: the solver quantizes alpha * B^T (as M x N); layerCodes divides alpha out again. */
export function layerWeights(graph: GraphView, layer: LayerInfo): LayerWeights {
  const t = graph.constantTensor(layer.weight);
  if (!t)
    throw new StudioError('UnsupportedModelError', `Layer "${layer.name}": its weight "${layer.weight}" is not a constant.`);
  const original = tensorToFloat32(t);
  const { m, n } = layer;
  const alpha = layer.gemm?.alpha ?? 1;
  const transposed = layer.op === 'MatMul' || (layer.op === 'Gemm' && !layer.gemm?.transB);
  const matrix = new Float32Array(m * n);
  for (let r = 0; r < m; r++)
    for (let k = 0; k < n; k++) matrix[r * n + k] = alpha * original[transposed ? k * m + r : r * n + k];
  return { matrix, original };
}

/** A layer's codes in the model's own layout, with the per-output-channel scale a DequantizeLinear applies. */
export interface LayerCodes {
  /**
   * Each row's 2^b levels or fewer, within [-2^(b-1), 2^(b-1)]: a full-grid row (full-grid.ts) reaches one
   * end, the sign-magnitude planes' codes neither.
   */
  codes: Int32Array;
  /** Positive. */
  scales: Float32Array;
  /** The weight tensor's output-channel axis: 0 for Conv and Gemm with transB, 1 for Gemm and MatMul otherwise. */
  axis: number;
  /** code * scale in float32: exactly what onnxruntime's DequantizeLinear computes, so the job simulates this. */
  weights: Float32Array;
}

export function layerCodes(
  layer: LayerInfo,
  q: { bits: number; m: number; n: number; codes: Int32Array; steps: ArrayLike<number> },
): LayerCodes {
  const { m, n } = layer;
  if (q.m !== m || q.n !== n)
    throw new StudioError('InvalidArgumentError', `Layer "${layer.name}": codes are ${q.m} x ${q.n}, the layer is ${m} x ${n}.`);
  const alpha = layer.gemm?.alpha ?? 1;
  const transposed = layer.op === 'MatMul' || (layer.op === 'Gemm' && !layer.gemm?.transB);
  const levels = 2 ** q.bits;
  const scales = new Float32Array(m);
  const codes = new Int32Array(m * n);
  const weights = new Float32Array(m * n);
  for (let r = 0; r < m; r++) {
    // A zero row has step 0 and codes 0: any scale gives it back, and 1 keeps bias scales non-zero.
    // A negative step (a negative Gemm alpha) is stored with its codes negated.
    const step = q.steps[r] / alpha || 1;
    const sign = Math.sign(step);
    scales[r] = Math.abs(step);
    let [bottom, top] = [0, 0];
    for (let k = 0; k < n; k++)
      [bottom, top] = [Math.min(bottom, sign * q.codes[r * n + k]), Math.max(top, sign * q.codes[r * n + k])];
    if (top - bottom >= levels || Math.max(-bottom, top) > levels / 2) {
      throw new StudioError(
        'InvalidArgumentError',
        `Layer "${layer.name}", output channel ${r}: codes from ${bottom} to ${top} do not fit the ${levels} levels of ${q.bits} bits.`,
      );
    }
    for (let k = 0; k < n; k++) {
      const at = transposed ? k * m + r : r * n + k;
      codes[at] = sign * q.codes[r * n + k];
      weights[at] = codes[at] * scales[r];
    }
  }
  return { codes, scales, axis: transposed ? 1 : 0, weights };
}

/**
 * The bias as stored (Conv's B, Gemm's C) when a QDQ runtime quantizes it to int32: a float constant
 * of one value per output channel. Otherwise null, and it stays float.
 */
export function storedBias(graph: GraphView, layer: LayerInfo): Float32Array | null {
  const t = layer.bias ? graph.constantTensor(layer.bias) : null;
  if (!t || t.dims.length !== 1 || t.dims[0] !== layer.m || !(t.values instanceof Float32Array)) return null;
  return t.values;
}

/** Per output channel, what to subtract from the layer's output to get X W^T alone (bias, or beta * C). */
export function layerBias(graph: GraphView, layer: LayerInfo): Float32Array | null {
  if (!layer.bias) return null;
  const t = graph.constantTensor(layer.bias);
  if (!t)
    throw new StudioError('UnsupportedModelError', `Layer "${layer.name}": its bias "${layer.bias}" is computed at run time.`);
  const values = tensorToFloat32(t);
  const beta = layer.gemm?.beta ?? 1;
  if (values.length !== layer.m && values.length !== 1) {
    throw new StudioError(
      'UnsupportedModelError',
      `Layer "${layer.name}": a bias of ${values.length} values does not broadcast over ${layer.m} outputs.`,
    );
  }
  return Float32Array.from({ length: layer.m }, (_, i) => beta * values[values.length === 1 ? 0 : i]);
}

/** The geometry of a layer for an input of the given dims (NCHW for conv; [..., N] for dense layers). */
export function layerGeometry(layer: LayerInfo, dims: readonly number[]): ConvGeometry {
  if (layer.conv) {
    const [batch, channels, ...spatial] = dims;
    const [height, width] = spatial.length === 1 ? [1, spatial[0]] : spatial;
    return resolveConvGeometry(layer.conv, { batch, channels, height, width });
  }
  if (layer.gemm?.transA)
    throw new StudioError('UnsupportedModelError', `Layer "${layer.name}": Gemm with transA = 1 is not supported.`);
  const rows = dims.slice(0, -1).reduce((a, b) => a * b, 1);
  if (dims.at(-1) !== layer.n)
    throw new StudioError(
      'UnsupportedModelError',
      `Layer "${layer.name}": input's last dimension ${dims.at(-1)} is not the weight's ${layer.n}.`,
    );
  return denseGeometry(rows, layer.n);
}

/**
 * The layer's output as the solver's targets: NCHW for conv ([rows, M] for dense), bias removed.
 * ORT gives dense outputs as [..., M] already; conv outputs are NCHW.
 */
export function targetsWithoutBias(output: Float32Array, m: number, plane: number, bias: Float32Array | null): Float32Array {
  if (!bias) return output;
  const out = new Float32Array(output.length);
  for (let i = 0; i < output.length; i++) out[i] = output[i] - bias[Math.floor(i / plane) % m];
  return out;
}

/**
 * The input channel that column k of row r of the solver's matrix multiplies: for a conv, the row's
 * group's channel of the patch element (weight layout [M, C/groups, kh, kw]); for a dense layer, k.
 */
export function columnChannel(layer: LayerInfo): (row: number, k: number) => number {
  if (!layer.conv) return (_row, k) => k;
  const perGroup = layer.weightShape[1];
  const kernel = layer.n / perGroup;
  const rowsPerGroup = layer.m / layer.groups;
  return (row, k) => Math.floor(row / rowsPerGroup) * perGroup + Math.floor(k / kernel);
}

/**
 * Per-channel input scales folded into the weights (the paper's variant): the layer reads the integer
 * codes x / s, so its solver matrix is W diag(s). `unfold` divides them out of a model-layout weight
 * again, for a simulation that feeds the fake-quantized x itself.
 */
export function foldChannelScales(layer: LayerInfo, matrix: Float32Array, scales: Float32Array): Float32Array {
  const channel = columnChannel(layer);
  return matrix.map((w, i) => w * scales[channel(Math.floor(i / layer.n), i % layer.n)]);
}

export function unfoldChannelScales(layer: LayerInfo, weights: Float32Array, scales: Float32Array): Float32Array {
  const channel = columnChannel(layer);
  const transposed = layer.op === 'MatMul' || (layer.op === 'Gemm' && !layer.gemm?.transB);
  const { m, n } = layer;
  return weights.map((w, at) => {
    const [r, k] = transposed ? [at % m, Math.floor(at / m)] : [Math.floor(at / n), at % n];
    return w / scales[channel(r, k)];
  });
}
