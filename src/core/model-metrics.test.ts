import { describe, expect, it } from 'vitest';
import { ModelMetricsAccumulator } from './model-metrics';

const t = (dims: number[], values: number[]) => ({ dims, data: Float32Array.from(values) });

describe('model metrics on every output', () => {
  const declared = [
    { name: 'scores', elemType: 'FLOAT', dims: [1, 2, 1] },
    { name: 'boxes', elemType: 'FLOAT', dims: [1, 2, 2] },
  ];

  it('per output: SQNR, cosine and the largest difference; the whole model pools every output; a detector has no class figures', () => {
    const m = new ModelMetricsAccumulator(declared);
    m.add(
      { scores: t([1, 2, 1], [3, 4]), boxes: t([1, 2, 2], [1, 0, 0, 1]) },
      { scores: t([1, 2, 1], [3, 4.5]), boxes: t([1, 2, 2], [1, 0, 0, 1]) },
      [null],
    );
    m.add(
      { scores: t([1, 2, 1], [0, 0]), boxes: t([1, 2, 2], [2, 0, 0, 0]) },
      { scores: t([1, 2, 1], [0, 0]), boxes: t([1, 2, 2], [2, 0, 0, 0.5]) },
      [3],
    );
    const r = m.result();
    expect(r.images).toBe(2);
    const [scores, boxes] = r.outputs;
    expect(scores).toMatchObject({ name: 'scores', shape: [1, 2, 1], maxAbsDiff: 0.5 });
    expect(scores.sqnrDb).toBeCloseTo(10 * Math.log10(25 / 0.25), 9);
    expect(scores.cosine).toBeCloseTo((9 + 18) / Math.sqrt(25 * (9 + 20.25)), 9);
    expect(boxes.sqnrDb).toBeCloseTo(10 * Math.log10(6 / 0.25), 9);
    expect(r.sqnrDb).toBeCloseTo(10 * Math.log10(31 / 0.5), 9);
    expect(r.agreement).toBeUndefined();
    expect(r.top1).toBeUndefined();
    expect(r.labelsNote).toBe('1 labelled images: labels ignored, as no output of the model reads as class scores ([N, C]).');
  });

  it('an [N, C] output gets agreement and KL; labels beyond its classes are ignored with a note, never refused', () => {
    const logits = [{ name: 'logits', elemType: 'FLOAT', dims: ['N', 3] }];
    const fit = new ModelMetricsAccumulator(logits);
    fit.add({ logits: t([2, 3], [1, 0, 0, 0, 2, 0]) }, { logits: t([2, 3], [1, 0, 0, 0, 0, 3]) }, [0, 1]);
    expect(fit.result()).toMatchObject({ agreement: 50, top1: 50, top1Float: 100, top5: 100 });
    expect(fit.result().outputs[0].agreement).toBe(50);
    const beyond = new ModelMetricsAccumulator(logits);
    beyond.add({ logits: t([2, 3], [1, 0, 0, 0, 2, 0]) }, { logits: t([2, 3], [1, 0, 0, 0, 0, 3]) }, [0, 7]);
    const r = beyond.result();
    expect(r.agreement).toBe(50);
    expect(r.top1).toBeUndefined();
    expect(r.labelsNote).toBe("1 of 2 labels name a class beyond the model's 3 (0..2): labels ignored.");
  });

  it('scores given to the evaluation (a model read as a classifier another way) give the class figures', () => {
    const seq = [{ name: 'probs', elemType: 'FLOAT', dims: ['N', 2, 3] }];
    // Per image: the class with the highest probability over the steps.
    const scores = (x: Float32Array, batch: number) =>
      Float32Array.from({ length: batch * 3 }, (_, i) =>
        Math.max(x[Math.floor(i / 3) * 6 + (i % 3)], x[Math.floor(i / 3) * 6 + 3 + (i % 3)]),
      );
    const m = new ModelMetricsAccumulator(seq, scores);
    m.add({ probs: t([1, 2, 3], [0.1, 0.8, 0.1, 0.9, 0, 0.1]) }, { probs: t([1, 2, 3], [0.1, 0.6, 0.1, 0.8, 0, 0.3]) }, [0]);
    expect(m.result()).toMatchObject({ agreement: 100, top1: 100 });
    expect(m.result().outputs[0].agreement).toBeUndefined();
  });
});
