import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureCases } from '../testing/fixtures';
import { addZeroBiases } from '../core/onnx/explicit-bias';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { randomArray } from '../core/random';
import { ModelRunner } from './ort';

const demoBytes = () => new Uint8Array(readFileSync(new URL('../../public/demo/model.onnx', import.meta.url)));

const cases: [string, () => Uint8Array, Record<string, number[]>][] = [
  ['demo', demoBytes, { image: [2, 1, 28, 28] }],
  ...fixtureCases.map(([name, model, shapes]) => [name, () => encodeModel(model()), shapes] as (typeof cases)[number]),
];

describe.each([
  ['re-encoded', (m: ReturnType<typeof decodeModel>) => m],
  ['given zero biases where its layers have none', addZeroBiases],
])('a model %s runs in onnxruntime exactly as the original', (_how, change) => {
  it.each(cases)('%s', async (_name, bytes, shapes) => {
    const original = bytes();
    const reencoded = encodeModel(change(decodeModel(original)));
    const feeds = Object.fromEntries(
      Object.entries(shapes).map(([name, dims], i) => [
        name,
        {
          dims,
          data: randomArray(
            dims.reduce((a, b) => a * b),
            100 + i,
          ),
        },
      ]),
    );
    const [a, b] = await Promise.all([ModelRunner.create(original), ModelRunner.create(reencoded)]);
    const [outA, outB] = await Promise.all([a.run(feeds), b.run(feeds)]);
    for (const name of a.outputNames) {
      expect(outB[name].dims).toEqual(outA[name].dims);
      // A zero bias may turn -0 into +0 and nothing else.
      expect(outB[name].data.every((v, i) => v === outA[name].data[i])).toBe(true);
      expect(outA[name].data.every(Number.isFinite)).toBe(true);
    }
  });
});
