import type { LayerInfo } from '../core/layers';
import type { GraphView } from '../core/onnx/graph';
import { encodeModel, type ModelProto } from '../core/onnx/model-io';
import { pruneToOutputs } from '../core/onnx/prune';
import {
  biasInputName,
  buildSimulationModel,
  perChannel,
  weightInputName,
  type QuantizerSite,
  type QuantizerValue,
} from '../core/onnx/sim-graph';
import { storedBias } from '../core/layer-weights';
import type { LayerBias } from '../core/quant/bias';
import { ModelRunner, type ExecutionProvider, type Feeds, type FixedBatch, type Outputs } from '../runtime/ort';
import { fixedBatchOf } from '../core/model-input';

/** An activation quantizer as the simulation feeds it; `on` false leaves the tensor float. */
export type LiveQuantizer = QuantizerValue & { on: boolean };

/** What a quantized run feeds in place of the float model's. */
export interface SimulatorState {
  /** Quantized weights per layer (model layout, codes x scale). */
  weights: Map<number, Float32Array>;
  /** Biases the job changed: int32-rounded where the layer's input and weight are quantized, and bias-corrected ones. */
  biases: Map<number, LayerBias>;
  quantizers: Map<string, LiveQuantizer>;
}

/** Sessions kept at once: the job alternates between two output sets per layer. */
const SESSIONS_KEPT = 4;

/**
 * onnxruntime sessions over the simulation graph; weights and quantizers are inputs. The job moves
 * layers from float to quantized by changing what it feeds, never by rebuilding a session. A session
 * holds only what the outputs it was made for depend on (onnxruntime runs every node of a session), so
 * fetching an early layer's input costs the layers before it, not the whole model.
 */
export class Simulator {
  private quantizers = new Map<string, LiveQuantizer>();
  private weights = new Map<number, Float32Array>();
  private biases = new Map<number, LayerBias>();

  private readonly sessions = new Map<string, Promise<ModelRunner>>();

  private constructor(
    private readonly model: ModelProto,
    private readonly inputName: string,
    private readonly layers: LayerInfo[],
    private readonly floatWeights: Map<number, Float32Array>,
    private readonly floatBiases: Map<number, Float32Array>,
    private readonly sites: QuantizerSite[],
    private readonly executionProvider: ExecutionProvider,
    private readonly fixedBatch: FixedBatch | null,
  ) {}

  /** `probes`: tensors besides the layers' inputs and outputs that runs may fetch. */
  static async create(
    graph: GraphView,
    layers: LayerInfo[],
    sites: QuantizerSite[],
    floatWeights: Map<number, Float32Array>,
    probes: string[] = [],
    executionProvider: ExecutionProvider = 'wasm',
  ): Promise<Simulator> {
    const all = [...new Set([...layers.flatMap((l) => [l.input, l.output]), ...probes])];
    const model = buildSimulationModel(graph, layers, sites, { live: true, probes: all });
    // Fails here, not at the first run, when onnxruntime cannot load the graph.
    await (await ModelRunner.create(encodeModel(model), { executionProvider })).release();
    const fixedBatch = fixedBatchOf(graph.inputs);
    const floatBiases = new Map(
      layers.flatMap((l) => {
        const b = storedBias(graph, l);
        return b ? [[l.index, b] as const] : [];
      }),
    );
    return new Simulator(model, graph.inputs[0].name, layers, floatWeights, floatBiases, sites, executionProvider, fixedBatch);
  }

  /** A layer's quantized weights; null: its float weights again. */
  setWeights(layer: number, weights: Float32Array | null): void {
    if (weights) this.weights.set(layer, weights);
    else this.weights.delete(layer);
  }

  setBias(layer: number, bias: LayerBias): void {
    this.biases.set(layer, bias);
  }

  setQuantizer(tensor: string, quantizer: LiveQuantizer): void {
    this.quantizers.set(tensor, quantizer);
  }

  quantizer(tensor: string): LiveQuantizer | undefined {
    return this.quantizers.get(tensor);
  }

  /** Copies of everything set so far: what a job's result keeps. */
  state(): SimulatorState {
    return { weights: new Map(this.weights), biases: new Map(this.biases), quantizers: new Map(this.quantizers) };
  }

  /** Replaces what the parts name (a whole quantized model, or one quantizer alone). */
  load(parts: Partial<SimulatorState>): void {
    if (parts.weights) this.weights = new Map(parts.weights);
    if (parts.biases) this.biases = new Map(parts.biases);
    if (parts.quantizers) this.quantizers = new Map(parts.quantizers);
  }

  /** Runs a batch: 'float' is the original model; 'quantized' uses the weights and quantizers set so far. */
  async run(input: { data: Float32Array; dims: number[] }, mode: 'float' | 'quantized', outputs: string[]): Promise<Outputs> {
    const feeds: Feeds = { [this.inputName]: input };
    for (const layer of this.layers) {
      const w = (mode === 'quantized' && this.weights.get(layer.index)) || this.floatWeights.get(layer.index)!;
      feeds[weightInputName(layer)] = { dims: layer.weightShape, data: w };
      const b = (mode === 'quantized' && this.biases.get(layer.index)?.values) || this.floatBiases.get(layer.index);
      if (b) feeds[biasInputName(layer)] = { dims: [layer.m], data: b };
    }
    for (const site of this.sites) {
      const q = this.quantizers.get(site.tensor);
      const on = mode === 'quantized' && q?.on === true;
      const prefix = `bitsplit.q.${site.tensor}`;
      const size = site.scaleShape.reduce((a, b) => a * b, 1);
      feeds[`${prefix}.scale`] = { dims: site.scaleShape, data: on ? q!.scale : new Float32Array(size).fill(1) };
      feeds[`${prefix}.qmin`] = {
        dims: site.scaleShape,
        data: on ? perChannel(q!.qmin, size) : new Float32Array(size).fill(-3e38),
      };
      feeds[`${prefix}.qmax`] = {
        dims: site.scaleShape,
        data: on ? perChannel(q!.qmax, size) : new Float32Array(size).fill(3e38),
      };
      feeds[`${prefix}.on`] = { dims: [], data: Float32Array.of(on ? 1 : 0) };
    }
    const runner = await this.session(outputs);
    const needed = new Set(runner.inputNames);
    return runner.run(Object.fromEntries(Object.entries(feeds).filter(([name]) => needed.has(name))), outputs);
  }

  private session(outputs: string[]): Promise<ModelRunner> {
    const key = JSON.stringify([...outputs].sort());
    let runner = this.sessions.get(key);
    if (runner) {
      this.sessions.delete(key);
    } else {
      runner = ModelRunner.create(encodeModel(pruneToOutputs(this.model, outputs)), {
        executionProvider: this.executionProvider,
        fixedBatch: this.fixedBatch,
      });
      runner.catch(() => this.sessions.delete(key));
    }
    this.sessions.set(key, runner);
    for (const [oldest, evicted] of this.sessions) {
      if (this.sessions.size <= SESSIONS_KEPT) break;
      this.sessions.delete(oldest);
      void evicted.then(
        (r) => r.release(),
        () => undefined,
      );
    }
    return runner;
  }

  async release(): Promise<void> {
    const runners = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(
      runners.map((r) =>
        r.then(
          (s) => s.release(),
          () => undefined,
        ),
      ),
    );
  }
}
