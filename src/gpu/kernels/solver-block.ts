import entry from '../../../shaders/solver-block.wgsl?raw';
import solverRow from '../../../shaders/lib/solver-row.wgsl?raw';
import { preparedDispatch } from '../dispatch';
import { wgslConstants } from '../wgsl-struct';
import { ROW_STATE } from './row-state';
import { SWEEP_PARAMS, sweepParams, type SweepShape } from './sweep-params';
import type { PipelineCache } from '../pipelines';

/** Columns per block of the blocked sweep, and rows per workgroup. */
export const SWEEP_BLOCK = 32;
const WORKGROUP_SIZE = 64;

// kahan() comes from the shared file.
const shader = `${SWEEP_PARAMS.wgsl}${ROW_STATE.wgsl}${wgslConstants({ BLOCK: SWEEP_BLOCK, WORKGROUP_SIZE })}\n${entry}\n${solverRow}`;

export type SweepMode = 'begin' | 'block' | 'end';
const MODES: Record<SweepMode, number> = { begin: 0, block: 1, end: 2 };

export interface SweepBuffers {
  a: GPUBuffer;
  c: GPUBuffer;
  planes: GPUBuffer;
  state: GPUBuffer;
  history: GPUBuffer;
  /** G = A S (begin) or AE = A (S - B_plane 2^-plane) (block), M x n. */
  product: GPUBuffer;
  /** H = A B_plane on the block's columns, M x SWEEP_BLOCK. */
  hBlock: GPUBuffer;
  epochFlips: GPUBuffer;
}

/** One prepared dispatch of solver-block.wgsl; bind group built once, reused every epoch. */
export async function solverBlock(
  device: GPUDevice,
  pipelines: PipelineCache,
  s: SweepShape & { maxEpochs: number },
  o: { mode: SweepMode; plane: number; col0: number; width: number },
  b: SweepBuffers,
): Promise<{ encode: (pass: GPUComputePassEncoder) => void; params: GPUBuffer }> {
  const { params, tiles } = sweepParams(
    device,
    s,
    { ...o, mode: MODES[o.mode], stride: s.maxEpochs, rowsPerTile: WORKGROUP_SIZE },
    `solver-block:${o.mode}:${o.plane}:${o.col0}`,
  );
  const pipeline = await pipelines.get('solver-block', shader);
  const buffers = [params, b.a, b.c, b.planes, b.state, b.history, b.product, b.hBlock, b.epochFlips];
  return { params, encode: preparedDispatch(device, pipeline, buffers, [1, s.groups * tiles, 1]) };
}
