import { StudioError } from '../errors';
import type { SolverProblem } from './bit-split';
import { errorFromRowSums, layerError, type LayerError } from './metrics';

/**
 * Bias correction: each output channel's bias is a free, unquantized parameter, so the solver should
 * fit the weights to what the bias cannot absorb. For a row m with patches X (K x N) and targets y,
 *
 *     min over w, b of ||y - X w - b||^2  =  min over w of ||(y - ȳ) - (X - x̄) w||^2,   b = ȳ - x̄ w,
 *
 * so the solver runs unchanged on centred sums (A - K x̄ x̄ᵀ, C - K ȳ x̄ᵀ, yy - K ȳ²) and the bias moves
 * by the mean error of the result. With error compensation the mean error comes from the layer's own
 * rounding and from everything upstream (a quantized input shifts every channel's mean).
 */
export interface MeanSums {
  /** Output positions summed (rows of X). */
  count: number;
  /** Per group, the column sums of that group's patches (N each). */
  x: Float64Array[];
  /** Per output channel, the sum of its targets (M). */
  y: Float64Array;
}

export function emptyMeanSums(groups: number, n: number, m: number): MeanSums {
  return { count: 0, x: Array.from({ length: groups }, () => new Float64Array(n)), y: new Float64Array(m) };
}

/**
 * Adds gathered rows: patches row-major [groups, rows, N] and targets [groups, rows, M / groups], the
 * layouts of `gatherPatches` and `gatherTargets`.
 */
export function addMeanSums(sums: MeanSums, patches: ArrayLike<number>, targets: ArrayLike<number>, rows: number): void {
  const groups = sums.x.length;
  const n = sums.x[0].length;
  const perGroup = sums.y.length / groups;
  for (let group = 0; group < groups; group++) {
    const sx = sums.x[group];
    for (let row = 0; row < rows; row++) {
      const base = (group * rows + row) * n;
      for (let k = 0; k < n; k++) sx[k] += patches[base + k];
      const t = (group * rows + row) * perGroup;
      for (let k = 0; k < perGroup; k++) sums.y[group * perGroup + k] += targets[t + k];
    }
  }
  sums.count += rows;
}

/** The centred problem in place: A_g -= x_g x_gᵀ / K, C_m -= y_m x_g(m) / K, yy_m -= y_m² / K. */
export function centerStatistics(
  problem: SolverProblem & { a: Float64Array[]; c: Float64Array },
  yy: Float64Array,
  sums: MeanSums,
): void {
  const { n, m, groups } = problem;
  if (sums.count === 0) throw new StudioError('InvalidArgumentError', 'bias correction: no positions were summed.');
  if (sums.x.length !== groups || sums.x[0].length !== n || sums.y.length !== m) {
    throw new StudioError(
      'InvalidArgumentError',
      `bias correction: sums of ${sums.x.length} x ${sums.x[0]?.length} patches and ${sums.y.length} targets do not fit a problem of ${groups} groups, N = ${n}, M = ${m}.`,
    );
  }
  const perGroup = m / groups;
  for (let group = 0; group < groups; group++) {
    const sx = sums.x[group];
    const a = problem.a[group];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] -= (sx[i] * sx[j]) / sums.count;
    for (let row = group * perGroup; row < (group + 1) * perGroup; row++) {
      const sy = sums.y[row];
      for (let j = 0; j < n; j++) problem.c[row * n + j] -= (sy * sx[j]) / sums.count;
      yy[row] -= (sy * sy) / sums.count;
    }
  }
}

/** Per row, the mean of y - X w over the summed positions: what the bias must add for weights `w` (M x N). */
export function meanError(sums: MeanSums, w: ArrayLike<number>): Float64Array {
  const groups = sums.x.length;
  const n = sums.x[0].length;
  const m = sums.y.length;
  const perGroup = m / groups;
  return Float64Array.from({ length: m }, (_, row) => {
    const sx = sums.x[Math.floor(row / perGroup)];
    let d = sums.y[row];
    for (let k = 0; k < n; k++) d -= sx[k] * w[row * n + k];
    return sums.count > 0 ? d / sums.count : 0;
  });
}

/** The bias that makes the layer's mean error over the calibration positions zero. */
export function correctedBias(bias: Float32Array, shift: Float64Array): Float32Array {
  return Float32Array.from(bias, (b, i) => b + shift[i]);
}

/**
 * The output error of weights `w` from centred sums (yy, and the row sums <C_m, w>, w^T A w taken on
 * the centred A and C), against the raw targets: with the bias corrected (the mean error removed), or
 * with the bias left as it was (the mean error added back: K times its square per row). Relative to
 * ||Y||^2, as without bias correction, so that both compare.
 */
export function errorAroundMeans(
  centredYY: ArrayLike<number>,
  cw: ArrayLike<number>,
  waw: ArrayLike<number>,
  sums: MeanSums,
  w: ArrayLike<number>,
  biasCorrected: boolean,
): LayerError {
  const { perRow } = errorFromRowSums(centredYY, cw, waw);
  if (!biasCorrected) meanError(sums, w).forEach((shift, row) => (perRow[row] += sums.count * shift ** 2));
  return layerError(perRow, rawEnergy(centredYY, sums));
}

/** ||Y||^2 from the centred diag(YᵀY). */
export function rawEnergy(centredYY: ArrayLike<number>, sums: MeanSums): Float64Array {
  return Float64Array.from(centredYY, (v, row) => v + (sums.count > 0 ? sums.y[row] ** 2 / sums.count : 0));
}
