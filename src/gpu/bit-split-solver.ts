import { DEFAULT_MAX_EPOCHS, type SolverResult } from '../core/quant/bit-split';
import { StudioError } from '../core/errors';
import { assertWeightBits, planesOf } from '../core/quant/grid';
import { DEFAULT_INIT_ITERATIONS } from '../core/quant/weight-init';
import type { GpuContext } from './device';
import { planeProduct } from './kernels/plane-product';
import { solverBlock, SWEEP_BLOCK, type SweepBuffers } from './kernels/solver-block';
import { solverEpochPipeline } from './kernels/solver-epoch';
import { encodeFullGrid } from './kernels/full-grid';
import { encodeWeightInit } from './kernels/weight-init';
import { ROW_STATE } from './kernels/row-state';
import { PipelineCache } from './pipelines';
import { readBuffer } from './readback';

const isGpuBuffer = (x: unknown): x is GPUBuffer => typeof (x as GPUBuffer).mapAsync === 'function';

export type WeightMethod = 'rtn' | 'mse' | 'bitsplit';

export interface GpuLayerProblem {
  /** Float weights, row-major M x N. */
  weights: Float32Array;
  m: number;
  n: number;
  groups: number;
  /** A per group (host arrays, or one GPU buffer of groups x N x N floats). */
  a: ArrayLike<number>[] | GPUBuffer;
  /** C, row-major M x N (host array or GPU buffer). */
  c: ArrayLike<number> | GPUBuffer;
}

export interface GpuSolveOptions {
  bits: number;
  method: WeightMethod;
  maxEpochs?: number;
  initIterations?: number;
  finalScale?: 'refit' | 'reference';
  /** Epochs submitted between two checks of whether every row has reached its fixed point. */
  epochsPerCheck?: number;
  /**
   * 'blocked' (default): the sweep by blocks of columns, the products outside a block as tiled matrix
   * products for all rows at once; 'plain': one invocation per row does the whole sweep.
   */
  sweep?: 'blocked' | 'plain';
  /** Bit-Split only: then the descent on the full b-bit grid (full-grid.ts). */
  fullGrid?: boolean;
}

export interface GpuSolveResult extends SolverResult {
  /** Per row, for the final codes S (fixed point units): <C, S> and S^T A S. */
  num: Float64Array;
  den: Float64Array;
  initIterations: Int32Array;
}

/**
 * Quantizes one layer's weights on the GPU: round to nearest (max-abs scale), the MSE scale, or
 * Bit-Split and Stitching started from the MSE scale. Same results as the float64 references in
 * src/core/quant up to float32 rounding.
 */
