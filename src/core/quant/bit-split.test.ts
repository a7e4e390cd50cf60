import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../conv-geometry';
import { convGramReference, crossGramReference } from '../reference/conv-gram';
import { solveBitSplitReference, type SolverProblem } from './bit-split';
import { dequantize, splitPlanes, stitchPlanes } from './grid';
import { outputError } from './metrics';
import { syntheticConvLayer } from './synthetic';
import { initWeightsReference, roundHalfEven } from './weight-init';

const paperLayer = (): ConvGeometry => ({
  batch: 15,
  channels: 16,
  height: 28,
  width: 28,
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
});

function problemOf(layer: ReturnType<typeof syntheticConvLayer>) {
  const a = convGramReference(layer.input, layer.geometry);
  const { c, yy } = crossGramReference(layer.input, layer.target, layer.m, layer.geometry);
  const problem: SolverProblem = { a, c, m: layer.m, n: a[0].length ** 0.5, groups: layer.geometry.groups };
  return { problem, yy };
}

describe('grid helpers', () => {
  it('round half to even, as numpy and WGSL do', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });

  it('split then stitch gives back every code, planes most significant first', () => {
    const codes = Int32Array.from({ length: 15 }, (_, i) => i - 7);
    const planes = splitPlanes(codes, 1, 15, 4);
    expect(Array.from(planes.subarray(0, 15))).toEqual([-1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(stitchPlanes(planes, 1, 15, 4))).toEqual(Array.from(codes));
  });

  it('a zero row gives zero codes and a zero step', () => {
    const w = Float32Array.of(0, 0, 0, 0.5, -0.25, 0.1);
    const q = initWeightsReference(w, 2, 3, 4);
    expect(Array.from(q.codes.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(q.steps[0]).toBe(0);
    expect(q.steps[1]).toBeGreaterThan(0);
  });
});

describe('Bit-Split on a synthetic conv layer with correlated ReLU inputs (M = 64, N = 144, 11,760 patches)', () => {
  const layer = syntheticConvLayer({ m: 64, geometry: paperLayer(), seed: 2020 });
  const { problem, yy } = problemOf(layer);
  const floatError = outputError(problem, yy, layer.weights).relative;

  it.each([3, 4])('%i bits: round-to-nearest max-abs > MSE scale > Bit-Split', (bits) => {
    const rtn = initWeightsReference(layer.weights, 64, 144, bits, 0);
    const mse = initWeightsReference(layer.weights, 64, 144, bits);
    const solved = solveBitSplitReference(problem, mse);
    const errors = [rtn, mse, solved].map((q) => outputError(problem, yy, dequantize(q)).relative);
    console.log(
      `${bits} bits: RTN ${errors[0].toFixed(4)}, MSE ${errors[1].toFixed(4)}, Bit-Split ${errors[2].toFixed(4)}; epochs ${Math.max(...solved.epochs)}`,
    );
    expect(floatError).toBeLessThan(1e-9);
    expect(errors[0]).toBeGreaterThan(errors[1]);
    expect(errors[1]).toBeGreaterThan(errors[2]);
    if (bits === 4) expect(errors[2]).toBeLessThan(0.7 * errors[1]);
    expect(Math.max(...solved.epochs)).toBeLessThan(100);
    // Every epoch is an exact minimisation: the objective never rises.
    for (let row = 0; row < 64; row++) {
      for (let e = 1; e < solved.epochs[row]; e++) {
        expect(solved.history[row * 100 + e]).toBeLessThanOrEqual(solved.history[row * 100 + e - 1] + 1e-12 * yy[row]);
      }
    }
  });
});
