import { describe, expect, it } from 'vitest';
import { fixtureBytes, mixedLayersModel } from '../testing/fixtures';
import { layerWeights } from '../core/layer-weights';
import { readModelFile } from '../core/model-summary';
import { planLayers } from '../core/quant/plan';
import { randomArray } from '../core/random';
import { DEFAULT_JOB } from './job-config';
import { Simulator } from './simulator';

describe("the simulator's sessions cut at the fetched tensors", () => {
  it('give what one run of the whole graph gives, in both modes, however many output sets come and go', async () => {
    const { graph, summary } = await readModelFile(fixtureBytes(mixedLayersModel()), 'mixed.onnx');
    const layers = summary.layers;
    const { sites } = planLayers(graph, layers, { ...DEFAULT_JOB, wbits: 3, abits: 4 });
    const sim = await Simulator.create(
      graph,
      layers,
      sites,
      new Map(layers.map((l) => [l.index, layerWeights(graph, l).original])),
    );
    // Quantize the first layer and its reader's input, so that the modes differ.
    sim.setWeights(
      0,
      layerWeights(graph, layers[0]).original.map((w) => Math.round(w * 4) / 4),
    );
    for (const site of sites)
      sim.setQuantizer(site.tensor, {
        scale: new Float32Array(site.scaleShape.reduce((a, b) => a * b, 1)).fill(0.05),
        qmin: Float32Array.of(-8),
        qmax: Float32Array.of(7),
        on: true,
      });
    const input = { data: randomArray(2 * 3 * 9 * 11, 4), dims: [2, 3, 9, 11] };
    const tensors = [...new Set(layers.flatMap((l) => [l.input, l.output]))];
    expect(tensors.length).toBeGreaterThan(5);
    for (const mode of ['float', 'quantized'] as const) {
      const whole = await sim.run(input, mode, tensors);
      for (const name of [...tensors, ...tensors.slice(0, 2)]) {
        const alone = await sim.run(input, mode, [name]);
        expect(alone[name].dims).toEqual(whole[name].dims);
        expect(Array.from(alone[name].data)).toEqual(Array.from(whole[name].data));
      }
    }
    const float = await sim.run(input, 'float', [layers[1].input]);
    const quantized = await sim.run(input, 'quantized', [layers[1].input]);
    expect(Array.from(quantized[layers[1].input].data)).not.toEqual(Array.from(float[layers[1].input].data));
    await sim.release();
  });
});
