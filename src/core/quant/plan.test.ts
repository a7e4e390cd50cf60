import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../model-summary';
import { affectedLayers, planLayers } from './plan';

describe('which layers a change reaches', () => {
  it("on the demo: the second block's conv2 reaches the last block and the classifier, not its own shortcut", async () => {
    const { graph, summary } = await readModelFile(
      new Uint8Array(readFileSync(new URL('../../../public/demo/model.onnx', import.meta.url))),
      'm',
    );
    const layers = summary.layers;
    expect(layers[4].name).toBe('/stages/stages.1/conv2/Conv');
    expect([...affectedLayers(graph, layers, new Set([4]))].sort()).toEqual([4, 6, 7, 8, 9]);
    const config = { wbits: 4, abits: 8 as const, method: 'bitsplit' as const, firstLastBits: 8, layers: {} };
    const before = planLayers(graph, layers, config).plans;
    // First and last layers default to 8 bits; the shared input of conv1 and the shortcut gets one quantizer.
    expect(before.map((p) => p.bits)).toEqual([8, 4, 4, 4, 4, 4, 4, 4, 4, 8]);
    expect(before[0].input).toBeNull();
    expect(before[3].input?.tensor).toBe(before[5].input?.tensor);
    expect(planLayers(graph, layers, config).sites).toHaveLength(7);
  });
});
