import { describe, expect, it } from 'vitest';
import { fakeQuantize } from './fake-quantize';

describe('fakeQuantize', () => {
  it('rounds half to even and clips, like the graph', () => {
    const q = { scale: Float32Array.of(0.5), qmin: Float32Array.of(0), qmax: Float32Array.of(3) };
    expect(Array.from(fakeQuantize(Float32Array.of(0.25, 0.75, -1, 9, 1.1), q))).toEqual([0, 1, 0, 1.5, 1]);
  });

  it('quantizes each channel with its own scale, and gives the codes when folded', () => {
    const q = { scale: Float32Array.of(0.5, 2), qmin: Float32Array.of(0), qmax: Float32Array.of(3) };
    const x = Float32Array.of(0.75, 1.25, 3, 9, 0.74, 5);
    // dims [1, 2, 3]: channel 0 is the first three values.
    expect(Array.from(fakeQuantize(x, q, { dims: [1, 2, 3], axis: 1 }))).toEqual([1, 1, 1.5, 6, 0, 4]);
    expect(Array.from(fakeQuantize(x, q, { dims: [1, 2, 3], axis: 1, codes: true }))).toEqual([2, 2, 3, 3, 0, 2]);
    expect(Array.from(fakeQuantize(Float32Array.of(1, 1, 1, 1), q, { dims: [2, 2], axis: -1 }))).toEqual([1, 0, 1, 0]);
  });

  it('clips each channel to its own bounds (a zero point per channel)', () => {
    const q = { scale: Float32Array.of(1, 1), qmin: Float32Array.of(-1, -3), qmax: Float32Array.of(14, 12) };
    expect(Array.from(fakeQuantize(Float32Array.of(-5, 20, -5, 20), q, { dims: [1, 2, 2], axis: 1 }))).toEqual([-1, 14, -3, 12]);
  });
});
