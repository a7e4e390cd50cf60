import entry from '../../../shaders/activation-scale.wgsl?raw';
import { StudioError } from '../../core/errors';
import { activationLevels, assertActivationBits, DEFAULT_SCALE_ITERATIONS } from '../../core/quant/activation-scale';
import type { GpuContext } from '../device';
import { encodePass, uniformBuffer } from '../dispatch';
import { PipelineCache } from '../pipelines';
import { readBuffer, uploadBuffer } from '../readback';
import { wgslStruct } from '../wgsl-struct';

const WORKGROUP_SIZE = 256;

const PARAMS = wgslStruct('Params', { channels: 'u32', count: 'u32', levels: 'u32', signed_grid: 'u32', max_iterations: 'u32' });
const shader = `${PARAMS.wgsl}\n${entry}`;

export interface ActivationSamples {
  /** Row-major [channels][count]; one channel for a per-tensor scale. */
  values: Float32Array;
  channels: number;
  bits: number;
  signed: boolean;
  maxIterations?: number;
}

/** Fits one activation scale per channel on the GPU; returns scales and the iterations each took. */
export async function fitActivationScalesOnGpu(
  ctx: GpuContext,
  s: ActivationSamples,
  pipelines = new PipelineCache(ctx.device),
): Promise<{ scales: Float64Array; iterations: Int32Array }> {
  assertActivationBits(s.bits);
  if (s.channels < 1 || s.values.length % s.channels !== 0 || s.values.length === 0) {
    throw new StudioError(
      'InvalidArgumentError',
      `activation scale: ${s.values.length} values do not split into ${s.channels} channels.`,
    );
  }
  const count = s.values.length / s.channels;
  return ctx.checked('activation scale', async () => {
    const device = ctx.device;
    const values = uploadBuffer(device, s.values as Float32Array<ArrayBuffer>, GPUBufferUsage.STORAGE, 'activation-scale:values');
    const result = device.createBuffer({
      size: s.channels * 8,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      label: 'activation-scale:result',
    });
    const params = uniformBuffer(
      device,
      PARAMS.pack({
        channels: s.channels,
        count,
        levels: activationLevels(s.bits, s.signed),
        signed_grid: s.signed ? 1 : 0,
        max_iterations: s.maxIterations ?? DEFAULT_SCALE_ITERATIONS,
      }),
      'activation-scale:params',
    );
    const pipeline = await pipelines.get('activation-scale', shader, { WORKGROUP_SIZE });
    const encoder = device.createCommandEncoder({ label: 'activation-scale' });
    encodePass(device, encoder, pipeline, 'activation-scale', [params, values, result], [s.channels, 1, 1]);
    device.queue.submit([encoder.finish()]);
    const out = new Float32Array(await readBuffer(device, result));
    for (const b of [values, result, params]) b.destroy();
    return {
      scales: Float64Array.from({ length: s.channels }, (_, c) => out[2 * c]),
      iterations: Int32Array.from({ length: s.channels }, (_, c) => out[2 * c + 1]),
    };
  });
}
