import entry from '../../../shaders/conv-gram.wgsl?raw';
import patchTaps from '../../../shaders/lib/patch-taps.wgsl?raw';
import patchPass from '../../../shaders/lib/patch-pass.wgsl?raw';

const shader = `${entry}\n${patchPass}\n${patchTaps}`;
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { TILE, WORKGROUP_SIZE, patchParams, type PatchPass } from './patch-pass';

/** Encodes the partial sums of A = X^T X (upper triangles). Returns the params buffer to destroy after submit. */
export async function encodeConvGram(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  s: PatchPass,
  b: { input: GPUBuffer; partial: GPUBuffer; samples: GPUBuffer },
): Promise<GPUBuffer> {
  const tiles = Math.ceil(s.n / TILE);
  const params = uniformBuffer(ctx.device, patchParams(s, tiles), 'conv-gram:params');
  const pipeline = await pipelines.get('conv-gram', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'conv-gram', [params, b.input, b.partial, b.samples], [Math.ceil((tiles * tiles) / WORKGROUP_SIZE), s.groups, s.chunks]);
  return params;
}