export async function solveLayerOnGpu(
  ctx: GpuContext,
  p: GpuLayerProblem,
  o: GpuSolveOptions,
  pipelines = new PipelineCache(ctx.device),
): Promise<GpuSolveResult> {
  assertWeightBits(o.bits);
  const { m, n, groups } = p;
  if (p.weights.length !== m * n)
    throw new StudioError('InvalidArgumentError', `bit-split solver: ${p.weights.length} weights for ${m} x ${n}.`);
  if (m % groups !== 0)
    throw new StudioError('InvalidArgumentError', `bit-split solver: ${m} rows do not split into ${groups} groups.`);
  const planeCount = planesOf(o.bits);
  const maxEpochs = o.method === 'bitsplit' ? (o.maxEpochs ?? DEFAULT_MAX_EPOCHS) : 0;
  const device = ctx.device;
  const owned: GPUBuffer[] = [];
  const buffer = (bytes: number, label: string, data?: ArrayBufferView<ArrayBuffer>) => {
    const b = device.createBuffer({
      size: Math.max(16, Math.ceil(bytes / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      label,
    });
    if (data) device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    owned.push(b);
    return b;
  };
  const hostA = (a: ArrayLike<number>[]) => {
    const flat = new Float32Array(groups * n * n);
    a.forEach((g, i) => flat.set(g, i * n * n));
    return flat;
  };

  try {
    return await ctx.checked('bit-split solver', async () => {
      const weights = buffer(m * n * 4, 'solver:weights', p.weights as Float32Array<ArrayBuffer>);
      const a = isGpuBuffer(p.a) ? p.a : buffer(groups * n * n * 4, 'solver:A', hostA(p.a));
      const c = isGpuBuffer(p.c) ? p.c : buffer(m * n * 4, 'solver:C', Float32Array.from(p.c));
      const codes = buffer(m * n * 4, 'solver:codes');
      const planes = buffer(m * planeCount * n * 4, 'solver:planes');
      const scratch = buffer(m * 4 * n * 4, 'solver:scratch');
      const state = buffer(m * ROW_STATE.words * 4, 'solver:state');
      const history = buffer(m * Math.max(1, maxEpochs) * 4, 'solver:history');
      const all = { a, c, planes, scratch, state, history, codes };
      const shape = { rows: m, n, groups, bits: o.bits, maxEpochs: Math.max(1, maxEpochs) };

      const init = device.createCommandEncoder({ label: 'solver:init' });
      const iterations = o.method === 'rtn' ? 0 : (o.initIterations ?? DEFAULT_INIT_ITERATIONS);
      owned.push(
        await encodeWeightInit(ctx, pipelines, init, { rows: m, n, bits: o.bits, iterations }, { weights, codes, planes, state }),
      );
      device.queue.submit([init.finish()]);

      let encodeEpoch: (encoder: GPUCommandEncoder) => void;
      if ((o.sweep ?? 'blocked') === 'blocked' && maxEpochs > 0) {
        const blocked = await blockedEpoch(
          device,
          pipelines,
          { rows: m, n, groups, planes: planeCount, maxEpochs },
          {
            a,
            c,
            planes,
            state,
            history,
            product: buffer(m * n * 4, 'solver:product'),
            hBlock: buffer(m * SWEEP_BLOCK * 4, 'solver:h-block'),
            epochFlips: buffer(m * 4, 'solver:epoch-flips'),
          },
        );
        owned.push(...blocked.params);
        encodeEpoch = blocked.encode;
      } else {
        const epoch = await solverEpochPipeline(ctx, pipelines, shape, 'epoch', false, all);
        owned.push(epoch.params);
        encodeEpoch = epoch.encode;
      }
      const perCheck = Math.max(1, o.epochsPerCheck ?? 4);
      for (let done = 0; done < maxEpochs;) {
        const encoder = device.createCommandEncoder({ label: 'solver:epochs' });
        const count = Math.min(perCheck, maxEpochs - done);
        for (let e = 0; e < count; e++) encodeEpoch(encoder);
        device.queue.submit([encoder.finish()]);
        done += count;
        const words = new Uint32Array(await readBuffer(device, state));
        let open = 0;
        for (let row = 0; row < m; row++) open += ROW_STATE.read(words, row).done === 0 ? 1 : 0;
        if (open === 0) break;
      }

      const finish = await solverEpochPipeline(ctx, pipelines, shape, 'finish', o.finalScale !== 'reference', all);
      owned.push(finish.params);
      const encoder = device.createCommandEncoder({ label: 'solver:finish' });
      finish.encode(encoder);
      if (o.fullGrid && o.method === 'bitsplit') {
        // The sweep's scratch (4 n per row) holds the descent's 2 n. Its outcome per row (the end kept, the
        // moves) is for the kernel's tests.
        const more = {
          trial: buffer(m * 2 * n * 4, 'solver:full-grid-trial'),
          outcome: buffer(m * 2 * 4, 'solver:full-grid-outcome'),
        };
        owned.push(
          await encodeFullGrid(
            ctx,
            pipelines,
            encoder,
            { rows: m, n, groups, bits: o.bits },
            { a, c, codes, state, scratch, ...more },
          ),
        );
      }
      device.queue.submit([encoder.finish()]);

      const [codeBytes, stateBytes, historyBytes] = await Promise.all([
        readBuffer(device, codes),
        readBuffer(device, state),
        readBuffer(device, history),
      ]);
      const words = new Uint32Array(stateBytes);
      const rows = Array.from({ length: m }, (_, row) => ROW_STATE.read(words, row));
      const unit = 2 ** (planeCount - 1);
      const historyOut = new Float64Array(m * Math.max(1, maxEpochs));
      historyOut.set(new Float32Array(historyBytes).subarray(0, historyOut.length));
      return {
        bits: o.bits,
        m,
        n,
        codes: new Int32Array(codeBytes).slice(0, m * n),
        steps: Float64Array.from(rows, (r) => r.alpha / unit),
        num: Float64Array.from(rows, (r) => r.num),
        den: Float64Array.from(rows, (r) => r.den),
        epochs: Int32Array.from(rows, (r) => r.epochs),
        flips: Int32Array.from(rows, (r) => r.flips),
        initIterations: Int32Array.from(rows, (r) => r.init_iterations),
        history: historyOut,
      };
    });
  } finally {
    for (const b of owned) if (b !== p.a && b !== p.c) b.destroy();
  }
}

/**
 * One epoch of the blocked sweep as a single compute pass: G = A S and each row's scale; then per plane
 * AE = A (S - B_i 2^-i) and, block by block of columns, H = A B_i on the block followed by the block's
 * sequential sweep (bit-split.md, section 4; the same decisions as the plain sweep, in the same order).
 */
async function blockedEpoch(
  device: GPUDevice,
  pipelines: PipelineCache,
  s: { rows: number; n: number; groups: number; planes: number; maxEpochs: number },
  b: SweepBuffers,
) {
  const steps: Awaited<ReturnType<typeof planeProduct>>[] = [];
  const whole = { col0: 0, width: s.n, outStride: s.n };
  steps.push(
    await planeProduct(
      device,
      pipelines,
      s,
      { mode: 'stitched', plane: 0, ...whole },
      { a: b.a, planes: b.planes, out: b.product },
    ),
  );
  steps.push(await solverBlock(device, pipelines, s, { mode: 'begin', plane: 0, col0: 0, width: 0 }, b));
  for (let plane = 0; plane < s.planes; plane++) {
    steps.push(
      await planeProduct(
        device,
        pipelines,
        s,
        { mode: 'other-planes', plane, ...whole },
        { a: b.a, planes: b.planes, out: b.product },
      ),
    );
    for (let col0 = 0; col0 < s.n; col0 += SWEEP_BLOCK) {
      const width = Math.min(SWEEP_BLOCK, s.n - col0);
      steps.push(
        await planeProduct(
          device,
          pipelines,
          s,
          { mode: 'plane', plane, col0, width, outStride: SWEEP_BLOCK },
          { a: b.a, planes: b.planes, out: b.hBlock },
        ),
      );
      steps.push(await solverBlock(device, pipelines, s, { mode: 'block', plane, col0, width }, b));
    }
  }
  steps.push(await solverBlock(device, pipelines, s, { mode: 'end', plane: 0, col0: 0, width: 0 }, b));
  return {
    params: steps.map((step) => step.params),
    encode: (encoder: GPUCommandEncoder) => {
      const pass = encoder.beginComputePass({ label: 'solver:blocked-epoch' });
      for (const step of steps) step.encode(pass);
      pass.end();
    },
  };
}
