import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convOutputSize, type ConvGeometry } from '../core/conv-geometry';
import { dequantize } from '../core/quant/grid';
import { outputError } from '../core/quant/metrics';
import { syntheticConvLayer } from '../core/quant/synthetic';
import { solveLayerOnGpu, type WeightMethod } from './bit-split-solver';
import type { GpuContext } from './device';
import { LayerStatistics } from './layer-statistics';
import { createNodeGpuContext } from './node-gpu';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

// The paper's synthetic setting: M = 64, N = 144 (16 channels, 3 x 3), about 12,000 patches.
const g: ConvGeometry = {
  batch: 15,
  channels: 16,
  height: 28,
  width: 28,
  groups: 1,
  kernelH: 3,
  kernelW: 3,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 1,
  padLeft: 1,
  padBottom: 1,
  padRight: 1,
};

describe('quality, entirely on the GPU: statistics, then each method', () => {
  const layer = syntheticConvLayer({ m: 64, geometry: g, seed: 2020 });

  it('relative output error: RTN max-abs > MSE scale > Bit-Split, at 3 and 4 bits', async () => {
    const { batch, ...geometry } = g;
    const stats = new LayerStatistics(ctx, geometry, { rows: 64 });
    const { outH, outW } = convOutputSize(g);
    expect(layer.target.length).toBe(batch * 64 * outH * outW);
    await stats.add(layer.input, batch, Float32Array.from(layer.target));
    const a = await stats.readGram();
    const { c, yy } = await stats.readCross();
    const problem = { a, c, m: 64, n: 144, groups: 1 };
    const report: Record<string, number> = {};
    for (const bits of [3, 4]) {
      const errors: number[] = [];
      for (const method of ['rtn', 'mse', 'bitsplit'] as WeightMethod[]) {
        const q = await solveLayerOnGpu(
          ctx,
          { weights: layer.weights, m: 64, n: 144, groups: 1, a: stats.gram.total, c: stats.cross!.total },
          { bits, method },
        );
        errors.push(outputError(problem, yy, dequantize(q)).relative);
        report[`W${bits} ${method}`] = errors.at(-1)!;
      }
      expect(errors[0]).toBeGreaterThan(errors[1]);
      expect(errors[1]).toBeGreaterThan(errors[2]);
      if (bits === 4) expect(errors[2]).toBeLessThan(0.7 * errors[1]);
    }
    console.log(
      Object.entries(report)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', '),
    );
    stats.destroy();
  });
});
