import entry from '../../../shaders/weight-init.wgsl?raw';
import solverRow from '../../../shaders/lib/solver-row.wgsl?raw';
import { planesOf, qmaxOf } from '../../core/quant/grid';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { wgslStruct } from '../wgsl-struct';
import { ROW_STATE } from './row-state';

const PARAMS = wgslStruct('Params', { rows: 'u32', n: 'u32', qmax: 'u32', iterations: 'u32', planes: 'u32' });
// kahan() comes from the shared file.
const shader = `${PARAMS.wgsl}${ROW_STATE.wgsl}\n${entry}\n${solverRow}`;

const WORKGROUP_SIZE = 64;

/** Encodes the per-row initial quantization: codes, planes and solver state. Returns its params buffer. */
export async function encodeWeightInit(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  a: { rows: number; n: number; bits: number; iterations: number },
  b: { weights: GPUBuffer; codes: GPUBuffer; planes: GPUBuffer; state: GPUBuffer },
): Promise<GPUBuffer> {
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({ rows: a.rows, n: a.n, qmax: qmaxOf(a.bits), iterations: a.iterations, planes: planesOf(a.bits) }),
    'weight-init:params',
  );
  const pipeline = await pipelines.get('weight-init', shader, { WORKGROUP_SIZE });
  encodePass(
    ctx.device,
    encoder,
    pipeline,
    'weight-init',
    [params, b.weights, b.codes, b.planes, b.state],
    [Math.ceil(a.rows / WORKGROUP_SIZE), 1, 1],
  );
  return params;
}
