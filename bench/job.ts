/**
 * The whole quantization job on a ResNet-18- or ResNet-50-shaped model with random weights and random
 * images: seconds by stage, peak JS heap and resident set, and the GPU buffers' peak bytes.
 *
 *   npm run bench:job -- [--arch resnet18|resnet50] [--images 64] [--size 224] [--wbits 4] [--abits 8]
 *                        [--method bitsplit] [--no-ecaq] [--backend auto|gpu|cpu] [--positions 64] [--epochs 100]
 *
 * The target on an NVIDIA H200: resnet18, 64 images at 224 x 224, W4A8 with error
 * compensation, end to end in at most 30 s. This machine's SwiftShader runs at about 1 GFLOP/s: use
 * --images 2 --size 64 here.
 */
import { chooseBackend } from '../src/cli/main';
import { peakMemory } from '../src/cli/memory';
import { readModelFile } from '../src/core/model-summary';
import { encodeModel } from '../src/core/onnx/model-io';
import type { Method } from '../src/core/quant/plan';
import { gaussian, seededRandom } from '../src/core/random';
import type { ImageSet } from '../src/pipeline/images';
import { runJob } from '../src/pipeline/job';
import { DEFAULT_JOB } from '../src/pipeline/job-config';
import { resnetShapedModel, type Architecture } from './resnet-shaped';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

/** Counts the bytes of GPU buffers alive, and their peak, by wrapping the device's createBuffer. */
function trackGpuBuffers(device: GPUDevice) {
  let live = 0;
  let peak = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = create(descriptor);
    live += descriptor.size;
    peak = Math.max(peak, live);
    const destroy = buffer.destroy.bind(buffer);
    let destroyed = false;
    buffer.destroy = () => {
      if (!destroyed) live -= descriptor.size;
      destroyed = true;
      destroy();
    };
    return buffer;
  };
  return () => peak;
}

async function main() {
  const arch = option('arch', 'resnet18') as Architecture;
  const count = Number(option('images', '64'));
  const size = Number(option('size', '224'));
  const t0 = performance.now();
  const bytes = encodeModel(resnetShapedModel(arch));
  const { graph, summary } = await readModelFile(bytes, `${arch}.onnx`);
  const params = summary.layers.reduce((s, l) => s + l.params, 0);
  const normal = gaussian(seededRandom(7));
  const perImage = 3 * size * size;
  const pixels = Float32Array.from({ length: count * perImage }, normal);
  const images: ImageSet = {
    count,
    dims: [3, size, size],
    image: (i) => pixels.subarray(i * perImage, (i + 1) * perImage),
    label: () => null,
  };
  const backend = await chooseBackend(option('backend', 'auto') as 'auto' | 'gpu' | 'cpu');
  const device = backend.device;
  const gpuPeak = device ? trackGpuBuffers(device) : () => NaN;
  const memory = peakMemory();
  const abits = option('abits', '8');
  console.log(
    `${arch}: ${summary.layers.length} layers, ${(params / 1e6).toFixed(1)} M parameters; ${count} images at ${size} x ${size}; backend ${backend.name}; model built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const result = await runJob(
    graph,
    summary.layers,
    images,
    null,
    {
      ...DEFAULT_JOB,
      wbits: Number(option('wbits', '4')),
      abits: abits === 'float' ? 'float' : Number(abits),
      method: option('method', 'bitsplit') as Method,
      ecaq: !process.argv.includes('--no-ecaq'),
      calibImages: count,
      positions: Number(option('positions', '64')),
      epochs: Number(option('epochs', '100')),
      batchSize: Math.min(32, count),
    },
    { backend, onProgress: () => memory.sample() },
  );
  const { peakHeapMiB, peakArrayBuffersMiB, peakRssMiB } = memory.stop();
  console.log('seconds by stage:');
  for (const [stage, s] of Object.entries(result.seconds)) console.log(`  ${stage}\t${s.toFixed(2)}`);
  console.log(
    `peak JS heap ${peakHeapMiB} MiB, array buffers ${peakArrayBuffersMiB} MiB, resident ${peakRssMiB} MiB, GPU buffers ${Number.isNaN(gpuPeak()) ? '-' : `${(gpuPeak() / 2 ** 20).toFixed(1)} MiB`}`,
  );
  console.log(
    `largest layer: ${summary.layers.reduce((a, l) => (l.n * l.n > a.n * a.n ? l : a)).name} (N = ${Math.max(...summary.layers.map((l) => l.n))})`,
  );
}

await main();
