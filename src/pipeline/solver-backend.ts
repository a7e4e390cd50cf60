import { convOutputSize, patchLength, type ConvGeometry } from '../core/conv-geometry';
import { DEFAULT_MAX_EPOCHS, solveBitSplitReference, type SolverProblem } from '../core/quant/bit-split';
import { planesOf, type QuantizedWeights } from '../core/quant/grid';
import { fullGridApplies, refineFullGridReference } from '../core/quant/full-grid';
import type { Method } from '../core/quant/plan';
import { initWeightsReference } from '../core/quant/weight-init';
import { gatherPatches, gatherTargets } from '../core/im2col';
import { gramProducts, quadraticRowSums } from '../runtime/gram';
import { batchPositions } from '../core/sampling';
import { addMeanSums, centerStatistics, emptyMeanSums, type MeanSums } from '../core/quant/bias-correction';
import { solveLayerOnGpu } from '../gpu/bit-split-solver';
import type { GpuContext } from '../gpu/device';
import { StudioError } from '../core/errors';
import type { LayerInfo } from '../core/layers';
import { LayerStatistics, type InputGeometry } from '../gpu/layer-statistics';
import { PipelineCache } from '../gpu/pipelines';

export interface SolvedLayer {
  weights: QuantizedWeights;
  epochs: number;
  flips: number;
  /** The layer's objective minus ||Y||^2 after each epoch's scale fit, summed over rows (empty unless Bit-Split). */
  objective: number[];
  /** Per row, <C_m, w> and w^T A w of the result, where the solver summed them (the GPU's closing pass). */
  rowSums?: { cw: Float64Array; waw: Float64Array };
}

/** Sums per-row objective histories (row-major M x stride); a row that stopped keeps its last value. */
export function objectivePerEpoch(history: ArrayLike<number>, rowEpochs: ArrayLike<number>, stride: number): number[] {
  const epochs = Math.max(0, ...Array.from(rowEpochs));
  return Array.from({ length: epochs }, (_, e) => {
    let sum = 0;
    for (let row = 0; row < rowEpochs.length; row++) {
      const last = rowEpochs[row] - 1;
      if (last >= 0) sum += history[row * stride + Math.min(e, last)];
    }
    return sum;
  });
}

/** One layer's calibration sums and solver, on the GPU or on the CPU (the float64 references). */
export interface LayerAccumulator {
  add(input: Float32Array, batch: number, target: Float32Array): Promise<void>;
  /** A, C and diag(Y^T Y), on the host (for the metrics). */
  statistics(): Promise<{ problem: SolverProblem; yy: Float64Array }>;
  /** diag(Y^T Y) alone: M values, where statistics() moves N x N per group. */
  energy(): Promise<Float64Array>;
  solve(weights: Float32Array, bits: number, method: Method, options?: SolveOptions): Promise<SolvedLayer>;
  /** Per row, <C_m, w> and w^T A w of any weights, where the backend sums them faster than the host's loop. */
  rowSums?(weights: ArrayLike<number>): Promise<{ cw: Float64Array; waw: Float64Array }>;
  /**
   * Bias correction (bias-correction.ts): turns A, C and diag(YᵀY) into sums of deviations from the
   * means, once, after the last batch, and returns the sums of the means. Only for an accumulator
   * begun with `means`.
   */
  center(): Promise<MeanSums>;
  destroy(): void;
}

export interface SolveOptions {
  maxEpochs?: number;
  /** Bit-Split at fewer than 8 bits only: then the descent on the full b-bit grid (full-grid.ts). */
  fullGrid?: boolean;
}

export interface Sampling {
  positionsPerImage?: number;
  seed: number;
  /** Also sum the patches' and targets' means, for bias correction. */
  means?: boolean;
}

function noMeans(): never {
  throw new StudioError('InvalidArgumentError', "bias correction: this layer's sums were started without means.");
}

/** Where the work runs, as a user chooses it: 'auto' takes a hardware GPU and leaves a software one (SwiftShader) for the CPU. */
export type ComputeChoice = 'auto' | 'gpu' | 'cpu';

