import shader from '../../../shaders/pad-input.wgsl?raw';
import type { GpuContext } from '../device';
import { encodePass, linearDispatch, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';

const WORKGROUP_SIZE = 64;

export interface PadArgs {
  source: GPUBuffer;
  target: GPUBuffer;
  /** batch x channels */
  planes: number;
  height: number;
  width: number;
  padTop: number;
  padLeft: number;
  paddedHeight: number;
  paddedWidth: number;
}

/** Encodes a zero-padding copy of an NCHW tensor. Returns its params buffer, to destroy after submit. */
export async function encodePadInput(ctx: GpuContext, pipelines: PipelineCache, encoder: GPUCommandEncoder, a: PadArgs): Promise<GPUBuffer> {
  const grid = linearDispatch(a.planes * a.paddedHeight * a.paddedWidth, WORKGROUP_SIZE);
  const params = uniformBuffer(ctx.device, Uint32Array.of(
    a.planes, a.height, a.width, a.padTop, a.padLeft, a.paddedHeight, a.paddedWidth, grid.rowStride,
  ), 'pad-input:params');
  const pipeline = await pipelines.get('pad-input', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'pad-input', [params, a.source, a.target], [grid.x, grid.y, 1]);
  return params;
}
