import entry from '../../../shaders/pad-input.wgsl?raw';
import type { GpuContext } from '../device';
import { encodePass, linearDispatch, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { wgslStruct } from '../wgsl-struct';

const PARAMS = wgslStruct('Params', {
  planes: 'u32',
  height: 'u32',
  width: 'u32',
  pad_top: 'u32',
  pad_left: 'u32',
  out_h: 'u32',
  out_w: 'u32',
  row_stride: 'u32',
});
const shader = `${PARAMS.wgsl}\n${entry}`;

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
export async function encodePadInput(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  a: PadArgs,
): Promise<GPUBuffer> {
  const grid = linearDispatch(a.planes * a.paddedHeight * a.paddedWidth, WORKGROUP_SIZE);
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({
      planes: a.planes,
      height: a.height,
      width: a.width,
      pad_top: a.padTop,
      pad_left: a.padLeft,
      out_h: a.paddedHeight,
      out_w: a.paddedWidth,
      row_stride: grid.rowStride,
    }),
    'pad-input:params',
  );
  const pipeline = await pipelines.get('pad-input', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'pad-input', [params, a.source, a.target], [grid.x, grid.y, 1]);
  return params;
}