/** The solver for a choice: the GPU's where it is chosen, or where 'auto' finds a hardware adapter; the float64 CPU path otherwise. */
export function solverFor(choice: ComputeChoice, gpu: GpuContext | null): SolverBackend {
  if (choice === 'gpu' && !gpu)
    throw new StudioError(
      'GpuUnavailableError',
      'Compute: GPU needs WebGPU, and there is no GPU device. Choose Compute: CPU (or Auto).',
    );
  return gpu && (choice === 'gpu' || (choice === 'auto' && !gpu.adapterSummary.isFallback)) ? gpuBackend(gpu) : cpuBackend;
}

export interface SolverBackend {
  readonly name: 'webgpu' | 'cpu';
  /** The GPU device the backend allocates on (for benchmarks that count its buffers). */
  readonly device?: GPUDevice;
  /** Refuses a layer whose buffers the device cannot hold, before anything is allocated. */
  assertFits?(layer: Pick<LayerInfo, 'name' | 'm' | 'n' | 'groups'>): void;
  begin(geometry: InputGeometry, rows: number, sampling: Sampling): LayerAccumulator;
}

/**
 * A lost device makes pending work fail with whatever the browser throws (an AbortError on a readback,
 * say); the loss itself is reported a moment later. Say what really happened.
 */
async function onDevice<T>(ctx: GpuContext, work: () => Promise<T>): Promise<T> {
  ctx.assertAlive();
  try {
    return await work();
  } catch (e) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    ctx.assertAlive();
    throw e;
  }
}

