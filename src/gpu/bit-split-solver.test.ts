import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../core/conv-geometry';
import { solveBitSplitReference, type SolverProblem, type SolverResult } from '../core/quant/bit-split';
import { dequantize } from '../core/quant/grid';
import { refineFullGridReference } from '../core/quant/full-grid';
import { outputError } from '../core/quant/metrics';
import { syntheticConvLayer } from '../core/quant/synthetic';
import { initWeightsReference } from '../core/quant/weight-init';
import { convGramReference, crossGramReference } from '../core/reference/conv-gram';
import { solveLayerOnGpu } from './bit-split-solver';
import type { GpuContext } from './device';
import { createNodeGpuContext } from './node-gpu';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

const geometry = (o: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 2,
  channels: 8,
  height: 12,
  width: 12,
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
  ...o,
});

/** A layer's problem with A and C rounded to float32, so that both solvers see the same numbers. */
function layerProblem(m: number, g: ConvGeometry, seed: number, zeroRow?: number) {
  const layer = syntheticConvLayer({ m, geometry: g, seed });
  const n = (g.channels / g.groups) * g.kernelH * g.kernelW;
  if (zeroRow !== undefined) {
    layer.weights.fill(0, zeroRow * n, (zeroRow + 1) * n);
    const plane = layer.target.length / (g.batch * m);
    for (let b = 0; b < g.batch; b++) layer.target.fill(0, (b * m + zeroRow) * plane, (b * m + zeroRow + 1) * plane);
  }
  const a = convGramReference(layer.input, g).map((x) => Float64Array.from(Float32Array.from(x)));
  const cross = crossGramReference(layer.input, layer.target, m, g);
  const problem: SolverProblem = { a, c: Float64Array.from(Float32Array.from(cross.c)), m, n, groups: g.groups };
  return { layer, problem, yy: cross.yy };
}

function compare(gpu: SolverResult, ref: SolverResult, problem: SolverProblem, yy: Float64Array) {
  let same = 0;
  gpu.codes.forEach((q, i) => (same += q === ref.codes[i] ? 1 : 0));
  const agreement = same / gpu.codes.length;
  const eGpu = outputError(problem, yy, dequantize(gpu)).relative;
  const eRef = outputError(problem, yy, dequantize(ref)).relative;
  return { agreement, eGpu, eRef };
}

const cases: [string, number, ConvGeometry, number, number?][] = [
  ['M = 64, N = 576, 4 bits', 64, geometry({ channels: 64, batch: 1, height: 24, width: 24 }), 4],
  ['depthwise 3x3 (16 groups), 3 bits', 16, geometry({ channels: 16, groups: 16 }), 3],
  [
    'stride 2, dilation 2, 2 bits',
    24,
    geometry({
      strideH: 2,
      strideW: 2,
      dilationH: 2,
      dilationW: 2,
      padTop: 2,
      padLeft: 2,
      padBottom: 2,
      padRight: 2,
      height: 17,
      width: 17,
    }),
    2,
  ],
  ['M = 37 (not a multiple of the workgroup), N = 45, a zero row, 8 bits', 37, geometry({ channels: 5 }), 8, 3],
];

