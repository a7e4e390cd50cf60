import entry from '../../../shaders/weight-init.wgsl?raw';
import solverRow from '../../../shaders/lib/solver-row.wgsl?raw';
import { planesOf, qmaxOf } from '../../core/quant/grid';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';

// RowState and kahan() come from the shared file.
const shader = `${entry}\n${solverRow}`;

const WORKGROUP_SIZE = 64;

/** Words per row of the solver state shared by weight-init.wgsl and solver-epoch.wgsl. */
export const ROW_STATE_WORDS = 8;

/** Encodes the per-row initial quantization: codes, planes and solver state. Returns its params buffer. */
export async function encodeWeightInit(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  a: { rows: number; n: number; bits: number; iterations: number },
  b: { weights: GPUBuffer; codes: GPUBuffer; planes: GPUBuffer; state: GPUBuffer },
): Promise<GPUBuffer> {
  const params = uniformBuffer(ctx.device, Uint32Array.of(a.rows, a.n, qmaxOf(a.bits), a.iterations, planesOf(a.bits)), 'weight-init:params');
  const pipeline = await pipelines.get('weight-init', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'weight-init', [params, b.weights, b.codes, b.planes, b.state], [Math.ceil(a.rows / WORKGROUP_SIZE), 1, 1]);
  return params;
}
