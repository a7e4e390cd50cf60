import { describe, expect, it } from 'vitest';
import { codeHistogram, outputError, weightMse } from './metrics';

describe('layer metrics', () => {
  // One row, N = 2, X = [[1, 0], [0, 2], [1, 1]]: A = X^T X, targets y = X w with w = [1, -1].
  const a = [Float64Array.of(2, 1, 1, 5)];
  const y = [1, -2, 0];
  const c = Float64Array.of(1 * 1 + 0 + 0, 0 + -2 * 2 + 0);
  const yy = [y.reduce((s, v) => s + v * v, 0)];
  const problem = { a, c, m: 1, n: 2, groups: 1 };

  it('output error from A, C and yy equals ||y - X w||^2 computed directly', () => {
    expect(outputError(problem, yy, [1, -1]).relative).toBe(0);
    // w = [1, 0]: X w = [1, 0, 1], residual [0, -2, -1] -> 5 / 5.
    const e = outputError(problem, yy, [1, 0]);
    expect(e.perRow[0]).toBeCloseTo(5, 12);
    expect(e.relative).toBeCloseTo(1, 12);
    expect(e.sqnrDb).toBeCloseTo(0, 9);
    expect(outputError(problem, yy, [0.5, -1]).sqnrDb).toBeCloseTo(10 * Math.log10(5 / 0.5), 9);
  });

  it('weight MSE and the code histogram', () => {
    const q = { bits: 3, m: 1, n: 4, codes: Int32Array.of(-3, 0, 1, 1), steps: Float64Array.of(0.5) };
    expect(weightMse([-1.5, 0.1, 0.5, 0.7], q)).toBeCloseTo((0.01 + 0.04) / 4, 12);
    expect(codeHistogram(q)).toEqual([
      { code: -3, count: 1 },
      { code: -2, count: 0 },
      { code: -1, count: 0 },
      { code: 0, count: 1 },
      { code: 1, count: 2 },
      { code: 2, count: 0 },
      { code: 3, count: 0 },
    ]);
  });
});
