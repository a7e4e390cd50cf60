import { isStudioError } from '../core/errors';
import { ModelMetricsAccumulator, relativeDifference, type ModelMetrics } from '../core/model-metrics';
import { fixedBatchOf } from '../core/model-input';
import type { ValueShape } from '../core/onnx/graph';
import { ModelRunner, type Outputs } from '../runtime/ort';
import { batchOf, type ImageSet } from './images';

export interface ExportCheck {
  images: number;
  /**
   * Largest relative output difference, max |exported - simulated| / max |simulated|, with both graphs
   * run as written: the file means what the studio simulated (target <= 1e-4).
   */
  maxRelativeDifference: number;
  /**
   * The same with onnxruntime's default optimizations on the file: integer kernels round on their own.
   * Null where those optimizations refuse the file (`optimizedRefusal` says how); it still runs as written.
   */
  maxRelativeDifferenceOptimized: number | null;
  optimizedRefusal?: string;
}

/** The model's declared inputs and outputs: which one the images feed, whether it fixes their batch, and what comes out. */
export interface ModelIo {
  inputs: ValueShape[];
  outputs: ValueShape[];
}

/** One session at a time: onnxruntime-web's wasm backend runs one session's work at a time. */
async function withRunner<T>(
  bytes: Uint8Array,
  optimization: 'disabled' | 'all',
  io: ModelIo,
  work: (r: ModelRunner) => Promise<T>,
): Promise<T> {
  const runner = await ModelRunner.create(bytes, { optimization, fixedBatch: fixedBatchOf(io.inputs) });
  try {
    return await work(runner);
  } finally {
    await runner.release();
  }
}

const BATCH = 8;

async function outputsOf(
  bytes: Uint8Array,
  optimization: 'disabled' | 'all',
  images: ImageSet,
  count: number,
  io: ModelIo,
): Promise<Outputs[]> {
  return withRunner(bytes, optimization, io, async (runner) => {
    const out: Outputs[] = [];
    for (let start = 0; start < count; start += BATCH) {
      const batch = batchOf(images, start, Math.min(BATCH, count - start));
      out.push(await runner.run({ [io.inputs[0].name]: { data: batch.data, dims: [batch.batch, ...images.dims] } }));
    }
    return out;
  });
}

/**
 * Loads the exported file in onnxruntime and runs it beside the studio's simulation of the same run on
 * the first calibration images: the download is checked, not assumed.
 */
export async function verifyExport(
  exported: Uint8Array,
  simulated: Uint8Array,
  images: ImageSet,
  io: ModelIo,
  count = 8,
): Promise<ExportCheck> {
  const n = Math.min(count, images.count);
  const reference = await outputsOf(simulated, 'disabled', images, n, io);
  const worst = (runs: Outputs[]) =>
    Math.max(
      0,
      ...runs.flatMap((batch, i) =>
        Object.keys(batch).map((name) => relativeDifference(batch[name].data, reference[i][name].data)),
      ),
    );
  const asWritten = worst(await outputsOf(exported, 'disabled', images, n, io));
  try {
    return {
      images: n,
      maxRelativeDifference: asWritten,
      maxRelativeDifferenceOptimized: worst(await outputsOf(exported, 'all', images, n, io)),
    };
  } catch (e) {
    if (!isStudioError(e, 'OnnxFormatError')) throw e;
    return { images: n, maxRelativeDifference: asWritten, maxRelativeDifferenceOptimized: null, optimizedRefusal: e.message };
  }
}

/** The exported file's own metrics (every output) in onnxruntime with its default optimizations, against the float model. */
export async function scoreExport(
  exported: Uint8Array,
  float: Uint8Array,
  images: ImageSet,
  io: ModelIo,
  check?: ExportCheck,
): Promise<ModelMetrics> {
  const metrics = new ModelMetricsAccumulator(io.outputs);
  // As written where onnxruntime's default optimizations refuse the file.
  const level = check?.optimizedRefusal ? 'disabled' : 'all';
  const [q, f] = [
    await outputsOf(exported, level, images, images.count, io),
    await outputsOf(float, 'all', images, images.count, io),
  ];
  q.forEach((batch, i) => metrics.add(f[i], batch, batchOf(images, i * BATCH, BATCH).labels));
  return metrics.result();
}
