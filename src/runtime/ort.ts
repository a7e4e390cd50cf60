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

/** An onnxruntime session, on the wasm EP unless told otherwise. */
export class ModelRunner {
  private constructor(private readonly session: ort.InferenceSession) {}

  /**
   * `optimization: 'disabled'` runs the graph exactly as written; onnxruntime's default ('all') may fold
   * BatchNormalization into constant weights and run QDQ patterns with integer kernels, which round differently.
   */
  static async create(bytes: Uint8Array, options: { optimization?: 'disabled' | 'all'; executionProvider?: ExecutionProvider } = {}): Promise<ModelRunner> {
    const provider = options.executionProvider ?? 'wasm';
    try {
      return new ModelRunner(await ort.InferenceSession.create(bytes, { executionProviders: [provider], logSeverityLevel: 3, graphOptimizationLevel: options.optimization ?? 'all' }));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      if (provider === 'webgpu') {
        // A model the wasm EP loads may still fail here: no WebGPU, or an op the WebGPU EP lacks.
        throw new StudioError('GpuUnavailableError', `onnxruntime's WebGPU execution provider could not load the model: ${reason}. Choose Compute: CPU to run it on onnxruntime's wasm EP.`);
      }
      throw new StudioError('OnnxFormatError', `onnxruntime could not load the model: ${reason}`);
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, outputNames?: string[]): Promise<Outputs> {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, { dims, data }] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', data, dims);
    const results = await this.session.run(inputs, outputNames ?? [...this.session.outputNames]);
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
