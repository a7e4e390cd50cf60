import { readdirSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ModelRunner } from './ort';

const demo = new URL('../../public/demo/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', demo), 'utf8'));

describe('the built-in demo is a real, trained model', () => {
  it('scores its shipped test images as its manifest says, and far above chance', async () => {
    const files = readdirSync(new URL('images/', demo))
      .filter((f) => f.endsWith('.png'))
      .sort();
    expect(files.length).toBe(manifest.images);
    expect(files.length).toBeGreaterThanOrEqual(200);
    const batch = new Float32Array(files.length * 28 * 28);
    const labels = files.map((file, i) => {
      const png = PNG.sync.read(readFileSync(new URL(`images/${file}`, demo)));
      expect([png.width, png.height]).toEqual([28, 28]);
      for (let p = 0; p < 28 * 28; p++) batch[i * 784 + p] = png.data[p * 4] / 255;
      return Number(file.split('_')[0]);
    });
    const runner = await ModelRunner.create(new Uint8Array(readFileSync(new URL('model.onnx', demo))));
    const { logits } = await runner.run({ image: { dims: [files.length, 1, 28, 28], data: batch } });
    let correct = 0;
    labels.forEach((label, i) => {
      const row = logits.data.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === label) correct++;
    });
    expect(correct / files.length).toBeCloseTo(manifest.fp32_top1_images, 3);
    expect(correct / files.length).toBeGreaterThan(0.85);
    await runner.release();
  });
});

describe('a model onnxruntime cannot load', () => {
  it("is refused in one sentence, onnxruntime's reason without its error codes", async () => {
    const { makeModel, makeNode, makeValueInfo } = await import('../core/onnx/builder');
    const { encodeModel } = await import('../core/onnx/model-io');
    const model = makeModel({
      inputs: [makeValueInfo('x', [1, 3])],
      outputs: [makeValueInfo('y', [1, 3])],
      initializers: [],
      nodes: [makeNode('NoSuchOp', ['x'], ['y'])],
    });
    const failure = ModelRunner.create(encodeModel(model));
    await expect(failure).rejects.toMatchObject({ name: 'OnnxFormatError' });
    await expect(failure).rejects.toThrowError(/^onnxruntime could not load the model: [^\n]*NoSuchOp[^\n]*\.$/);
    await expect(failure).rejects.not.toThrowError(/ERROR_CODE|Can't create a session/);
  });
});
