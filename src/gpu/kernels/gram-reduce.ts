import entry from '../../../shaders/gram-reduce.wgsl?raw';
import type { GpuContext } from '../device';
import { encodePass, linearDispatch, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { wgslStruct } from '../wgsl-struct';

const PARAMS = wgslStruct('Params', { entries: 'u32', n: 'u32', chunks: 'u32', row_stride: 'u32', symmetric: 'u32' });
const shader = `${PARAMS.wgsl}\n${entry}`;

const WORKGROUP_SIZE = 64;

/**
 * Encodes: total (+ compensation) += sum over chunks of the partials. `n` > 0 marks `groups` symmetric
 * n x n matrices stored as upper triangles; n = 0 a plain vector of `entries` values. Returns its params buffer.
 */
export async function encodeGramReduce(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  args: { partial: GPUBuffer; total: GPUBuffer; compensation: GPUBuffer; entries: number; symmetricN: number; chunks: number },
): Promise<GPUBuffer> {
  const grid = linearDispatch(args.entries, WORKGROUP_SIZE);
  const symmetric = args.symmetricN > 0;
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({
      entries: args.entries,
      n: symmetric ? args.symmetricN : 1,
      chunks: args.chunks,
      row_stride: grid.rowStride,
      symmetric: symmetric ? 1 : 0,
    }),
    'gram-reduce:params',
  );
  const pipeline = await pipelines.get('gram-reduce', shader, { WORKGROUP_SIZE });
  encodePass(
    ctx.device,
    encoder,
    pipeline,
    'gram-reduce',
    [params, args.partial, args.total, args.compensation],
    [grid.x, grid.y, 1],
  );
  return params;
}
