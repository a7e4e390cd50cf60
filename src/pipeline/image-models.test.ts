import { describe, expect, it } from 'vitest';
import { nhwcDetectorModel, relu6Model, rgbaMapModel } from '../testing/fixtures';
import { readModelFile } from '../core/model-summary';
import { encodeModel } from '../core/onnx/model-io';
import { randomArray } from '../core/random';
import { ModelRunner } from '../runtime/ort';
import { batchOf, type ImageSet } from './images';
import { runJob } from './job';
import { DEFAULT_JOB } from './job-config';
import { measureSensitivity } from './sensitivity';
import { exportQuantizedModel, simulatedQuantizedModel } from './report';
import { cpuBackend } from './solver-backend';
import { scoreExport, verifyExport } from './verify-export';

/** Images as a folder of labelled files gives them (labels 0..9), for models that are not 10-class classifiers. */
const images = (count: number, dims: number[], seed: number): ImageSet => {
  const per = dims.reduce((a, b) => a * b, 1);
  return { count, dims, image: (i) => randomArray(per, seed + i, 1).map(Math.abs), label: (i) => i % 10 };
};

describe('a model that fixes its batch at 1', () => {
  it('is fed any number of images one at a time, the outputs put back together, the same as single runs', async () => {
    const bytes = encodeModel(nhwcDetectorModel());
    const set = images(5, [16, 16, 3], 1);
    const b = batchOf(set, 0, 5);
    const runner = await ModelRunner.create(bytes, { fixedBatch: { input: 'image', size: 1 } });
    const all = await runner.run({ image: { dims: [5, 16, 16, 3], data: b.data } });
    expect(all.scores.dims).toEqual([5, 128, 1]);
    expect(all.boxes.dims).toEqual([5, 128, 4]);
    for (let i = 0; i < 5; i++) {
      const one = await runner.run({ image: { dims: [1, 16, 16, 3], data: set.image(i) } });
      expect(Array.from(all.boxes.data.subarray(i * 512, (i + 1) * 512))).toEqual(Array.from(one.boxes.data));
    }
    await runner.release();
    // Without it, onnxruntime's refusal arrives in the studio's words; its own text stays out of the message.
    const plain = await ModelRunner.create(bytes);
    const failure = plain.run({ image: { dims: [5, 16, 16, 3], data: b.data } });
    await expect(failure).rejects.toMatchObject({ name: 'OnnxRuntimeError' });
    await expect(failure).rejects.toThrowError(
      'onnxruntime could not run the model on images shaped [5,16,16,3]. Check the input size and layout beside the preview (the model may expect another size or NCHW/NHWC), then run again.',
    );
    await plain.release();
  });
});

describe('a TF-exported detector: NHWC, batch fixed at 1, two outputs', () => {
  it('quantizes at W8A8, is measured per output (no classifier figures; its labels ignored with a note), and its export runs and matches', async () => {
    const model = nhwcDetectorModel();
    const { graph, summary } = await readModelFile(encodeModel(model), 'detector.onnx');
    const calib = images(12, [16, 16, 3], 100);
    const scored = images(9, [16, 16, 3], 200);
    const result = await runJob(
      graph,
      summary.layers,
      calib,
      scored,
      { ...DEFAULT_JOB, wbits: 8, abits: 8, calibImages: 12, batchSize: 4 },
      { backend: cpuBackend },
    );
    const m = result.metrics!;
    expect(m.images).toBe(9);
    expect(m.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['scores', [1, 128, 1]],
      ['boxes', [1, 128, 4]],
    ]);
    for (const o of m.outputs) {
      expect(o.sqnrDb).toBeGreaterThan(25);
      expect(o.cosine).toBeGreaterThan(0.99);
      expect(o.maxAbsDiff).toBeGreaterThan(0);
      expect(o.agreement).toBeUndefined();
    }
    expect(m.sqnrDb).toBeGreaterThan(25);
    expect(m.agreement).toBeUndefined();
    expect(m.top1).toBeUndefined();
    expect(m.labelsNote).toMatch(/^9 labelled images: labels ignored/);
    const bytes = exportQuantizedModel(graph, summary.layers, result, {
      format: 'int8',
      sourceSha256: summary.sha256,
      configLink: '#c=',
    });
    const check = await verifyExport(bytes, simulatedQuantizedModel(graph, summary.layers, result), calib, graph);
    expect(check.images).toBe(8);
    expect(check.maxRelativeDifference).toBeLessThan(1e-4);
    const own = await scoreExport(bytes, encodeModel(model), scored, graph);
    expect(own.outputs.map((o) => o.name)).toEqual(['scores', 'boxes']);
    expect(own.sqnrDb).toBeGreaterThan(25);
  });
});