describe("the GPU solver gives the float64 reference's codes", () => {
  it.each(cases)(
    '%s',
    async (_name, m, g, bits, zeroRow) => {
      const { layer, problem, yy } = layerProblem(m, g, 31 + bits, zeroRow);
      const init = initWeightsReference(layer.weights, m, problem.n, bits);
      const ref = solveBitSplitReference(problem, init);
      const gpu = await solveLayerOnGpu(
        ctx,
        { weights: layer.weights, m, n: problem.n, groups: g.groups, a: problem.a, c: problem.c },
        { bits, method: 'bitsplit' },
      );
      const { agreement, eGpu, eRef } = compare(gpu, ref, problem, yy);
      console.log(
        `${_name}: codes agree on ${(agreement * 100).toFixed(3)} %, error ${eGpu.toExponential(4)} vs ${eRef.toExponential(4)}, epochs ${Math.max(...gpu.epochs)} vs ${Math.max(...ref.epochs)}`,
      );
      expect(agreement).toBeGreaterThanOrEqual(0.999);
      expect(Math.abs(eGpu - eRef)).toBeLessThanOrEqual(1e-4 * eRef);
      if (zeroRow !== undefined) {
        expect(Array.from(gpu.codes.subarray(zeroRow * problem.n, (zeroRow + 1) * problem.n)).every((q) => q === 0)).toBe(true);
        expect(gpu.steps[zeroRow]).toBe(0);
      }
      expect(Math.max(...gpu.epochs)).toBeLessThan(100);
      expect(gpu.flips.some((f) => f > 0)).toBe(true);
      // M = 64, N = 576 runs 13 blocked epochs on SwiftShader: about 90 s on this machine.
    },
    300_000,
  );

  it.each([
    ['round to nearest', 'rtn', 0],
    ['MSE scale', 'mse', 100],
  ] as const)('%s: the same codes and steps as the reference', async (_name, method, iterations) => {
    const { layer, problem } = layerProblem(20, geometry({ channels: 6 }), 3, 7);
    const ref = initWeightsReference(layer.weights, 20, problem.n, 4, iterations);
    const gpu = await solveLayerOnGpu(
      ctx,
      { weights: layer.weights, m: 20, n: problem.n, groups: 1, a: problem.a, c: problem.c },
      { bits: 4, method },
    );
    let same = 0;
    gpu.codes.forEach((q, i) => (same += q === ref.codes[i] ? 1 : 0));
    expect(same / gpu.codes.length).toBeGreaterThanOrEqual(0.999);
    gpu.steps.forEach((s, row) => expect(Math.abs(s - ref.steps[row])).toBeLessThanOrEqual(1e-5 * Math.abs(ref.steps[row])));
    expect(gpu.steps[7]).toBe(0);
  });

  // Blocks of 32 columns and tiles of 16 rows: N = 45 ends in a partial block, 20 rows per group in a
  // partial tile, and groups of one row (depthwise) put every row in its own tile.
  it.each([
    ['2 groups of 20 rows, N = 45 (a partial block), a zero row, 3 bits', 40, geometry({ channels: 10, groups: 2 }), 3, 5],
    ['depthwise 3x3, 2 bits', 12, geometry({ channels: 12, groups: 12 }), 2, undefined],
    ['M = 17, N = 72, 6 bits', 17, geometry({ channels: 8 }), 6, undefined],
  ] as const)("the blocked sweep gives the plain sweep's codes exactly: %s", async (_name, m, g, bits, zeroRow) => {
    const { layer, problem } = layerProblem(m, g, 5 + bits, zeroRow);
    const input = { weights: layer.weights, m, n: problem.n, groups: g.groups, a: problem.a, c: problem.c };
    const blocked = await solveLayerOnGpu(ctx, input, { bits, method: 'bitsplit', sweep: 'blocked' });
    const plain = await solveLayerOnGpu(ctx, input, { bits, method: 'bitsplit', sweep: 'plain' });
    expect(Array.from(blocked.codes)).toEqual(Array.from(plain.codes));
    expect(Array.from(blocked.epochs)).toEqual(Array.from(plain.epochs));
    expect(Array.from(blocked.flips)).toEqual(Array.from(plain.flips));
    blocked.steps.forEach((s, row) =>
      expect(Math.abs(s - plain.steps[row])).toBeLessThanOrEqual(1e-5 * Math.abs(plain.steps[row])),
    );
    expect(blocked.flips.some((f) => f > 0)).toBe(true);
  });

  it("with the full grid: the reference's codes, steps and row sums after Bit-Split and the descent", async () => {
    const m = 24;
    const { layer, problem, yy } = layerProblem(m, geometry({ channels: 6, groups: 2 }), 12, 4);
    const solved = solveBitSplitReference(problem, initWeightsReference(layer.weights, m, problem.n, 2));
    const ref = refineFullGridReference(problem, solved);
    const gpu = await solveLayerOnGpu(
      ctx,
      { weights: layer.weights, m, n: problem.n, groups: 2, a: problem.a, c: problem.c },
      { bits: 2, method: 'bitsplit', fullGrid: true },
    );
    expect(Array.from(gpu.codes)).toEqual(Array.from(ref.codes));
    expect(ref.moves.some((n) => n > 0)).toBe(true);
    gpu.steps.forEach((s, row) => expect(Math.abs(s - ref.steps[row])).toBeLessThanOrEqual(1e-5 * Math.abs(ref.steps[row])));
    // The closing sums the error metrics use, in the planes' units (2 bits: one plane, unit 1).
    gpu.num.forEach((v, row) => expect(Math.abs(v - ref.num[row])).toBeLessThanOrEqual(1e-4 * Math.abs(ref.num[row]) + 1e-9));
    gpu.den.forEach((v, row) => expect(Math.abs(v - ref.den[row])).toBeLessThanOrEqual(1e-4 * Math.abs(ref.den[row]) + 1e-9));
    expect(outputError(problem, yy, dequantize(gpu)).relative).toBeLessThan(
      outputError(problem, yy, dequantize(solved)).relative,
    );
  });

  it('the epoch cap stops early, and the reference-style final scale is kept on request', async () => {
    const { layer, problem } = layerProblem(16, geometry({ channels: 8 }), 77);
    const init = initWeightsReference(layer.weights, 16, problem.n, 3);
    const capped = await solveLayerOnGpu(
      ctx,
      { weights: layer.weights, m: 16, n: problem.n, groups: 1, a: problem.a, c: problem.c },
      { bits: 3, method: 'bitsplit', maxEpochs: 1, finalScale: 'reference' },
    );
    const ref = solveBitSplitReference(problem, init, { maxEpochs: 1, finalScale: 'reference' });
    expect(Array.from(capped.epochs)).toEqual(new Array(16).fill(1));
    capped.steps.forEach((s, row) => expect(Math.abs(s - ref.steps[row])).toBeLessThanOrEqual(1e-4 * Math.abs(ref.steps[row])));
  });
});
