import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticConvLayer } from '../core/quant/synthetic';
import type { GpuContext } from '../gpu/device';
import { createNodeGpuContext } from '../gpu/node-gpu';
import { layerErrors } from './layer-errors';
import { cpuBackend, gpuBackend } from './solver-backend';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

describe("layer errors of large layers come from the GPU solver's own sums", () => {
  it("gives the host's output error from <C, w> and w^T A w of the closing pass, without reading A back", async () => {
    const geometry = {
      batch: 2,
      channels: 8,
      height: 10,
      width: 10,
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
    const m = 24;
    const layer = syntheticConvLayer({ m, geometry, seed: 4 });
    const { batch: _batch, ...perImage } = geometry;
    const acc = gpuBackend(ctx).begin(perImage, m, { seed: 0 });
    await acc.add(Float32Array.from(layer.input), geometry.batch, Float32Array.from(layer.target));
    const weights = Float32Array.from(layer.weights);
    for (const method of ['bitsplit', 'rtn'] as const) {
      const solved = await acc.solve(weights, 3, method);
      const viaSums = await layerErrors(acc, m, 72, { hostBudget: 0 }).of(solved);
      const onHost = await layerErrors(acc, m, 72).of(solved);
      expect(solved.rowSums).toBeDefined();
      expect(Math.abs(viaSums.relative - onHost.relative)).toBeLessThanOrEqual(1e-4 * onHost.relative);
    }
    expect(await layerErrors(acc, m, 72, { hostBudget: 0 }).float(weights)).toBeNaN();
    expect(await layerErrors(acc, m, 72).float(weights)).toBeLessThan(1e-3);
    acc.destroy();
  });
});

describe("on the CPU, large layers' errors come from onnxruntime's row sums", () => {
  it("equal the host loop's for quantized and float weights, per group", async () => {
    const geometry = {
      batch: 2,
      channels: 8,
      height: 9,
      width: 9,
      groups: 2,
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
    const m = 16;
    const n = 36;
    const layer = syntheticConvLayer({ m, geometry, seed: 6 });
    const { batch: _batch, ...perImage } = geometry;
    const acc = cpuBackend.begin(perImage, m, { seed: 0 });
    await acc.add(Float32Array.from(layer.input), geometry.batch, Float32Array.from(layer.target));
    const weights = Float32Array.from(layer.weights);
    const solved = await acc.solve(weights, 3, 'bitsplit');
    expect(solved.rowSums).toBeUndefined();
    const viaSums = await layerErrors(acc, m, n, { hostBudget: 0 }).of(solved);
    const onHost = await layerErrors(acc, m, n).of(solved);
    expect(viaSums.relative).toBeGreaterThan(1e-3);
    expect(Math.abs(viaSums.relative - onHost.relative)).toBeLessThanOrEqual(1e-4 * onHost.relative);
    const floatViaSums = await layerErrors(acc, m, n, { hostBudget: 0 }).float(weights);
    const floatOnHost = await layerErrors(acc, m, n).float(weights);
    expect(Math.abs(floatViaSums - floatOnHost)).toBeLessThanOrEqual(1e-5);
  });
});
