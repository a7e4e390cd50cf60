import { StudioError } from '../errors';

/** Largest code magnitude of a signed symmetric b-bit grid: the most negative value is never used. */
export const qmaxOf = (bits: number) => 2 ** (bits - 1) - 1;

/** Ternary planes of a b-bit code: the sign bit does not need one. */
export const planesOf = (bits: number) => bits - 1;

export function assertWeightBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new StudioError('InvalidArgumentError', `Weight bit-width must be an integer from 2 to 8, got ${bits}.`);
  }
}

/** A layer's quantized weights: integer codes (row-major M x N) and one step size per row. */
export interface QuantizedWeights {
  bits: number;
  m: number;
  n: number;
  codes: Int32Array;
  steps: Float64Array;
}

/** Splits codes into planes (most significant first), the layout the solver works on: [M][P][N]. */
export function splitPlanes(codes: Int32Array, m: number, n: number, bits: number): Int8Array {
  const p = planesOf(bits);
  const planes = new Int8Array(m * p * n);
  for (let row = 0; row < m; row++) {
    for (let k = 0; k < n; k++) {
      const q = codes[row * n + k];
      const sign = Math.sign(q);
      let r = Math.abs(q);
      for (let j = 0; j < p; j++, r >>= 1) planes[(row * p + (p - 1 - j)) * n + k] = (r & 1) * sign;
    }
  }
  return planes;
}

export function stitchPlanes(planes: Int8Array | Int32Array, m: number, n: number, bits: number): Int32Array {
  const p = planesOf(bits);
  const codes = new Int32Array(m * n);
  for (let row = 0; row < m; row++) {
    for (let i = 0; i < p; i++) {
      const weight = 2 ** (p - 1 - i);
      for (let k = 0; k < n; k++) codes[row * n + k] += planes[(row * p + i) * n + k] * weight;
    }
  }
  return codes;
}

export function dequantize(q: QuantizedWeights): Float64Array {
  const w = new Float64Array(q.m * q.n);
  for (let row = 0; row < q.m; row++) for (let k = 0; k < q.n; k++) w[row * q.n + k] = q.codes[row * q.n + k] * q.steps[row];
  return w;
}
