import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitActivationScaleReference } from '../../core/quant/activation-scale';
import { randomArray } from '../../core/random';
import type { GpuContext } from '../device';
import { createNodeGpuContext } from '../node-gpu';
import { fitActivationScalesOnGpu } from './activation-scale';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

const relu = (v: Float32Array) => v.map((x) => Math.max(0, x));

describe('activation scales on WebGPU equal the float64 Lloyd fit', () => {
  it.each([
    ['unsigned, 4 bits, per tensor', 1, 4, false],
    ['unsigned, 8 bits, 3 channels', 3, 8, false],
    ['signed, 4 bits, per tensor', 1, 4, true],
    ['signed, 6 bits, 5 channels', 5, 6, true],
  ] as const)('%s', async (_name, channels, bits, signed) => {
    const count = 3001;
    const raw = randomArray(channels * count, bits * 10 + channels);
    // Channels of different ranges, so a per-channel fit matters.
    const scaled = raw.map((v, i) => v * (1 + Math.floor(i / count)));
    const values = signed ? scaled : relu(scaled);
    const gpu = await fitActivationScalesOnGpu(ctx, { values, channels, bits, signed });
    for (let c = 0; c < channels; c++) {
      const ref = fitActivationScaleReference(values.subarray(c * count, (c + 1) * count), bits, signed);
      expect(Math.abs(gpu.scales[c] - ref.scale)).toBeLessThanOrEqual(1e-5 * ref.scale);
      expect(gpu.iterations[c]).toBeGreaterThan(0);
    }
  });

  it('a channel with no positive value gets scale 0; ties round half to even', async () => {
    const values = Float32Array.of(0, -1, -2, 0, /* channel 2: */ 0.5, 1.5, 2.5, 3);
    const gpu = await fitActivationScalesOnGpu(ctx, { values, channels: 2, bits: 2, signed: false });
    expect(gpu.scales[0]).toBe(0);
    const ref = fitActivationScaleReference(values.subarray(4), 2, false);
    expect(gpu.scales[1]).toBeCloseTo(ref.scale, 6);
  });

  it('refuses samples that do not split into channels', async () => {
    await expect(
      fitActivationScalesOnGpu(ctx, { values: new Float32Array(10), channels: 3, bits: 8, signed: false }),
    ).rejects.toThrowError('activation scale: 10 values do not split into 3 channels.');
  });
});
