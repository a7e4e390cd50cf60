import type { LayerInfo } from '../core/layers';
import type { GraphView } from '../core/onnx/graph';
import { encodeModel } from '../core/onnx/model-io';
import { biasInputName, buildSimulationModel, weightInputName, type QuantizerSite, type QuantizerValue } from '../core/onnx/sim-graph';
import { storedBias } from '../core/layer-weights';
import type { QuantizedBias } from '../core/quant/bias';
import { ModelRunner, type Feeds, type Outputs } from '../runtime/ort';

/**
 * One onnxruntime session over the simulation graph; weights and quantizers are inputs. The job moves
 * layers from float to quantized by changing what it feeds, never by rebuilding the session.
 */
export class Simulator {
  readonly quantizers = new Map<string, QuantizerValue & { on: boolean }>();
  readonly weights = new Map<number, Float32Array>();
  /** Int32-rounded biases (as their float values) of layers whose input and weight are quantized. */
  readonly biases = new Map<number, QuantizedBias>();

  private constructor(
    private readonly runner: ModelRunner,
    private readonly inputName: string,
    private readonly layers: LayerInfo[],
    private readonly floatWeights: Map<number, Float32Array>,
    private readonly floatBiases: Map<number, Float32Array>,
    private readonly sites: QuantizerSite[],
  ) {}

  static async create(graph: GraphView, layers: LayerInfo[], sites: QuantizerSite[], floatWeights: Map<number, Float32Array>): Promise<Simulator> {
    const probes = [...new Set(layers.flatMap((l) => [l.input, l.output]))];
    const model = buildSimulationModel(graph, layers, sites, { live: true, probes });
    const runner = await ModelRunner.create(encodeModel(model));
    const floatBiases = new Map(layers.flatMap((l) => {
      const b = storedBias(graph, l);
      return b ? [[l.index, b] as const] : [];
    }));
    return new Simulator(runner, graph.inputs[0].name, layers, floatWeights, floatBiases, sites);
  }

  /** Runs a batch: 'float' is the original model; 'quantized' uses the weights and quantizers set so far. */
  run(input: { data: Float32Array; dims: number[] }, mode: 'float' | 'quantized', outputs: string[]): Promise<Outputs> {
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
      feeds[`${prefix}.qmin`] = { dims: [], data: Float32Array.of(on ? q!.qmin : -3e38) };
      feeds[`${prefix}.qmax`] = { dims: [], data: Float32Array.of(on ? q!.qmax : 3e38) };
      feeds[`${prefix}.on`] = { dims: [], data: Float32Array.of(on ? 1 : 0) };
    }
    return this.runner.run(feeds, outputs);
  }

  release(): Promise<void> {
    return this.runner.release();
  }
}
