import * as ort from 'onnxruntime-web';
import { StudioError } from '../core/errors';

export type Feeds = Record<string, { dims: number[]; data: Float32Array }>;
export type Outputs = Record<string, { dims: number[]; data: Float32Array }>;

/**
 * Where onnxruntime runs the forward passes: 'wasm' on the CPU (the same numbers everywhere), 'webgpu' on the
 * GPU (browsers only: onnxruntime-web's Node build has no WebGPU EP). Float sums in a different order, so
 * the two agree to rounding, not bit for bit.
 */
export type ExecutionProvider = 'wasm' | 'webgpu';

export interface RuntimeOptions {
  /** Browser builds set this to where the ORT wasm files are served; Node finds them itself. */
  wasmPaths?: string;
  threads?: number;
}

export function configureRuntime(options: RuntimeOptions): void {
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  if (options.threads !== undefined) ort.env.wasm.numThreads = options.threads;
}

/** An image input whose batch the model fixes: every run feeds it exactly `size` images. */
export interface FixedBatch {
  input: string;
  size: number;
}

export interface RunnerOptions {
  optimization?: 'disabled' | 'all';
  executionProvider?: ExecutionProvider;
  /**
   * The model fixes its input's batch: a run of any other count is fed in chunks of `size` (the last one
   * padded with copies of its last image), and outputs are put back together along their batch axis.
   */
  fixedBatch?: FixedBatch | null;
}

/** An onnxruntime session, on the wasm EP unless told otherwise. */
export class ModelRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly fixedBatch: FixedBatch | null,
  ) {}

  /**
   * `optimization: 'disabled'` runs the graph exactly as written; onnxruntime's default ('all') may fold
   * BatchNormalization into constant weights and run QDQ patterns with integer kernels, which round differently.
   */
  static async create(bytes: Uint8Array, options: RunnerOptions = {}): Promise<ModelRunner> {
    const provider = options.executionProvider ?? 'wasm';
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        logSeverityLevel: 3,
        graphOptimizationLevel: options.optimization ?? 'all',
      });
      return new ModelRunner(session, options.fixedBatch ?? null);
    } catch (e) {
      // onnxruntime's own words without its error codes: "Can't create a session. ERROR_CODE: 1, ERROR_MESSAGE: <reason>".
      const raw = e instanceof Error ? e.message : String(e);
      const reason = (/ERROR_MESSAGE: ([\s\S]*)$/.exec(raw)?.[1] ?? raw).trim().replace(/\.$/, '');
      if (provider === 'webgpu') {
        // A model the wasm EP loads may still fail here: no WebGPU, or an op the WebGPU EP lacks.
        throw new StudioError(
          'GpuUnavailableError',
          `onnxruntime's WebGPU execution provider could not load the model: ${reason}. Choose Compute: CPU to run it on onnxruntime's wasm EP.`,
        );
      }
      throw new StudioError('OnnxFormatError', `onnxruntime could not load the model: ${reason}.`);
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, outputNames?: string[]): Promise<Outputs> {
    const fixed = this.fixedBatch;
    const images = fixed ? feeds[fixed.input] : undefined;
    if (!fixed || !images || images.dims[0] === fixed.size) return this.runAsIs(feeds, outputNames);
    const count = images.dims[0];
    const per = images.data.length / Math.max(1, count);
    const parts: Outputs[] = [];
    for (let start = 0; start < count; start += fixed.size) {
      const data = new Float32Array(fixed.size * per);
      for (let k = 0; k < fixed.size; k++) {
        const from = Math.min(start + k, count - 1) * per;
        data.set(images.data.subarray(from, from + per), k * per);
      }
      parts.push(
        await this.runAsIs({ ...feeds, [fixed.input]: { dims: [fixed.size, ...images.dims.slice(1)], data } }, outputNames),
      );
    }
    return joinBatches(parts, fixed.size, count);
  }

  private async runAsIs(feeds: Feeds, outputNames?: string[]): Promise<Outputs> {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, { dims, data }] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', data, dims);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(inputs, outputNames ?? [...this.session.outputNames]);
    } catch (e) {
      throw runFailure(feeds, this.fixedBatch, e);
    }
    const out: Outputs = {};
    for (const [name, t] of Object.entries(results)) {
      out[name] = { dims: [...t.dims], data: t.data as Float32Array };
      t.dispose();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Outputs of runs of `size` images each, the first `count` images of them along each output's batch axis (its first). */
function joinBatches(parts: Outputs[], size: number, count: number): Outputs {
  const out: Outputs = {};
  for (const name of Object.keys(parts[0])) {
    const { dims } = parts[0][name];
    if (dims[0] !== size) {
      throw new StudioError(
        'UnsupportedModelError',
        `The model fixes its batch at ${size}, but its tensor "${name}" ${JSON.stringify(dims)} has no batch axis first, so images cannot be fed ${size} at a time; export the model with a batch of ${size} on that tensor's first axis, or with a dynamic batch.`,
      );
    }
    const per = parts[0][name].data.length / size;
    const data = new Float32Array(count * per);
    parts.forEach((p, i) => data.set(p[name].data.subarray(0, Math.min(size, count - i * size) * per), i * size * per));
    out[name] = { dims: [count, ...dims.slice(1)], data };
  }
  return out;
}

/** A failed run in the studio's words: what was fed, and what to check; onnxruntime's own text stays in the stack. */
function runFailure(feeds: Feeds, fixed: FixedBatch | null, e: unknown): StudioError {
  const image = (fixed && feeds[fixed.input]) || Object.values(feeds).find((f) => f.dims.length === 4);
  const fed = image ? ` on images shaped ${JSON.stringify(image.dims)}` : '';
  const error = new StudioError(
    'OnnxRuntimeError',
    `onnxruntime could not run the model${fed}. Check the input size and layout beside the preview (the model may expect another size or NCHW/NHWC), then run again.`,
  );
  error.stack = `${error.name}: ${error.message}\n    caused by: ${e instanceof Error ? e.message : String(e)}`;
  return error;
}