export function gpuBackend(ctx: GpuContext): SolverBackend {
  const pipelines = new PipelineCache(ctx.device);
  return {
    name: 'webgpu',
    device: ctx.device,
    assertFits(layer) {
      const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = ctx.adapterSummary;
      const limit = Math.min(binding, buffer);
      const size = (b: number) => (b < 2 ** 20 / 10 ? `${(b / 2 ** 10).toFixed(1)} KiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);
      const needs = [
        [`a ${layer.n} x ${layer.n} Gram matrix per group x ${layer.groups}`, layer.groups * layer.n * layer.n * 4],
        [`a ${layer.m} x ${layer.n} cross-correlation`, layer.m * layer.n * 4],
        // solveLayerOnGpu's scratch: four vectors of N per row (the full grid's descent uses two of them).
        [`a ${layer.m} x ${4 * layer.n} solver workspace`, layer.m * 4 * layer.n * 4],
      ] as const;
      for (const [what, bytes] of needs) {
        if (bytes > limit) {
          throw new StudioError(
            'DeviceLimitError',
            `Layer "${layer.name}" needs ${what} (${size(bytes)}), more than this GPU holds in one buffer ` +
              `(${size(limit)}: maxStorageBufferBindingSize ${size(binding)}, maxBufferSize ${size(buffer)}). Nothing was allocated; skip this layer or use a GPU with larger buffers.`,
          );
        }
      }
    },
    begin(geometry, rows, sampling) {
      ctx.assertAlive();
      const stats = new LayerStatistics(ctx, geometry, { rows, ...sampling }, { pipelines });
      const n = stats.n;
      return {
        add: (input, batch, target) => onDevice(ctx, () => stats.add(input, batch, target)),
        center: () =>
          onDevice(ctx, async () => {
            if (!sampling.means) noMeans();
            return stats.center();
          }),
        statistics: () =>
          onDevice(ctx, async () => {
            const a = await stats.readGram();
            const { c, yy } = await stats.readCross();
            return { problem: { a, c, m: rows, n, groups: geometry.groups }, yy };
          }),
        energy: () => onDevice(ctx, async () => (await stats.readCross()).yy),
        solve: (weights, bits, method, { maxEpochs = DEFAULT_MAX_EPOCHS, fullGrid = false } = {}) =>
          onDevice(ctx, async () => {
            const r = await solveLayerOnGpu(
              ctx,
              { weights, m: rows, n, groups: geometry.groups, a: stats.gram.total, c: stats.cross!.total },
              { bits, method, maxEpochs, fullGrid: fullGrid && fullGridApplies(bits) },
              pipelines,
            );
            const objective = method === 'bitsplit' ? objectivePerEpoch(r.history, r.epochs, maxEpochs) : [];
            // w = alpha S, with S in the planes' fixed-point units: <C, w> = alpha num, w^T A w = alpha^2 den.
            const alpha = Float64Array.from(r.steps, (step) => step * 2 ** (planesOf(bits) - 1));
            const rowSums = { cw: alpha.map((a, row) => a * r.num[row]), waw: alpha.map((a, row) => a * a * r.den[row]) };
            return {
              weights: r,
              epochs: Math.max(0, ...r.epochs),
              flips: r.flips.reduce((a, b) => a + b, 0),
              objective,
              rowSums,
            };
          }),
        destroy: () => stats.destroy(),
      };
    },
  };
}

/**
 * The CPU path: the same sampling and the same float64 solver as the reference. A and C are summed by
 * onnxruntime's MatMul in float32 over at most `chunkFloats` of im2col rows at a time (16 MiB by
 * default), and the chunks in float64 (the GPU also multiplies in float32).
 */
export const cpuBackendWith = ({ chunkFloats = 1 << 22 }: { chunkFloats?: number } = {}): SolverBackend => ({
  name: 'cpu',
  begin(geometry, rows, sampling) {
    const n = patchLength({ ...geometry, batch: 1 });
    const means = sampling.means ? emptyMeanSums(geometry.groups, n, rows) : null;
    const { groups } = geometry;
    const mg = rows / groups;
    const a = Array.from({ length: groups }, () => new Float64Array(n * n));
    const c = new Float64Array(rows * n);
    const yy = new Float64Array(rows);
    let images = 0;
    return {
      async add(input, batch, target) {
        const g: ConvGeometry = { ...geometry, batch };
        const { outH, outW } = convOutputSize(g);
        const plane = outH * outW;
        const positions = batchPositions(plane, batch, sampling.positionsPerImage, sampling.seed, images);
        const chunk = Math.max(1, Math.floor(chunkFloats / (groups * Math.max(n, mg))));
        for (let first = 0; first < positions.length; first += chunk) {
          const part = positions.subarray(first, first + chunk);
          const x = gatherPatches(input, g, part);
          const y = gatherTargets(target, rows, plane, groups, part, yy);
          if (means) addMeanSums(means, x, y, part.length);
          const sums = await gramProducts(x, y, { groups, rows: part.length, n, mg });
          a.forEach((ag, group) => {
            for (let k = 0; k < n * n; k++) ag[k] += sums.a[group * n * n + k];
          });
          for (let k = 0; k < rows * n; k++) c[k] += sums.c[k];
        }
        images += batch;
      },
      statistics: async () => ({ problem: { a, c, m: rows, n, groups: geometry.groups }, yy }),
      energy: async () => yy,
      rowSums: (weights) => quadraticRowSums(weights, a, c, { m: rows, n }),
      async center() {
        if (!means) noMeans();
        centerStatistics({ a, c, m: rows, n, groups }, yy, means);
        return means;
      },
      async solve(weights, bits, method, { maxEpochs = DEFAULT_MAX_EPOCHS, fullGrid = false } = {}) {
        const init = initWeightsReference(weights, rows, n, bits, method === 'rtn' ? 0 : undefined);
        if (method !== 'bitsplit') return { weights: init, epochs: 0, flips: 0, objective: [] };
        const problem = { a, c, m: rows, n, groups: geometry.groups };
        const r = solveBitSplitReference(problem, init, { maxEpochs });
        return {
          weights: fullGrid && fullGridApplies(bits) ? refineFullGridReference(problem, r) : r,
          epochs: Math.max(0, ...r.epochs),
          flips: r.flips.reduce((x, y) => x + y, 0),
          objective: objectivePerEpoch(r.history, r.epochs, maxEpochs),
        };
      },
      destroy: () => undefined,
    };
  },
});

export const cpuBackend = cpuBackendWith();
