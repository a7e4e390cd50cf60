import { qmaxOf, type QuantizedWeights } from './grid';
import { validateProblem, type SolverProblem } from './bit-split';

/**
 * The full grid refines layers of fewer than 8 bits: their extra level fits int8 as it is, where an
 * 8-bit row's +128 would need a zero point (full-grid rows are exported with zero points 0 in int8).
 */
export const fullGridApplies = (bits: number) => bits < 8;

/** Sweeps over a row's codes before a scale refit, and refits, at most (each sweep lowers the objective). */
export const FULL_GRID_SWEEPS = 64;
export const FULL_GRID_REFITS = 32;

/**
 * A move must lower the objective by more than this fraction of alpha^2 A_kk (the energy of one code
 * step): float32 and float64 then take the same decisions except at near-ties, and no rounding noise
 * can make a sweep cycle.
 */
export const FULL_GRID_MIN_GAIN = 1e-5;

const MOVES = [-1, 1] as const;

export interface FullGridResult extends QuantizedWeights {
  /** Per row: 0 if its codes may take -2^(b-1), 1 if +2^(b-1) (codes in [-qmax, qmax + 1]). */
  orientation: Uint8Array;
  /** Codes changed per row by the descent. */
  moves: Int32Array;
  /** Per row, <C, q> and q^T A q of the final codes q (in code units). */
  num: Float64Array;
  den: Float64Array;
}

/** The code range of an orientation: the sign-magnitude planes' 2^b - 1 levels plus one. */
export const orientationRange = (bits: number, orientation: number): [number, number] => [
  -qmaxOf(bits) - 1 + orientation,
  qmaxOf(bits) + orientation,
];

/**
 * Float64 reference of full-grid.wgsl. Bit-Split's ternary planes reach 2^b - 1 of a b-bit integer's 2^b
 * levels. Per row, this descends from the solved codes on the full grid, once for each orientation of
 * the extra level: coordinate descent on the objective alpha^2 q^T A q - 2 alpha <C, q>, each code moved
 * by +-1 within the range when that lowers it (exact change alpha^2 (2 d (Aq)_k + A_kk) - 2 alpha d C_k),
 * sweeps in column order until none moves, then alpha refitted to <C,q> / q^T A q, until a refit
 * follows a sweep without moves. G = A q is computed once and updated with each move. The row keeps
 * the orientation with the lower objective (the first on a tie).
 */
export function refineFullGridReference(p: SolverProblem, init: QuantizedWeights): FullGridResult {
  validateProblem(p, init);
  const { m, n } = p;
  const codes = init.codes.slice();
  const steps = init.steps.slice();
  const orientation = new Uint8Array(m);
  const moves = new Int32Array(m);
  const num = new Float64Array(m);
  const den = new Float64Array(m);
  const rowsPerGroup = m / p.groups;
  const g = new Float64Array(n);
  for (let row = 0; row < m; row++) {
    if (init.steps[row] === 0) continue;
    const a = p.a[Math.floor(row / rowsPerGroup)];
    const c = p.c;
    const base = row * n;
    let best = Infinity;
    for (let o = 0; o < 2; o++) {
      const [lo, hi] = orientationRange(init.bits, o);
      const q = init.codes.slice(base, base + n);
      let alpha = init.steps[row];
      for (let r = 0; r < n; r++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += a[r * n + k] * q[k];
        g[r] = acc;
      }
      let moved = 0;
      let rowNum = 0;
      let rowDen = 0;
      for (let refit = 0; refit < FULL_GRID_REFITS; refit++) {
        let movedHere = 0;
        for (let sweep = 0; sweep < FULL_GRID_SWEEPS; sweep++) {
          let movedInSweep = 0;
          for (let k = 0; k < n; k++) {
            const diag = a[k * n + k];
            let bestDelta = -FULL_GRID_MIN_GAIN * alpha * alpha * diag;
            let step = 0;
            for (const d of MOVES) {
              const next = q[k] + d;
              if (next < lo || next > hi) continue;
              const delta = alpha * alpha * (2 * d * g[k] + diag) - 2 * alpha * d * c[base + k];
              if (delta < bestDelta) {
                bestDelta = delta;
                step = d;
              }
            }
            if (step !== 0) {
              q[k] += step;
              for (let r = 0; r < n; r++) g[r] += step * a[r * n + k];
              movedInSweep++;
            }
          }
          movedHere += movedInSweep;
          if (movedInSweep === 0) break;
        }
        rowNum = 0;
        rowDen = 0;
        for (let r = 0; r < n; r++) {
          rowNum += c[base + r] * q[r];
          rowDen += q[r] * g[r];
        }
        if (rowDen > 0) alpha = rowNum / rowDen;
        moved += movedHere;
        if (movedHere === 0) break;
      }
      const objective = alpha * alpha * rowDen - 2 * alpha * rowNum;
      if (o === 0 || objective < best) {
        best = objective;
        codes.set(q, base);
        steps[row] = alpha;
        orientation[row] = o;
        moves[row] = moved;
        num[row] = rowNum;
        den[row] = rowDen;
      }
    }
  }
  return { bits: init.bits, m, n, codes, steps, orientation, moves, num, den };
}
