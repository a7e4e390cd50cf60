import { describe, expect, it } from 'vitest';
import { convOutputSize, denseGeometry, patchLength, type ConvGeometry } from '../core/conv-geometry';
import { randomArray } from '../core/random';
import { convGramReference, crossGramReference } from '../core/reference/conv-gram';
import { batchPositions } from '../core/sampling';
import { cpuBackendWith } from './solver-backend';

const conv = (o: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 3,
  channels: 4,
  height: 9,
  width: 7,
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

/** Post-ReLU inputs with one channel all zero: its rows and columns of A must stay exactly 0. */
function reluInput(g: ConvGeometry, seed: number): Float32Array {
  const x = randomArray(g.batch * g.channels * g.height * g.width, seed).map((v) => Math.max(0, v + 0.3));
  const plane = g.height * g.width;
  for (let b = 0; b < g.batch; b++) x.fill(0, (b * g.channels + 1) * plane, (b * g.channels + 2) * plane);
  return x;
}

const cases: [string, ConvGeometry, number, number | undefined][] = [
  ['3x3, every position, one product per batch', conv({}), 8, undefined],
  [
    'stride 2, dilation 2, asymmetric padding, 6 positions per image, chunks of 2 rows',
    conv({ strideH: 2, strideW: 2, dilationH: 2, dilationW: 2, padTop: 0, padLeft: 2, padBottom: 1, padRight: 0 }),
    8,
    6,
  ],
  ['2 groups, chunks of 5 rows', conv({ groups: 2, kernelH: 1, kernelW: 3, padTop: 0, padBottom: 0 }), 6, 11],
  ['depthwise', conv({ groups: 4 }), 4, undefined],
  ['dense, 37 rows of 19 features', denseGeometry(37, 19), 5, undefined],
];

describe("the CPU backend's sums (onnxruntime MatMul in float32 chunks) equal the float64 references", () => {
  it.each(cases)('%s', async (_name, g, m, count) => {
    const rowsPerChunk = _name.match(/chunks of (\d+)/)?.[1];
    const n = patchLength(g);
    const backend = cpuBackendWith(
      rowsPerChunk ? { chunkFloats: Number(rowsPerChunk) * g.groups * Math.max(n, m / g.groups) } : {},
    );
    const { batch, ...geometry } = g;
    const { outH, outW } = convOutputSize(g);
    const plane = outH * outW;
    const acc = backend.begin(geometry, m, { positionsPerImage: count, seed: 5 });
    const expectedA = Array.from({ length: g.groups }, () => new Float64Array(n * n));
    const expectedC = new Float64Array(m * n);
    const expectedYy = new Float64Array(m);
    for (const [index, seed] of [21, 22].entries()) {
      const x = reluInput(g, seed);
      const y = randomArray(batch * m * plane, seed + 100);
      await acc.add(x, batch, y);
      const only = batchPositions(plane, batch, count, 5, index * batch);
      convGramReference(x, g, only).forEach((part, group) => part.forEach((v, k) => (expectedA[group][k] += v)));
      const cross = crossGramReference(x, y, m, g, only);
      cross.c.forEach((v, k) => (expectedC[k] += v));
      cross.yy.forEach((v, k) => (expectedYy[k] += v));
    }
    const { problem, yy } = await acc.statistics();
    yy.forEach((v, r) => expect(Math.abs(v - expectedYy[r])).toBeLessThanOrEqual(1e-12 * expectedYy[r]));
    problem.a.forEach((a, group) => {
      for (let r = 0; r < n; r++) {
        for (let s = 0; s < n; s++) {
          const scale = Math.sqrt(expectedA[group][r * n + r] * expectedA[group][s * n + s]);
          if (!(Math.abs(a[r * n + s] - expectedA[group][r * n + s]) <= 1e-6 * scale))
            throw new Error(`group ${group} A[${r},${s}] = ${a[r * n + s]}, float64 ${expectedA[group][r * n + s]}`);
        }
      }
    });
    for (let r = 0; r < m; r++) {
      const a = problem.a[Math.floor(r / (m / g.groups))];
      for (let k = 0; k < n; k++) {
        const scale = Math.sqrt(expectedYy[r] * a[k * n + k]);
        if (!(Math.abs(problem.c[r * n + k] - expectedC[r * n + k]) <= 1e-6 * scale))
          throw new Error(`C[${r},${k}] = ${problem.c[r * n + k]}, float64 ${expectedC[r * n + k]}`);
      }
    }
    // The zero channel's patch columns: exactly zero.
    if (g.groups === 1) expect(problem.a[0][g.kernelH * g.kernelW * (n + 1)]).toBe(0);
    acc.destroy();
  });
});
