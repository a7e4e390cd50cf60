import { ModelRunner, type ExecutionProvider } from './ort';

/** How long one run of a model takes on one execution provider, as timed here. */
export interface LatencyFigure {
  ep: ExecutionProvider;
  /** Timed runs (after the warm-up ones). */
  runs: number;
  warmup: number;
  medianMs: number;
  /** The spread: the 10th and 90th percentile of the timed runs. */
  p10Ms: number;
  p90Ms: number;
}

export const LATENCY_RUNS = 20;
export const LATENCY_WARMUP = 3;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];

/**
 * Times a model as a user runs it: onnxruntime's default optimizations (QDQ pairs become integer kernels
 * where it has them), one input of `dims` (random values), `warmup` untimed runs, then `runs` timed ones.
 * `check` runs between runs, so a cancel takes effect within one run.
 */
export async function timeModel(
  bytes: Uint8Array,
  input: { name: string; dims: number[] },
  o: { ep: ExecutionProvider; runs?: number; warmup?: number; check?: () => Promise<void> },
): Promise<LatencyFigure> {
  const runs = o.runs ?? LATENCY_RUNS;
  const warmup = o.warmup ?? LATENCY_WARMUP;
  const data = Float32Array.from({ length: input.dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const runner = await ModelRunner.create(bytes, { executionProvider: o.ep });
  try {
    const feeds = { [input.name]: { dims: input.dims, data } };
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      await o.check?.();
      const t = performance.now();
      await runner.run(feeds);
      if (i >= warmup) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return {
      ep: o.ep,
      runs,
      warmup,
      medianMs: percentile(times, 0.5),
      p10Ms: percentile(times, 0.1),
      p90Ms: percentile(times, 0.9),
    };
  } finally {
    await runner.release();
  }
}