describe('sensitivity on a model that fixes its batch at 1', () => {
  it('solves each layer at each bit-width and scores the model on images fed one at a time', async () => {
    const { graph, summary } = await readModelFile(encodeModel(nhwcDetectorModel()), 'detector.onnx');
    const table = await measureSensitivity(
      graph,
      summary.layers,
      images(6, [16, 16, 3], 400),
      images(5, [16, 16, 3], 500),
      { ...DEFAULT_JOB, calibImages: 6, batchSize: 4 },
      { backend: cpuBackend },
      [2, 8],
    );
    expect(table.images).toBe(5);
    expect(table.layers.map((l) => l.cells.length)).toEqual([2, 2, 2, 2]);
    for (const l of table.layers) expect(l.cells[0].relOutputError).toBeGreaterThan(l.cells[1].relOutputError);
  });
});

describe('an RGBA model (M-LSD-like, NHWC [1, 12, 12, 4])', () => {
  it('quantizes and is measured on its map', async () => {
    const { graph, summary } = await readModelFile(encodeModel(rgbaMapModel()), 'rgba.onnx');
    const set = images(6, [12, 12, 4], 300);
    const result = await runJob(
      graph,
      summary.layers,
      set,
      set,
      { ...DEFAULT_JOB, wbits: 4, abits: 8, calibImages: 6 },
      { backend: cpuBackend },
    );
    expect(result.layers.map((l) => l.name)).toEqual(['conv1', 'conv2']);
    expect(result.metrics!.outputs).toHaveLength(1);
    expect(result.metrics!.outputs[0]).toMatchObject({ name: 'map', shape: [1, 2, 6, 6] });
    expect(result.metrics!.sqnrDb).toBeGreaterThan(20);
  });
});

describe('ReLU6 (Clip at 0 and 6) before a quantized input', () => {
  it("keeps the grid within the Clip, so onnxruntime's default optimizations load the export (they reject it when the top level passes 6)", async () => {
    const { graph, summary } = await readModelFile(encodeModel(relu6Model()), 'relu6.onnx');
    const set = { count: 4, dims: [3, 8, 8], image: (i: number) => randomArray(192, 10 + i, 1).map(Math.abs), label: () => null };
    const result = await runJob(
      graph,
      summary.layers,
      set,
      null,
      { ...DEFAULT_JOB, wbits: 8, abits: 8, calibImages: 4 },
      { backend: cpuBackend },
    );
    for (const tensor of ['a1', 'a2']) {
      const q = result.quantizers.get(tensor)!;
      expect(q.qmax[0]).toBe(255);
      expect(Math.fround(q.scale[0] * 255)).toBeLessThanOrEqual(6);
      expect(q.scale[0] * 255).toBeGreaterThan(5.99);
    }
    const bytes = exportQuantizedModel(graph, summary.layers, result, {
      format: 'int8',
      sourceSha256: summary.sha256,
      configLink: '#c=',
    });
    const check = await verifyExport(bytes, simulatedQuantizedModel(graph, summary.layers, result), set, graph);
    expect(check.maxRelativeDifference).toBeLessThan(1e-4);
    expect(check.maxRelativeDifferenceOptimized).toBeLessThan(1e-2);
  });
});
