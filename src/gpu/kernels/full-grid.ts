import entry from '../../../shaders/full-grid.wgsl?raw';
import solverRow from '../../../shaders/lib/solver-row.wgsl?raw';
import { FULL_GRID_MIN_GAIN, FULL_GRID_REFITS, FULL_GRID_SWEEPS } from '../../core/quant/full-grid';
import { planesOf, qmaxOf } from '../../core/quant/grid';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { wgslStruct } from '../wgsl-struct';
import { ROW_STATE } from './row-state';

/** `unit`: 2^(planes - 1), as the solver state's scale is in the planes' fixed-point units. */
const PARAMS = wgslStruct('Params', {
  rows: 'u32',
  n: 'u32',
  rows_per_group: 'u32',
  qmax: 'i32',
  unit: 'f32',
  max_sweeps: 'u32',
  max_refits: 'u32',
  min_gain: 'f32',
});
// kahan() comes from the shared file.
const shader = `${PARAMS.wgsl}${ROW_STATE.wgsl}\n${entry}\n${solverRow}`;

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
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({
      rows: s.rows,
      n: s.n,
      rows_per_group: s.rows / s.groups,
      qmax: qmaxOf(s.bits),
      unit: 2 ** (planesOf(s.bits) - 1),
      max_sweeps: FULL_GRID_SWEEPS,
      max_refits: FULL_GRID_REFITS,
      min_gain: FULL_GRID_MIN_GAIN,
    }),
    'full-grid:params',
  );
  const pipeline = await pipelines.get('full-grid', shader, { WORKGROUP_SIZE });
  encodePass(
    ctx.device,
    encoder,
    pipeline,
    'full-grid',
    [params, b.a, b.c, b.codes, b.state, b.scratch, b.trial, b.outcome],
    [Math.ceil(s.rows / WORKGROUP_SIZE), 1, 1],
  );
  return params;
}
