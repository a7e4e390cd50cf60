import entry from '../../../shaders/channel-energy.wgsl?raw';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { wgslStruct } from '../wgsl-struct';
import { WORKGROUP_SIZE, type PatchPass } from './patch-pass';

const PARAMS = wgslStruct('Params', { rows: 'u32', plane: 'u32', positions: 'u32', chunk: 'u32', sampled: 'u32' });
const shader = `${PARAMS.wgsl}\n${entry}`;

/** Encodes the partial sums of each output channel's energy, diag(Y^T Y), or with `squared` false its plain sums. */
export async function encodeChannelEnergy(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  s: PatchPass,
  m: number,
  b: { target: GPUBuffer; partial: GPUBuffer; samples: GPUBuffer },
  squared = true,
): Promise<GPUBuffer> {
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({ rows: m, plane: s.outH * s.outW, positions: s.positions, chunk: s.chunk, sampled: s.sampled ? 1 : 0 }),
    'channel-energy:params',
  );
  const pipeline = await pipelines.get('channel-energy', shader, { WORKGROUP_SIZE, SQUARED: squared ? 1 : 0 });
  encodePass(
    ctx.device,
    encoder,
    pipeline,
    'channel-energy',
    [params, b.target, b.partial, b.samples],
    [Math.ceil(m / WORKGROUP_SIZE), 1, s.chunks],
  );
  return params;
}
