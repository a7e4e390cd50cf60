import entry from '../../../shaders/conv-gram.wgsl?raw';
import patchTaps from '../../../shaders/lib/patch-taps.wgsl?raw';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { PATCH_PARAMS, TILE, WORKGROUP_SIZE, patchParams, type PatchPass } from './patch-pass';

const shader = `${PATCH_PARAMS.wgsl}\n${entry}\n${patchTaps}`;

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
  encodePass(
    ctx.device,
    encoder,
    pipeline,
    'conv-gram',
    [params, b.input, b.partial, b.samples],
    [Math.ceil((tiles * tiles) / WORKGROUP_SIZE), s.groups, s.chunks],
  );
  return params;
}
