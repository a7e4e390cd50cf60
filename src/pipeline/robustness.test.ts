import { describe, expect, it } from 'vitest';
import { mixedLayersModel } from '../testing/fixtures';
import { findLayers } from '../core/layers';
import { GraphView } from '../core/onnx/graph';
import { makeValueInfo } from '../core/onnx/builder';
import { DataType } from '../core/onnx/tensor';
import { randomArray } from '../core/random';
import { runJob } from './job';
import { DEFAULT_JOB } from './job-config';
import { cpuBackend } from './solver-backend';

describe('weights that are all zero', () => {
  it('quantize to zero codes with finite errors and scales, and the rest of the model is solved as usual', async () => {
    const model = mixedLayersModel();
    model.graph!.initializer.find((t) => t.name === 'proj.weight')!.rawData = new Uint8Array(24 * 4);
    const graph = new GraphView(model);
    const { layers } = findLayers(graph);
    const images = { count: 8, dims: [3, 9, 11], image: (i: number) => randomArray(297, 100 + i), label: () => null };
    const result = await runJob(
      graph,
      layers,
      images,
      images,
      { ...DEFAULT_JOB, wbits: 3, calibImages: 8, firstLastBits: 3 },
      { backend: cpuBackend },
    );
    const proj = result.layers.find((l) => l.name === 'proj')!;
    expect(Array.from(result.codes.get(3)!.codes).every((c) => c === 0)).toBe(true);
    expect(Array.from(result.weights.get(3)!).every((w) => w === 0)).toBe(true);
    for (const l of result.layers) {
      expect(Number.isFinite(l.relOutputError)).toBe(true);
      expect(l.activation === null || Number.isFinite(l.activation.scale)).toBe(true);
    }
    expect(proj.relOutputError).toBe(0);
    expect(result.metrics!.agreement).toBeGreaterThanOrEqual(0);
  });
});

describe('a model that computes in float16', () => {
  it('is refused with what to do, before any work', async () => {
    const model = mixedLayersModel();
    model.graph!.input[0] = makeValueInfo('image', ['batch', 3, 9, 11], DataType.FLOAT16);
    const graph = new GraphView(model);
    const images = { count: 1, dims: [3, 9, 11], image: () => new Float32Array(297), label: () => null };
    await expect(
      runJob(graph, findLayers(graph).layers, images, null, DEFAULT_JOB, { backend: cpuBackend }),
    ).rejects.toThrowError(
      'The model\'s input "image" is FLOAT16; the studio quantizes models that compute in float32. Convert it to float32 first (e.g. onnxconverter-common\'s float16 tools), then open it again.',
    );
  });
});
