/**
 * Gram accumulation's arithmetic rate beside a matrix product's on the same adapter, in one run:
 * LayerStatistics summing A = XᵀX of a 3 x 3 conv's patches (upper triangle: positions x N(N+1)/2
 * multiply-adds) against plane-product.wgsl, the tiled matrix product of the blocked solver (M x N x N).
 *
 *   npm run bench:accumulate -- [--channels 16,32,64] [--images 8] [--size 16]
 */
import { createNodeGpuContext } from '../src/gpu/node-gpu';
import { planeProduct } from '../src/gpu/kernels/plane-product';
import { LayerStatistics } from '../src/gpu/layer-statistics';
import { PipelineCache } from '../src/gpu/pipelines';
import { gaussian, seededRandom } from '../src/core/random';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

async function main() {
  const ctx = await createNodeGpuContext();
  const device = ctx.device;
  const pipelines = new PipelineCache(device);
  const s = ctx.adapterSummary;
  console.log(`adapter: ${s.vendor} ${s.architecture} ${s.description}${s.isFallback ? ' (software fallback)' : ''}`);
  const images = Number(option('images', '8'));
  const size = Number(option('size', '16'));
  const normal = gaussian(seededRandom(5));
  console.log(['C', 'N', 'accumulation GFLOP/s', 'matmul GFLOP/s', 'accumulation / matmul'].join('\t'));
  for (const channels of option('channels', '16,32,64').split(',').map(Number)) {
    const geometry = {
      channels,
      height: size,
      width: size,
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
    const input = Float32Array.from({ length: images * channels * size * size }, () => Math.max(0, normal()));
    const stats = new LayerStatistics(ctx, geometry, {}, { pipelines });
    const n = stats.n;
    await stats.add(input, images); // compiles the pipelines
    await device.queue.onSubmittedWorkDone();
    let t = performance.now();
    await stats.add(input, images);
    await device.queue.onSubmittedWorkDone();
    const accumulate = (2 * images * size * size * (n * (n + 1))) / 2 / ((performance.now() - t) / 1000) / 1e9;
    stats.destroy();

    const rows = 256;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const a = device.createBuffer({ size: n * n * 4, usage });
    const planes = device.createBuffer({ size: rows * n * 4, usage });
    const out = device.createBuffer({ size: rows * n * 4, usage });
    device.queue.writeBuffer(a, 0, Float32Array.from({ length: n * n }, normal));
    device.queue.writeBuffer(
      planes,
      0,
      Int32Array.from({ length: rows * n }, () => Math.round(normal())),
    );
    const product = await planeProduct(
      device,
      pipelines,
      { rows, n, groups: 1, planes: 1 },
      { mode: 'plane', plane: 0, col0: 0, width: n, outStride: n },
      { a, planes, out },
    );
    const run = async () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      product.encode(pass);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    };
    await run();
    t = performance.now();
    await run();
    const matmul = (2 * rows * n * n) / ((performance.now() - t) / 1000) / 1e9;
    for (const b of [a, planes, out, product.params]) b.destroy();
    console.log([channels, n, accumulate.toFixed(2), matmul.toFixed(2), (accumulate / matmul).toFixed(2)].join('\t'));
  }
  ctx.destroy();
}

await main();
