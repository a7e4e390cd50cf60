import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convOutputSize, denseGeometry, type ConvGeometry } from '../core/conv-geometry';
import { randomArray, seededRandom } from '../core/random';
import { convGramReference, crossGramReference } from '../core/reference/conv-gram';
import { batchPositions } from '../core/sampling';
import type { GpuContext } from './device';
import { LayerStatistics } from './layer-statistics';
import { createNodeGpuContext } from './node-gpu';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

const conv = (o: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 2,
  channels: 3,
  height: 7,
  width: 9,
  groups: 1,
  kernelH: 3,
  kernelW: 3,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 1,
  padLeft: 1,
  padBottom: 1,
  padRight: 1,
  ...o,
});

/** Post-ReLU inputs: all sums positive, the case where float32 accumulation drifts most. */
function reluInput(g: ConvGeometry, seed: number): Float32Array {
  return randomArray(g.batch * g.channels * g.height * g.width, seed).map((v) => Math.max(0, v + 0.3));
}

/** C and yy: each entry within `tolerance` of sqrt(yy_m * A_kk), the scale Cauchy-Schwarz gives it. */
function expectCrossClose(
  got: { c: Float64Array; yy: Float64Array },
  ref: { c: Float64Array; yy: Float64Array },
  a: Float64Array[],
  m: number,
  n: number,
) {
  for (let r = 0; r < m; r++) {
    expect(Math.abs(got.yy[r] - ref.yy[r])).toBeLessThanOrEqual(1e-5 * ref.yy[r]);
    const ga = a[Math.floor(r / (m / a.length))];
    for (let k = 0; k < n; k++) {
      const scale = Math.sqrt(ref.yy[r] * ga[k * n + k]);
      const diff = Math.abs(got.c[r * n + k] - ref.c[r * n + k]);
      if (!(diff <= 1e-4 * scale)) throw new Error(`C[${r},${k}] = ${got.c[r * n + k]}, float64 gives ${ref.c[r * n + k]}`);
    }
  }
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
  const acc = new LayerStatistics(ctx, geometry);
  for (const x of batches) await acc.add(x, batch);
  const result = await acc.readGram();
  acc.destroy();
  return result;
}

const cases: [string, ConvGeometry][] = [
  ['3x3, padding 1', conv({})],
  [
    'stride 2, asymmetric padding, dilation 2, N = 45',
    conv({
      channels: 5,
      strideH: 2,
      strideW: 2,
      dilationH: 2,
      dilationW: 2,
      padTop: 1,
      padLeft: 0,
      padBottom: 2,
      padRight: 1,
      height: 11,
      width: 8,
    }),
  ],
  [
    '2 groups, 2 x 3 kernel, no padding',
    conv({ channels: 6, groups: 2, kernelH: 2, kernelW: 3, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }),
  ],
  [
    'depthwise 3x3, dilation 2, padding 2',
    conv({ channels: 8, groups: 8, dilationH: 2, dilationW: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2 }),
  ],
  [
    '1x1 conv, stride 2, odd channels',
    conv({ channels: 13, kernelH: 1, kernelW: 1, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 }),
  ],
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
    for (let k = 18; k < 27; k++)
      for (let s = 0; s < n; s++) {
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
    const acc = new LayerStatistics(ctx, geometry);
    await expect(acc.add(new Float32Array(10), 2)).rejects.toThrowError(
      'layer statistics: input has 10 values; a batch of 2 x 3 x 7 x 9 needs 378.',
    );
    expect(() => new LayerStatistics(ctx, { ...geometry, groups: 2 })).toThrowError(/3 channels do not split into 2 groups/);
    acc.destroy();
  });
});

describe('C = Y^T X and diag(Y^T Y) on WebGPU equal their float64 reference', () => {
  const crossCases: [string, ConvGeometry, number][] = [
    ['3x3 conv, M = 6', conv({}), 6],
    ['stride 2, dilation 2, asymmetric padding, M = 9', cases[1][1], 9],
    ['2 groups, M = 10', cases[2][1], 10],
    ['depthwise, M = 8', cases[3][1], 8],
    ['dense, M = 5', denseGeometry(37, 19), 5],
  ];

  it.each(crossCases)('%s', async (_name, g, m) => {
    const x = reluInput(g, 21);
    const { outH, outW } = convOutputSize(g);
    const y = randomArray(g.batch * m * outH * outW, 22);
    const { batch, ...geometry } = g;
    const stats = new LayerStatistics(ctx, geometry, { rows: m });
    await stats.add(x, batch, y);
    const a = await stats.readGram();
    const n = Math.sqrt(a[0].length);
    expectCrossClose(await stats.readCross(), crossGramReference(x, y, m, g), convGramReference(x, g), m, n);
    stats.destroy();
  });

  it('sampling visits the seeded positions, the same ones however the images are batched', async () => {
    const g = conv({ batch: 4, channels: 4, groups: 2, height: 10, width: 10 });
    const m = 6;
    const x = reluInput(g, 8);
    const y = randomArray(g.batch * m * 100, 9);
    const { batch: _b, ...geometry } = g;
    const one = new LayerStatistics(ctx, geometry, { rows: m, positionsPerImage: 17, seed: 5 });
    await one.add(x, 4, y);
    const two = new LayerStatistics(ctx, geometry, { rows: m, positionsPerImage: 17, seed: 5 });
    await two.add(x.subarray(0, 2 * 400), 2, y.subarray(0, 2 * 600));
    await two.add(x.subarray(2 * 400), 2, y.subarray(2 * 600));
    expect(one.positions).toBe(4 * 17);
    const only = batchPositions(100, 4, 17, 5, 0);
    const refA = convGramReference(x, g, only);
    expectClose(await one.readGram(), refA, 18);
    expectClose(await two.readGram(), refA, 18);
    expectCrossClose(await two.readCross(), crossGramReference(x, y, m, g, only), refA, m, 18);
    one.destroy();
    two.destroy();
  });
});

it('the seeded generator is deterministic', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  expect([a(), a(), a()]).toEqual([b(), b(), b()]);
});
