import type { SolverProblem } from './bit-split';
import { qmaxOf, type QuantizedWeights } from './grid';

export interface LayerError {
  /** ||Y - X W^T||^2 / ||Y||^2 over the calibration patches. */
  relative: number;
  /** 10 log10(||Y||^2 / ||Y - X W^T||^2). */
  sqnrDb: number;
  /** Per row: ||y_m - X w_m||^2. */
  perRow: Float64Array;
}

/**
 * The layer's output error computed from A, C and yy = diag(Y^T Y) alone:
 * ||y - X w||^2 = yy - 2 <C_m, w> + w^T A w, for any weights (float or dequantized).
 */
export function outputError(p: SolverProblem, yy: ArrayLike<number>, weights: ArrayLike<number>): LayerError {
  const { cw, waw } = quadraticSums(p, weights);
  return errorFromRowSums(yy, cw, waw);
}

/** Per row, <C_m, w> and w^T A w. */
export function quadraticSums(p: SolverProblem, weights: ArrayLike<number>): { cw: Float64Array; waw: Float64Array } {
  const { m, n } = p;
  const rowsPerGroup = m / p.groups;
  const cw = new Float64Array(m);
  const waw = new Float64Array(m);
  for (let row = 0; row < m; row++) {
    const a = p.a[Math.floor(row / rowsPerGroup)];
    const o = row * n;
    for (let r = 0; r < n; r++) {
      const wr = weights[o + r];
      cw[row] += p.c[o + r] * wr;
      if (wr === 0) continue;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += a[r * n + k] * weights[o + k];
      waw[row] += wr * acc;
    }
  }
  return { cw, waw };
}

/** The same from each row's <C_m, w> and w^T A w, wherever they were summed (the GPU solver reports them). */
export function errorFromRowSums(yy: ArrayLike<number>, cw: ArrayLike<number>, waw: ArrayLike<number>): LayerError {
  // Rounding can leave a tiny negative remainder for an exact fit.
  const perRow = Float64Array.from(yy, (v, row) => Math.max(0, v - 2 * cw[row] + waw[row]));
  return layerError(perRow, yy);
}

/** Relative error and SQNR of per-row squared errors against the rows' target energies ||y_m||^2. */
export function layerError(perRow: Float64Array, energies: ArrayLike<number>): LayerError {
  const total = perRow.reduce((a, b) => a + b, 0);
  let energy = 0;
  for (let row = 0; row < energies.length; row++) energy += energies[row];
  const relative = energy > 0 ? total / energy : 0;
  return { relative, sqnrDb: 10 * Math.log10(energy / Math.max(total, Number.MIN_VALUE)), perRow };
}

export function weightMse(w: ArrayLike<number>, q: QuantizedWeights): number {
  let sum = 0;
  for (let row = 0; row < q.m; row++) {
    for (let k = 0; k < q.n; k++) {
      const d = w[row * q.n + k] - q.codes[row * q.n + k] * q.steps[row];
      sum += d * d;
    }
  }
  return sum / (q.m * q.n);
}

/** Counts of each code value from -qmax to qmax, and beyond where the full grid's rows reach +-2^(b-1). */
export function codeHistogram(q: QuantizedWeights): { code: number; count: number }[] {
  let [low, high] = [-qmaxOf(q.bits), qmaxOf(q.bits)];
  for (const c of q.codes) [low, high] = [Math.min(low, c), Math.max(high, c)];
  const counts = new Array(high - low + 1).fill(0);
  for (const c of q.codes) counts[c - low]++;
  return counts.map((count, i) => ({ code: i + low, count }));
}
