import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../core/model-summary';
import { planLayers } from '../core/quant/plan';
import { reusableLayers } from './rerun';

describe('what a rerun reuses', () => {
  it("on the demo: a change to the second block's conv2 re-solves it and what it reaches, and keeps the rest", async () => {
    const { graph, summary } = await readModelFile(
      new Uint8Array(readFileSync(new URL('../../public/demo/model.onnx', import.meta.url))),
      'm',
    );
    const layers = summary.layers;
    const config = { wbits: 4, abits: 8 as const, method: 'bitsplit' as const, firstLastBits: 8, layers: {} };
    const before = planLayers(graph, layers, config).plans;
    const after = planLayers(graph, layers, { ...config, layers: { '/stages/stages.1/conv2/Conv': { bits: 2 } } }).plans;
    expect([...reusableLayers(graph, before, after)].sort()).toEqual([0, 1, 2, 3, 5]);
    expect([...reusableLayers(graph, before, before)].sort()).toEqual(layers.map((l) => l.index));
  });
});
