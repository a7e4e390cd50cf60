import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureCases } from '../core/fixtures';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { randomArray } from '../core/random';
import { ModelRunner } from './ort';

const demoBytes = () => new Uint8Array(readFileSync(new URL('../../public/demo/model.onnx', import.meta.url)));

const cases: [string, () => Uint8Array, Record<string, number[]>][] = [
  ['demo', demoBytes, { image: [2, 1, 28, 28] }],
  ...fixtureCases.map(([name, model, shapes]) => [name, () => encodeModel(model()), shapes] as (typeof cases)[number]),
];

describe('a re-encoded model runs in onnxruntime exactly as the original', () => {
  it.each(cases)('%s', async (_name, bytes, shapes) => {
    const original = bytes();
    const reencoded = encodeModel(decodeModel(original));
    const feeds = Object.fromEntries(
      Object.entries(shapes).map(([name, dims], i) => [name, { dims, data: randomArray(dims.reduce((a, b) => a * b), 100 + i) }]),
    );
    const [a, b] = await Promise.all([ModelRunner.create(original), ModelRunner.create(reencoded)]);
    const [outA, outB] = await Promise.all([a.run(feeds), b.run(feeds)]);
    for (const name of a.outputNames) {
      expect(outB[name].dims).toEqual(outA[name].dims);
      expect(Array.from(outB[name].data)).toEqual(Array.from(outA[name].data));
      expect(outA[name].data.every(Number.isFinite)).toBe(true);
    }
  });
});
