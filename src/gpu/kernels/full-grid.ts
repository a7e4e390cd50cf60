import entry from '../../../shaders/full-grid.wgsl?raw';
import solverRow from '../../../shaders/lib/solver-row.wgsl?raw';
import { FULL_GRID_MIN_GAIN, FULL_GRID_REFITS, FULL_GRID_SWEEPS } from '../../core/quant/full-grid';
import { planesOf, qmaxOf } from '../../core/quant/grid';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';

// RowState and kahan() come from the shared file.
const shader = `${entry}\n${solverRow}`;

const WORKGROUP_SIZE = 64;

export interface FullGridBuffers {
  a: GPUBuffer;
  c: GPUBuffer;
  codes: GPUBuffer;
  state: GPUBuffer;
  /** rows x 2 n floats. */
  scratch: GPUBuffer;
  /** rows x 2 n int32. */
  trial: GPUBuffer;
  /** rows x 2 uint32: orientation kept, codes moved. */
  outcome: GPUBuffer;
}

/** Encodes the full-grid descent on every row's stitched codes (after solver-epoch's closing pass). */
export async function encodeFullGrid(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  s: { rows: number; n: number; groups: number; bits: number },
  b: FullGridBuffers,
): Promise<GPUBuffer> {
  const words = new Uint32Array(8);
  const floats = new Float32Array(words.buffer);
  const ints = new Int32Array(words.buffer);
  words.set([s.rows, s.n, s.rows / s.groups]);
  ints[3] = qmaxOf(s.bits);
  floats[4] = 2 ** (planesOf(s.bits) - 1);
  words[5] = FULL_GRID_SWEEPS;
  words[6] = FULL_GRID_REFITS;
  floats[7] = FULL_GRID_MIN_GAIN;
  const params = uniformBuffer(ctx.device, words, 'full-grid:params');
  const pipeline = await pipelines.get('full-grid', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'full-grid', [params, b.a, b.c, b.codes, b.state, b.scratch, b.trial, b.outcome], [Math.ceil(s.rows / WORKGROUP_SIZE), 1, 1]);
  return params;
}
