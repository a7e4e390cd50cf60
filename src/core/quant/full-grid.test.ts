import { describe, expect, it } from 'vitest';
import { convGramReference, crossGramReference } from '../reference/conv-gram';
import { solveBitSplitReference, type SolverProblem } from './bit-split';
import { FULL_GRID_MIN_GAIN, orientationRange, refineFullGridReference } from './full-grid';
import { qmaxOf } from './grid';
import { syntheticConvLayer } from './synthetic';
import { initWeightsReference } from './weight-init';

function problemOf(m: number, channels: number, seed: number, skew = false) {
  const geometry = {
    batch: 2,
    channels,
    height: 9,
    width: 9,
    groups: 1,
    kernelH: 3,
    kernelW: 3,
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    padTop: 1,
    padLeft: 1,
    padBottom: 1,
    padRight: 1,
  };
  const layer = syntheticConvLayer({ m, geometry, seed });
  const n = channels * 9;
  const a = convGramReference(layer.input, geometry);
  let c = crossGramReference(layer.input, layer.target, m, geometry).c;
  if (skew) {
    // Rows of mostly positive weights (where the extra level helps), reproduced exactly: C = W A.
    layer.weights.forEach((w, i) => (layer.weights[i] = Math.abs(w) * (i % 5 === 0 ? -1 : 1)));
    c = Float64Array.from({ length: m * n }, (_, i) => {
      const [row, k] = [Math.floor(i / n), i % n];
      let acc = 0;
      for (let j = 0; j < n; j++) acc += layer.weights[row * n + j] * a[0][j * n + k];
      return acc;
    });
  }
  const problem: SolverProblem = { a, c, m, n, groups: 1 };
  return { problem, weights: layer.weights };
}

const rowObjective = (p: SolverProblem, codes: ArrayLike<number>, step: number, row: number) => {
  const { n } = p;
  let quad = 0;
  let lin = 0;
  for (let r = 0; r < n; r++) {
    let acc = 0;
    for (let k = 0; k < n; k++) acc += p.a[0][r * n + k] * codes[row * n + k];
    quad += codes[row * n + r] * acc;
    lin += p.c[row * n + r] * codes[row * n + r];
  }
  return step * step * quad - 2 * step * lin;
};

describe('the full-grid descent (float64 reference)', () => {
  it.each([2, 3, 4])(
    "at %i bits: never above Bit-Split, inside the orientation's range, at a fixed point of +-1 moves",
    (bits) => {
      const { problem, weights } = problemOf(12, 4, 40 + bits);
      const solved = solveBitSplitReference(problem, initWeightsReference(weights, 12, problem.n, bits));
      const full = refineFullGridReference(problem, solved);
      let lower = 0;
      for (let row = 0; row < 12; row++) {
        const before = rowObjective(problem, solved.codes, solved.steps[row], row);
        const after = rowObjective(problem, full.codes, full.steps[row], row);
        expect(after).toBeLessThanOrEqual(before + 1e-12 * Math.abs(before));
        if (after < before * (1 + 1e-9)) lower++;
        const [lo, hi] = orientationRange(bits, full.orientation[row]);
        const row_ = Array.from(full.codes.subarray(row * problem.n, (row + 1) * problem.n));
        expect(Math.min(...row_)).toBeGreaterThanOrEqual(lo);
        expect(Math.max(...row_)).toBeLessThanOrEqual(hi);
        // No single move lowers the objective by more than the threshold; the step is the least-squares fit.
        const step = full.steps[row];
        for (let k = 0; k < problem.n; k++) {
          for (const d of [-1, 1]) {
            const q = full.codes[row * problem.n + k] + d;
            if (q < lo || q > hi) continue;
            const moved = full.codes.slice();
            moved[row * problem.n + k] = q;
            const gain = after - rowObjective(problem, moved, step, row);
            expect(gain).toBeLessThanOrEqual(
              FULL_GRID_MIN_GAIN * step * step * problem.a[0][k * problem.n + k] + 1e-9 * Math.abs(after),
            );
          }
        }
        expect(full.num[row] / full.den[row]).toBeCloseTo(step, 12);
      }
      // At 2 bits the ternary planes use 3 of 4 levels: many rows gain.
      if (bits === 2) expect(lower).toBeGreaterThanOrEqual(4);
      console.log(
        `${bits} bits: ${lower} of 12 rows lower, ${full.moves.reduce((x, y) => x + y, 0)} moves, orientations ${Array.from(full.orientation).join('')}`,
      );
    },
  );

  it('rows of mostly positive weights take +2^(b-1); its mirror takes -2^(b-1), with the same step', () => {
    const bits = 2;
    const { problem, weights } = problemOf(6, 3, 7, true);
    const solved = solveBitSplitReference(problem, initWeightsReference(weights, 6, problem.n, bits));
    const full = refineFullGridReference(problem, solved);
    const mirrored = refineFullGridReference(
      { ...problem, c: Float64Array.from(problem.c, (v) => -v) },
      { ...solved, codes: solved.codes.map((q) => -q) },
    );
    const top = qmaxOf(bits) + 1;
    // The descent starts from Bit-Split's codes and scale, so it only finds the extra level where single
    // moves lead there (two of these six rows).
    expect(Array.from(full.orientation).filter((o) => o === 1).length).toBeGreaterThanOrEqual(2);
    expect(full.codes.some((q) => q === top)).toBe(true);
    expect(Array.from(mirrored.codes)).toEqual(Array.from(full.codes, (q) => -q || 0));
    for (let row = 0; row < 6; row++) {
      const codes = Array.from(full.codes.subarray(row * problem.n, (row + 1) * problem.n));
      if (codes.includes(top)) expect([full.orientation[row], mirrored.orientation[row]]).toEqual([1, 0]);
    }
    mirrored.steps.forEach((s, row) => expect(s).toBeCloseTo(full.steps[row], 12));
  });

  it('leaves a zero row alone', () => {
    const { problem, weights } = problemOf(4, 2, 3);
    weights.fill(0, 0, problem.n);
    const init = initWeightsReference(weights, 4, problem.n, 3);
    expect(init.steps[0]).toBe(0);
    const full = refineFullGridReference(problem, init);
    expect(full.steps[0]).toBe(0);
    expect(Array.from(full.codes.subarray(0, problem.n)).every((q) => q === 0)).toBe(true);
    expect(full.moves[0]).toBe(0);
  });
});
