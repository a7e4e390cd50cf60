import entry from '../../../shaders/cross-gram.wgsl?raw';
import patchTaps from '../../../shaders/lib/patch-taps.wgsl?raw';

const shader = `${entry}\n${patchTaps}`;
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { TILE, WORKGROUP_SIZE, type PatchPass } from './patch-pass';

/** Encodes the partial sums of C = Y^T X for M output channels. */
export async function encodeCrossGram(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  s: PatchPass,
  m: number,
  b: { input: GPUBuffer; target: GPUBuffer; partial: GPUBuffer; samples: GPUBuffer },
): Promise<GPUBuffer> {
  const rowsPerGroup = m / s.groups;
  const rowTiles = Math.ceil(rowsPerGroup / TILE);
  const colTiles = Math.ceil(s.n / TILE);
  const params = uniformBuffer(ctx.device, Uint32Array.of(
    s.channels, s.height, s.width, s.channels / s.groups, s.outH, s.outW, s.kernelH, s.kernelW,
    s.strideH, s.strideW, s.dilationH, s.dilationW, m, rowsPerGroup, s.n, colTiles, s.positions, s.chunk, rowTiles, s.sampled ? 1 : 0,
  ), 'cross-gram:params');
  const pipeline = await pipelines.get('cross-gram', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'cross-gram', [params, b.input, b.target, b.partial, b.samples],
    [Math.ceil((rowTiles * colTiles) / WORKGROUP_SIZE), s.groups, s.chunks]);
  return params;
}
