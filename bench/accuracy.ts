/**
 * Accuracy of the quantized model, method by method and bit-width by bit-width, on real models.
 *
 *   npm run bench:accuracy -- [--models resnet20,resnet32,demo] [--cells W8A8,W4A8,W3A8,W4A4,W2A8]
 *                             [--rows rtn,mse,bitsplit,bitsplit+ecaq] [--calib 256] [--positions 128]
 *                             [--eval 9000] [--backend cpu|gpu]
 *
 * CIFAR-10 ResNets come from ../shared/data/cifar10 (calibrate on images of records 0..999, score
 * records 1000..9999, as that folder's README says); the demo calibrates and scores on its shipped images.
 */
import { readFileSync } from 'node:fs';
import { loadImageFolder } from '../src/cli/node-images';
import { readModelFile } from '../src/core/model-summary';
import { presetConfig, PRESETS } from '../src/core/preprocess';
import type { Method } from '../src/core/quant/plan';
import { createNodeGpuContext } from '../src/gpu/node-gpu';
import type { ImageSet } from '../src/pipeline/images';
import { DEFAULT_JOB, runJob } from '../src/pipeline/job';
import { cpuBackend, gpuBackend, type SolverBackend } from '../src/pipeline/solver-backend';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const SHARED = new URL('../../shared/data/cifar10/', import.meta.url);
const DEMO = new URL('../public/demo/', import.meta.url);

/** CIFAR-10 records: a label byte, then 1024 R, 1024 G, 1024 B bytes; ImageNet normalisation. */
function cifar(first: number, count: number): ImageSet {
  const bytes = readFileSync(new URL('cifar10_test_uint8.bin', SHARED));
  const { mean, std } = PRESETS.imagenet;
  return {
    count, dims: [3, 32, 32],
    image: (i) => {
      const o = (first + i) * 3073 + 1;
      return Float32Array.from({ length: 3072 }, (_, k) => (bytes[o + k] / 255 - mean[k >> 10]) / std[k >> 10]);
    },
    label: (i) => bytes[(first + i) * 3073],
  };
}

async function main() {
  const models = option('models', 'resnet20,demo').split(',');
  const cells = option('cells', 'W8A8,W4A8,W3A8,W4A4,W2A8').split(',');
  const rows = option('rows', 'rtn,mse,bitsplit,bitsplit+ecaq').split(',');
  const calibCount = Number(option('calib', '256'));
  const positions = Number(option('positions', '128'));
  const evalCount = Number(option('eval', '9000'));
  const backend: SolverBackend = option('backend', 'cpu') === 'gpu' ? gpuBackend(await createNodeGpuContext()) : cpuBackend;
  console.log(`backend ${backend.name}; calibration ${calibCount} images, ${positions} positions per image; first and last layers 8-bit\n`);
  for (const name of models) {
    const isDemo = name === 'demo';
    const file = isDemo ? new URL('model.onnx', DEMO) : new URL(`${name}_cifar10.onnx`, SHARED);
    const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(file)), name);
    let calib: ImageSet;
    let scored: ImageSet;
    if (isDemo) {
      const images = await loadImageFolder(new URL('images', DEMO).pathname, presetConfig('zero1', { width: 28, height: 28, channels: 1 }), null, 10);
      calib = images;
      scored = images;
    } else {
      // Every fourth record of the first 1,000: balanced over the classes.
      const pool = cifar(0, 1000);
      calib = { ...pool, count: Math.min(calibCount, 1000), image: (i) => pool.image((i * 4) % 1000 + Math.floor((i * 4) / 1000)), label: () => null };
      scored = cifar(1000, Math.min(evalCount, 9000));
    }
    console.log(`## ${name}: ${summary.layers.length} layers, scored on ${scored.count} images`);
    console.log(['method', ...cells].join('\t'));
    let floatTop1 = '';
    const table: string[][] = [];
    for (const row of rows) {
      const [method, ecaq] = [row.split('+')[0] as Method, row.endsWith('+ecaq')];
      const line = [row];
      for (const cell of cells) {
        const [, w, a] = /^W(\d)A(\d+|float)$/.exec(cell)!;
        const t = performance.now();
        const r = await runJob(graph, summary.layers, calib, scored, {
          ...DEFAULT_JOB, wbits: Number(w), abits: a === 'float' ? 'float' : Number(a), method, ecaq,
          calibImages: calibCount, positionsPerImage: positions,
        }, { backend });
        floatTop1 = r.metrics!.top1Float!.toFixed(2);
        line.push(r.metrics!.top1!.toFixed(2));
        process.stderr.write(`${name} ${row} ${cell}: ${r.metrics!.top1!.toFixed(2)} % in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
      }
      table.push(line);
    }
    console.log(['FP32', ...cells.map(() => floatTop1)].join('\t'));
    for (const line of table) console.log(line.join('\t'));
    console.log('');
  }
}

await main();
