import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convOutputSize, denseGeometry, patchLength, type ConvGeometry } from '../core/conv-geometry';
import { gatherPatches, gatherTargets } from '../core/im2col';
import { errorAroundMeans, meanError } from '../core/quant/bias-correction';
import { quadraticSums } from '../core/quant/metrics';
import { randomArray } from '../core/random';
import { batchPositions } from '../core/sampling';
import type { GpuContext } from '../gpu/device';
import { createNodeGpuContext } from '../gpu/node-gpu';
import { cpuBackend, gpuBackend, type SolverBackend } from './solver-backend';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

const conv = (o: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 2,
  channels: 4,
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

const cases: [string, ConvGeometry, number, number | undefined][] = [
  ['3x3 with padding, every position', conv({}), 6, undefined],
  [
    'stride 2, dilation 2, asymmetric padding, 7 positions per image',
    conv({ strideH: 2, strideW: 2, dilationH: 2, dilationW: 2, padTop: 0, padLeft: 2, padBottom: 1, padRight: 0 }),
    5,
    7,
  ],
  ['2 groups', conv({ groups: 2, kernelH: 1, kernelW: 3, padTop: 0, padBottom: 0 }), 6, 11],
  ['depthwise', conv({ groups: 4 }), 4, undefined],
  ['dense, 29 rows of 13 features', denseGeometry(29, 13), 5, undefined],
];

/** Float64 sums of deviations from the means, two-pass, from the explicit patch rows the backends sample. */
function centredReference(g: ConvGeometry, m: number, batches: { x: Float32Array; y: Float32Array; positions: Uint32Array }[]) {
  const n = patchLength(g);
  const perGroup = m / g.groups;
  const plane = convOutputSize(g).outH * convOutputSize(g).outW;
  const rows: { x: Float32Array; y: Float32Array; count: number }[] = batches.map((b) => ({
    x: gatherPatches(b.x, g, b.positions),
    y: gatherTargets(b.y, m, plane, g.groups, b.positions, new Float64Array(m)),
    count: b.positions.length,
  }));
  const k = rows.reduce((s, r) => s + r.count, 0);
  const meanX = Array.from({ length: g.groups }, () => new Float64Array(n));
  const meanY = new Float64Array(m);
  for (const r of rows) {
    for (let group = 0; group < g.groups; group++) {
      for (let p = 0; p < r.count; p++) {
        for (let i = 0; i < n; i++) meanX[group][i] += r.x[(group * r.count + p) * n + i] / k;
        for (let j = 0; j < perGroup; j++) meanY[group * perGroup + j] += r.y[(group * r.count + p) * perGroup + j] / k;
      }
    }
  }
  const a = Array.from({ length: g.groups }, () => new Float64Array(n * n));
  const c = new Float64Array(m * n);
  const yy = new Float64Array(m);
  for (const r of rows) {
    for (let group = 0; group < g.groups; group++) {
      for (let p = 0; p < r.count; p++) {
        const dx = Array.from({ length: n }, (_, i) => r.x[(group * r.count + p) * n + i] - meanX[group][i]);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[group][i * n + j] += dx[i] * dx[j];
        for (let j = 0; j < perGroup; j++) {
          const row = group * perGroup + j;
          const dy = r.y[(group * r.count + p) * perGroup + j] - meanY[row];
          yy[row] += dy * dy;
          for (let i = 0; i < n; i++) c[row * n + i] += dy * dx[i];
        }
      }
    }
  }
  return { a, c, yy, rows, k, meanX, meanY };
}

describe.each([
  ['CPU', () => cpuBackend],
  ['GPU', () => gpuBackend(ctx)],
] as [string, () => SolverBackend][])('bias correction on the %s backend', (_name, makeBackend) => {
  it.each(cases)('centres A, C and diag(YᵀY) like the two-pass float64 reference: %s', async (_case, g, m, count) => {
    const { batch, ...geometry } = g;
    const n = patchLength(g);
    const plane = convOutputSize(g).outH * convOutputSize(g).outW;
    const acc = makeBackend().begin(geometry, m, { positionsPerImage: count, seed: 3, means: true });
    const batches = [31, 32].map((seed, index) => ({
      // Inputs and targets far from zero mean: the case centring exists for.
      x: randomArray(batch * g.channels * g.height * g.width, seed).map((v) => Math.max(0, v + 0.8)),
      y: randomArray(batch * m * plane, seed + 50).map((v, i) => v + 2 + (Math.floor(i / plane) % m)),
      positions: batchPositions(plane, batch, count, 3, index * batch),
    }));
    for (const b of batches) await acc.add(b.x, batch, b.y);
    const means = await acc.center();
    const ref = centredReference(g, m, batches);
    expect(means.count).toBe(ref.k);
    // The sums of the patch columns (a padded border included) and of the targets.
    means.x.forEach((part, group) =>
      part.forEach((v, i) =>
        expect(Math.abs(v / ref.k - ref.meanX[group][i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(ref.meanX[group][i]))),
      ),
    );
    means.y.forEach((v, r) =>
      expect(Math.abs(v / ref.k - ref.meanY[r])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(ref.meanY[r]))),
    );
    const { problem, yy } = await acc.statistics();
    // Float32 sums lose about log10(mean^2 / variance) digits more when centred: 1e-4 of the raw scale.
    yy.forEach((v, r) => expect(Math.abs(v - ref.yy[r])).toBeLessThanOrEqual(1e-4 * (ref.yy[r] + means.y[r] ** 2 / means.count)));
    problem.a.forEach((a, group) => {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const raw = Math.sqrt(
            (ref.a[group][i * n + i] + means.x[group][i] ** 2 / ref.k) *
              (ref.a[group][j * n + j] + means.x[group][j] ** 2 / ref.k),
          );
          if (!(Math.abs(a[i * n + j] - ref.a[group][i * n + j]) <= 1e-4 * raw + 1e-9))
            throw new Error(`group ${group} A[${i},${j}] = ${a[i * n + j]}, float64 ${ref.a[group][i * n + j]}`);
        }
      }
    });
    for (let r = 0; r < m; r++) {
      const group = Math.floor(r / (m / g.groups));
      for (let i = 0; i < n; i++) {
        const raw = Math.sqrt((ref.yy[r] + means.y[r] ** 2 / ref.k) * (ref.a[group][i * n + i] + means.x[group][i] ** 2 / ref.k));
        if (!(Math.abs(problem.c[r * n + i] - ref.c[r * n + i]) <= 1e-4 * raw + 1e-9))
          throw new Error(`C[${r},${i}] = ${problem.c[r * n + i]}, float64 ${ref.c[r * n + i]}`);
      }
    }

    // Any weights: the error with the corrected bias and with the bias left as it was, against the patches directly.
    const w = randomArray(m * n, 77).map((v) => v * 0.3);
    const shift = meanError(means, w);
    const perGroup = m / g.groups;
    const direct = { corrected: 0, uncorrected: 0, energy: 0, meanAfter: new Float64Array(m) };
    for (const r of ref.rows) {
      for (let p = 0; p < r.count; p++) {
        for (let row = 0; row < m; row++) {
          const group = Math.floor(row / perGroup);
          let out = 0;
          for (let i = 0; i < n; i++) out += r.x[(group * r.count + p) * n + i] * w[row * n + i];
          const y = r.y[(group * r.count + p) * perGroup + (row - group * perGroup)];
          direct.uncorrected += (y - out) ** 2;
          direct.corrected += (y - out - shift[row]) ** 2;
          direct.energy += y * y;
          direct.meanAfter[row] += (y - out - shift[row]) / ref.k;
        }
      }
    }
    direct.meanAfter.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-4));
    const sums = quadraticSums(problem, w);
    const corrected = errorAroundMeans(yy, sums.cw, sums.waw, means, w, true).relative;
    const uncorrected = errorAroundMeans(yy, sums.cw, sums.waw, means, w, false).relative;
    expect(corrected).toBeCloseTo(direct.corrected / direct.energy, 4);
    expect(uncorrected).toBeCloseTo(direct.uncorrected / direct.energy, 4);
    expect(corrected).toBeLessThan(uncorrected);
    acc.destroy();
  });

  it('refuses to centre sums begun without means', async () => {
    const acc = makeBackend().begin(denseGeometry(1, 3), 2, { seed: 0 });
    await acc.add(Float32Array.of(1, 2, 3), 1, Float32Array.of(1, 1));
    await expect(acc.center()).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      message: expect.stringContaining('without means'),
    });
    acc.destroy();
  });
});
