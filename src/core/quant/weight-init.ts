import { assertWeightBits, qmaxOf, type QuantizedWeights } from './grid';

export const DEFAULT_INIT_ITERATIONS = 100;

/** Round half to even, as numpy's `round` and WGSL's `round` do: ties must agree with the GPU. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Float64 reference of weight-init.wgsl: per row, the max-abs scale and then (iterations > 0) the
 * Lloyd fit of a symmetric uniform quantizer (bit-split.md, section 3), stopping at the exact fixed
 * point (codes unchanged) or the cap. A zero row gives zero codes and a zero step.
 */
export function initWeightsReference(
  w: ArrayLike<number>,
  m: number,
  n: number,
  bits: number,
  iterations = DEFAULT_INIT_ITERATIONS,
): QuantizedWeights & { iterations: Int32Array } {
  assertWeightBits(bits);
  const qmax = qmaxOf(bits);
  const codes = new Int32Array(m * n);
  const steps = new Float64Array(m);
  const used = new Int32Array(m);
  for (let row = 0; row < m; row++) {
    const o = row * n;
    let maxAbs = 0;
    for (let k = 0; k < n; k++) maxAbs = Math.max(maxAbs, Math.abs(w[o + k]));
    if (maxAbs === 0) continue;
    let step = maxAbs / qmax;
    const quantize = () => {
      let changed = false;
      for (let k = 0; k < n; k++) {
        const q = Math.min(qmax, Math.max(-qmax, roundHalfEven(w[o + k] / step)));
        if (q !== codes[o + k]) changed = true;
        codes[o + k] = q;
      }
      return changed;
    };
    quantize();
    for (let it = 0; it < iterations; it++) {
      let wq = 0;
      let qq = 0;
      for (let k = 0; k < n; k++) {
        wq += w[o + k] * codes[o + k];
        qq += codes[o + k] * codes[o + k];
      }
      step = wq / qq;
      used[row] = it + 1;
      if (!quantize()) break;
    }
    steps[row] = step;
  }
  return { bits, m, n, codes, steps, iterations: used };
}
