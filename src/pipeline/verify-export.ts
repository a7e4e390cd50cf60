import { MetricsAccumulator, relativeDifference, type ModelMetrics } from '../core/model-metrics';
import { ModelRunner } from '../runtime/ort';
import { batchOf, type ImageSet } from './images';

export interface ExportCheck {
  images: number;
  /**
   * Largest relative output difference, max |exported - simulated| / max |simulated|, with both graphs
   * run as written: the file means what the studio simulated (target <= 1e-4).
   */
  maxRelativeDifference: number;
  /** The same with onnxruntime's default optimizations on the file: integer kernels round on their own. */
  maxRelativeDifferenceOptimized: number;
}

/** One session at a time: onnxruntime-web's wasm backend runs one session's work at a time. */
async function withRunner<T>(bytes: Uint8Array, optimization: 'disabled' | 'all', work: (r: ModelRunner) => Promise<T>): Promise<T> {
  const runner = await ModelRunner.create(bytes, { optimization });
  try {
    return await work(runner);
  } finally {
    await runner.release();
  }
}

async function outputsOf(bytes: Uint8Array, optimization: 'disabled' | 'all', images: ImageSet, count: number, inputName: string) {
  return withRunner(bytes, optimization, async (runner) => {
    const out: Record<string, Float32Array>[] = [];
    for (let start = 0; start < count; start += 8) {
      const batch = batchOf(images, start, Math.min(8, count - start));
      const result = await runner.run({ [inputName]: { data: batch.data, dims: [batch.batch, ...images.dims] } });
      out.push(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data])));
    }
    return out;
  });
}

/**
 * Loads the exported file in onnxruntime and runs it beside the studio's simulation of the same run on
 * the first calibration images: the download is checked, not assumed.
 */
export async function verifyExport(exported: Uint8Array, simulated: Uint8Array, images: ImageSet, inputName: string, count = 8): Promise<ExportCheck> {
  const n = Math.min(count, images.count);
  const reference = await outputsOf(simulated, 'disabled', images, n, inputName);
  const worst = (runs: Record<string, Float32Array>[]) =>
    Math.max(0, ...runs.flatMap((batch, i) => Object.keys(batch).map((name) => relativeDifference(batch[name], reference[i][name]))));
  return {
    images: n,
    maxRelativeDifference: worst(await outputsOf(exported, 'disabled', images, n, inputName)),
    maxRelativeDifferenceOptimized: worst(await outputsOf(exported, 'all', images, n, inputName)),
  };
}

/** The exported file's own metrics in onnxruntime with its default optimizations, against the float model. */
export async function scoreExport(exported: Uint8Array, float: Uint8Array, images: ImageSet, inputName: string, output: string): Promise<ModelMetrics> {
  const metrics = new MetricsAccumulator();
  const [q, f] = [await outputsOf(exported, 'all', images, images.count, inputName), await outputsOf(float, 'all', images, images.count, inputName)];
  q.forEach((batch, i) => {
    const labels = batchOf(images, i * 8, 8).labels;
    metrics.add(f[i][output], batch[output], batch[output].length / labels.length, labels);
  });
  return metrics.result();
}
