import shader from '../../../shaders/gram-reduce.wgsl?raw';
import type { GpuContext } from '../device';
import { encodePass, linearDispatch, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';

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
    Uint32Array.of(args.entries, symmetric ? args.symmetricN : 1, args.chunks, grid.rowStride, symmetric ? 1 : 0),
    'gram-reduce:params',
  );
  const pipeline = await pipelines.get('gram-reduce', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'gram-reduce', [params, args.partial, args.total, args.compensation], [grid.x, grid.y, 1]);
  return params;
}
