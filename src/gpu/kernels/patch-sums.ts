import entry from '../../../shaders/patch-sums.wgsl?raw';
import patchTaps from '../../../shaders/lib/patch-taps.wgsl?raw';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { PATCH_PARAMS, WORKGROUP_SIZE, patchParams, type PatchPass } from './patch-pass';

const shader = `${PATCH_PARAMS.wgsl}\n${entry}\n${patchTaps}`;

/** Encodes the partial column sums of the patches per group (groups x N per chunk). Returns the params buffer to destroy after submit. */
export async function encodePatchSums(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  s: PatchPass,
  b: { input: GPUBuffer; partial: GPUBuffer; samples: GPUBuffer },
): Promise<GPUBuffer> {
  const params = uniformBuffer(ctx.device, patchParams(s, 0), 'patch-sums:params');
  const pipeline = await pipelines.get('patch-sums', shader, { WORKGROUP_SIZE });
  encodePass(
    ctx.device,
    encoder,
    pipeline,
    'patch-sums',
    [params, b.input, b.partial, b.samples],
    [Math.ceil(s.n / WORKGROUP_SIZE), s.groups, s.chunks],
  );
  return params;
}
