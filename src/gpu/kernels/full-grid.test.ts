import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../../core/conv-geometry';
import { solveBitSplitReference, type SolverProblem } from '../../core/quant/bit-split';
import { refineFullGridReference } from '../../core/quant/full-grid';
import { planesOf, type QuantizedWeights } from '../../core/quant/grid';
import { syntheticConvLayer } from '../../core/quant/synthetic';
import { initWeightsReference } from '../../core/quant/weight-init';
import { convGramReference, crossGramReference } from '../../core/reference/conv-gram';
import type { GpuContext } from '../device';
import { createNodeGpuContext } from '../node-gpu';
import { PipelineCache } from '../pipelines';
import { readBuffer, uploadBuffer } from '../readback';
import { encodeFullGrid } from './full-grid';
import { ROW_STATE } from './row-state';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

const geometry = (o: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 2,
  channels: 6,
  height: 10,
  width: 10,
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

/** Bit-Split's solution of a synthetic layer, with A and C rounded to float32 as the GPU holds them. */
function solvedLayer(m: number, g: ConvGeometry, bits: number, seed: number, zeroRow?: number) {
  const layer = syntheticConvLayer({ m, geometry: g, seed });
  const n = (g.channels / g.groups) * g.kernelH * g.kernelW;
  if (zeroRow !== undefined) layer.weights.fill(0, zeroRow * n, (zeroRow + 1) * n);
  const a = convGramReference(layer.input, g).map((x) => Float64Array.from(Float32Array.from(x)));
  const c = Float64Array.from(Float32Array.from(crossGramReference(layer.input, layer.target, m, g).c));
  if (zeroRow !== undefined) c.fill(0, zeroRow * n, (zeroRow + 1) * n);
  const problem: SolverProblem = { a, c, m, n, groups: g.groups };
  const solved = solveBitSplitReference(problem, initWeightsReference(layer.weights, m, n, bits));
  return { problem, solved };
}

async function fullGridOnGpu(p: SolverProblem, init: QuantizedWeights) {
  const { m, n, groups } = p;
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const flatA = new Float32Array(groups * n * n);
  p.a.forEach((g, i) => flatA.set(g, i * n * n));
  const state = new Uint32Array(m * ROW_STATE.words);
  const empty = { num: 0, den: 0, last_flips: 0, epochs: 0, done: 0, flips: 0, init_iterations: 0 };
  init.steps.forEach((step, row) =>
    state.set(
      ROW_STATE.pack({ ...empty, alpha: step * 2 ** (planesOf(init.bits) - 1) }).subarray(0, ROW_STATE.words),
      row * ROW_STATE.words,
    ),
  );
  const b = {
    a: uploadBuffer(ctx.device, flatA, storage, 'test:a'),
    c: uploadBuffer(ctx.device, Float32Array.from(p.c), storage, 'test:c'),
    codes: uploadBuffer(ctx.device, init.codes as Int32Array<ArrayBuffer>, storage, 'test:codes'),
    state: uploadBuffer(ctx.device, state, storage, 'test:state'),
    scratch: uploadBuffer(ctx.device, new Float32Array(m * 2 * n), storage, 'test:scratch'),
    trial: uploadBuffer(ctx.device, new Int32Array(m * 2 * n), storage, 'test:trial'),
    outcome: uploadBuffer(ctx.device, new Uint32Array(m * 2), storage, 'test:outcome'),
  };
  const encoder = ctx.device.createCommandEncoder();
  const params = await encodeFullGrid(ctx, new PipelineCache(ctx.device), encoder, { rows: m, n, groups, bits: init.bits }, b);
  ctx.device.queue.submit([encoder.finish()]);
  const [codes, rowState, outcome] = await Promise.all([
    readBuffer(ctx.device, b.codes),
    readBuffer(ctx.device, b.state),
    readBuffer(ctx.device, b.outcome),
  ]);
  for (const buffer of [params, ...Object.values(b)]) buffer.destroy();
  const rows = new Uint32Array(rowState);
  const words = new Uint32Array(outcome);
  return {
    codes: new Int32Array(codes).slice(0, m * n),
    steps: Float64Array.from({ length: m }, (_, row) => ROW_STATE.read(rows, row).alpha / 2 ** (planesOf(init.bits) - 1)),
    orientation: Array.from({ length: m }, (_, row) => words[2 * row]),
    moves: Array.from({ length: m }, (_, row) => words[2 * row + 1]),
  };
}

describe("full-grid.wgsl takes the float64 reference's moves", () => {
  it.each([
    ['2 bits, N = 54', 12, geometry({}), 2, undefined],
    ['3 bits, depthwise (16 groups)', 16, geometry({ channels: 16, groups: 16 }), 3, undefined],
    [
      '4 bits, stride 2 and dilation 2, N = 45, a zero row',
      10,
      geometry({
        channels: 5,
        strideH: 2,
        strideW: 2,
        dilationH: 2,
        dilationW: 2,
        padTop: 2,
        padLeft: 2,
        padBottom: 2,
        padRight: 2,
      }),
      4,
      3,
    ],
    ['8 bits, M = 67 (past one workgroup), N = 27', 67, geometry({ channels: 3 }), 8, undefined],
  ] as const)(
    '%s',
    async (_name, m, g, bits, zeroRow) => {
      const { problem, solved } = solvedLayer(m, g, bits, 50 + bits, zeroRow);
      const ref = refineFullGridReference(problem, solved);
      const gpu = await fullGridOnGpu(problem, solved);
      let same = 0;
      gpu.codes.forEach((q, i) => (same += q === ref.codes[i] ? 1 : 0));
      const moves = ref.moves.reduce((x, y) => x + y, 0);
      console.log(
        `${_name}: ${moves} moves (GPU ${gpu.moves.reduce((x, y) => x + y, 0)}), codes agree on ${((100 * same) / gpu.codes.length).toFixed(3)} %, orientation 1 on ${gpu.orientation.filter((o) => o === 1).length} rows`,
      );
      expect(moves).toBeGreaterThan(0);
      if (bits === 2) expect(gpu.orientation).toContain(1);
      expect(same).toBe(gpu.codes.length);
      expect(gpu.orientation).toEqual(Array.from(ref.orientation));
      expect(gpu.moves).toEqual(Array.from(ref.moves));
      gpu.steps.forEach((s, row) => expect(Math.abs(s - ref.steps[row])).toBeLessThanOrEqual(1e-5 * Math.abs(ref.steps[row])));
      if (zeroRow !== undefined) expect([gpu.steps[zeroRow], gpu.moves[zeroRow]]).toEqual([0, 0]);
    },
    120_000,
  );
});
