import entry from '../../../shaders/solver-epoch.wgsl?raw';
import solverRow from '../../../shaders/lib/solver-row.wgsl?raw';
import { planesOf } from '../../core/quant/grid';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { wgslStruct } from '../wgsl-struct';
import { ROW_STATE } from './row-state';

const PARAMS = wgslStruct('Params', {
  rows: 'u32',
  n: 'u32',
  rows_per_group: 'u32',
  planes: 'u32',
  mode: 'u32',
  history_stride: 'u32',
  refit: 'u32',
});
// kahan() comes from the shared file.
const shader = `${PARAMS.wgsl}${ROW_STATE.wgsl}\n${entry}\n${solverRow}`;

const WORKGROUP_SIZE = 64;

export interface SolverBuffers {
  a: GPUBuffer;
  c: GPUBuffer;
  planes: GPUBuffer;
  scratch: GPUBuffer;
  state: GPUBuffer;
  history: GPUBuffer;
  codes: GPUBuffer;
}

export interface SolverShape {
  rows: number;
  n: number;
  groups: number;
  bits: number;
  maxEpochs: number;
}

/** A solver pass: mode 'epoch' runs one epoch on every unfinished row; 'finish' stitches and measures. */
export async function solverEpochPipeline(
  ctx: GpuContext,
  pipelines: PipelineCache,
  s: SolverShape,
  mode: 'epoch' | 'finish',
  refit: boolean,
  b: SolverBuffers,
): Promise<{ encode: (encoder: GPUCommandEncoder) => void; params: GPUBuffer }> {
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({
      rows: s.rows,
      n: s.n,
      rows_per_group: s.rows / s.groups,
      planes: planesOf(s.bits),
      mode: mode === 'finish' ? 1 : 0,
      history_stride: s.maxEpochs,
      refit: refit ? 1 : 0,
    }),
    `solver-epoch:${mode}:params`,
  );
  const pipeline = await pipelines.get('solver-epoch', shader, { WORKGROUP_SIZE });
  const buffers = [params, b.a, b.c, b.planes, b.scratch, b.state, b.history, b.codes];
  return {
    params,
    encode: (encoder) =>
      encodePass(ctx.device, encoder, pipeline, `solver-epoch:${mode}`, buffers, [Math.ceil(s.rows / WORKGROUP_SIZE), 1, 1]),
  };
}
