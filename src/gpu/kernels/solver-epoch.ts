import entry from '../../../shaders/solver-epoch.wgsl?raw';
import solverRow from '../../../shaders/lib/solver-row.wgsl?raw';
import { planesOf } from '../../core/quant/grid';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';

// RowState and kahan() come from the shared file.
const shader = `${entry}\n${solverRow}`;

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
  const params = uniformBuffer(ctx.device, Uint32Array.of(
    s.rows, s.n, s.rows / s.groups, planesOf(s.bits), mode === 'finish' ? 1 : 0, s.maxEpochs, refit ? 1 : 0, 0,
  ), `solver-epoch:${mode}:params`);
  const pipeline = await pipelines.get('solver-epoch', shader, { WORKGROUP_SIZE });
  const buffers = [params, b.a, b.c, b.planes, b.scratch, b.state, b.history, b.codes];
  return {
    params,
    encode: (encoder) => encodePass(ctx.device, encoder, pipeline, `solver-epoch:${mode}`, buffers, [Math.ceil(s.rows / WORKGROUP_SIZE), 1, 1]),
  };
}
