import shader from '../../../shaders/gram-reduce.wgsl?raw';
import type { GpuContext } from '../device';
import { bindBuffers, linearDispatch, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';

const WORKGROUP_SIZE = 64;

/** Encodes: total (+ compensation) += sum over chunks of the partial Gram matrices. Returns its params buffer. */
export async function encodeGramReduce(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  args: { partial: GPUBuffer; total: GPUBuffer; compensation: GPUBuffer; groups: number; n: number; chunks: number },
): Promise<GPUBuffer> {
  const entries = args.groups * args.n * args.n;
  const grid = linearDispatch(entries, WORKGROUP_SIZE);
  const params = uniformBuffer(ctx.device, Uint32Array.of(entries, args.n, args.chunks, grid.rowStride), 'gram-reduce:params');
  const pipeline = await pipelines.get('gram-reduce', shader, { WORKGROUP_SIZE });
  const pass = encoder.beginComputePass({ label: 'gram-reduce' });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(ctx.device, pipeline, [params, args.partial, args.total, args.compensation]));
  pass.dispatchWorkgroups(grid.x, grid.y);
  pass.end();
  return params;
}
