import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denseGeometry, type ConvGeometry } from '../../core/conv-geometry';
import { randomArray, seededRandom } from '../../core/random';
import { convGramReference } from '../../core/reference/conv-gram';
import { createGpuContext, type GpuContext } from '../device';
import { getNodeGpu } from '../node-gpu';
import { ConvGramAccumulator } from './conv-gram';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createGpuContext(getNodeGpu());
});
afterAll(() => ctx?.destroy());

const conv = (o: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 2, channels: 3, height: 7, width: 9, groups: 1, kernelH: 3, kernelW: 3,
  strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, ...o,
});

/** Post-ReLU inputs: all sums positive, the case where float32 accumulation drifts most. */
function reluInput(g: ConvGeometry, seed: number): Float32Array {
  return randomArray(g.batch * g.channels * g.height * g.width, seed).map((v) => Math.max(0, v + 0.3));
}

function expectClose(actual: Float64Array[], expected: Float64Array[], n: number, tolerance = 1e-4) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((ref, group) => {
    const got = actual[group];
    for (let r = 0; r < n; r++) {
      for (let s = 0; s < n; s++) {
        // Relative to the entry's natural scale sqrt(A_rr A_ss): an all-zero column must stay exactly 0.
        const scale = Math.sqrt(ref[r * n + r] * ref[s * n + s]);
        const diff = Math.abs(got[r * n + s] - ref[r * n + s]);
        if (!(diff <= tolerance * scale)) {
          throw new Error(`group ${group} A[${r},${s}] = ${got[r * n + s]}, float64 gives ${ref[r * n + s]} (scale ${scale})`);
        }
      }
    }
  });
}

async function gram(g: ConvGeometry, batches: Float32Array[]): Promise<Float64Array[]> {
  const { batch, ...geometry } = g;
  const acc = new ConvGramAccumulator(ctx, geometry);
  for (const x of batches) await acc.add(x, batch);
  const result = await acc.read();
  acc.destroy();
  return result;
}

const cases: [string, ConvGeometry][] = [
  ['3x3, padding 1', conv({})],
  ['stride 2, asymmetric padding, dilation 2, N = 45', conv({ channels: 5, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2, padTop: 1, padLeft: 0, padBottom: 2, padRight: 1, height: 11, width: 8 })],
  ['2 groups, 2 x 3 kernel, no padding', conv({ channels: 6, groups: 2, kernelH: 2, kernelW: 3, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 })],
  ['depthwise 3x3, dilation 2, padding 2', conv({ channels: 8, groups: 8, dilationH: 2, dilationW: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2 })],
  ['1x1 conv, stride 2, odd channels', conv({ channels: 13, kernelH: 1, kernelW: 1, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 })],
  ['dense layer, 37 rows of 19 features', denseGeometry(37, 19)],
];

describe('conv-gram on WebGPU equals its float64 reference', () => {
  it.each(cases)('%s', async (_name, g) => {
    const x = reluInput(g, 11);
    const expected = convGramReference(x, g);
    expectClose(await gram(g, [x]), expected, expected.length ? Math.sqrt(expected[0].length) : 0);
  });

  it('a channel of zeros gives zero rows and columns, exactly', async () => {
    const g = conv({ channels: 4, padTop: 0, padLeft: 2, padBottom: 1, padRight: 0 });
    const x = reluInput(g, 5);
    const plane = g.height * g.width;
    for (let b = 0; b < g.batch; b++) x.fill(0, (b * g.channels + 2) * plane, (b * g.channels + 3) * plane);
    const [a] = await gram(g, [x]);
    const n = 36;
    for (let k = 18; k < 27; k++) for (let s = 0; s < n; s++) {
      expect(a[k * n + s]).toBe(0);
      expect(a[s * n + k]).toBe(0);
    }
    expectClose([a], convGramReference(x, g), n);
  });

  it('streams batches: three batches sum to the Gram matrix of all of them', async () => {
    const g = conv({ channels: 2, groups: 2, batch: 3 });
    const batches = [1, 2, 3].map((seed) => reluInput(g, seed));
    const all = new Float32Array(batches.reduce((n, b) => n + b.length, 0));
    batches.forEach((b, i) => all.set(b, i * b.length));
    expectClose(await gram(g, batches), convGramReference(all, { ...g, batch: 9 }), 9);
  });

  it('keeps the error below 1e-4 over 10^5 patches', async () => {
    const g = conv({ batch: 25, channels: 4, height: 64, width: 64 });
    const x = reluInput(g, 3);
    const expected = convGramReference(x, g);
    expectClose(await gram(g, [x]), expected, 36, 1e-5);
  });

  it('refuses an input whose size does not match, saying what it expected', async () => {
    const { batch: _b, ...geometry } = conv({});
    const acc = new ConvGramAccumulator(ctx, geometry);
    await expect(acc.add(new Float32Array(10), 2)).rejects.toThrowError('conv-gram: input has 10 values; a batch of 2 x 3 x 7 x 9 needs 378.');
    expect(() => new ConvGramAccumulator(ctx, { ...geometry, groups: 2 })).toThrowError(/3 channels do not split into 2 groups/);
    acc.destroy();
  });
});

it('the seeded generator is deterministic', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  expect([a(), a(), a()]).toEqual([b(), b(), b()]);
});
