/**
 * Bit-Split solver benchmark: time per plane-epoch of the blocked GPU sweep beside the plain GPU sweep
 * (one invocation per row) and the TypeScript reference, measured in the same run on the same problems;
 * the epochs each needs to reach the fixed point, and whether the codes are equal; and what the full
 * grid's descent adds to a whole solve (full-grid.wgsl, one invocation per row).
 *
 *   npm run bench:solver                      # M in {64, 256, 512} x N in {144, 1152, 4608}
 *   npm run bench:solver -- --max-n 1152      # smaller grid (SwiftShader runs at about 1 GFLOP/s)
 *   npm run bench:solver -- --fixed-point-max-n 1152 --reference-max-mn2 2e9
 */
import { solveBitSplitReference, type SolverProblem } from '../src/core/quant/bit-split';
import { planesOf } from '../src/core/quant/grid';
import { initWeightsReference } from '../src/core/quant/weight-init';
import { gaussian, seededRandom } from '../src/core/random';
import { solveLayerOnGpu } from '../src/gpu/bit-split-solver';
import { createNodeGpuContext } from '../src/gpu/node-gpu';
import { PipelineCache } from '../src/gpu/pipelines';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BITS = arg('bits', 4);
const MAX_N = arg('max-n', 4608);
const FIXED_POINT_MAX_N = arg('fixed-point-max-n', 4608);
/** Skip the TypeScript reference where M x N^2 exceeds this (it runs about 0.5 G multiply-adds/s). */
const REFERENCE_MAX_MN2 = arg('reference-max-mn2', 2e10);

/** A = V V^T + 0.1 I (rank 32 plus a ridge) and C = W A: a well-conditioned problem built in O(N r). */
function problem(m: number, n: number, seed: number) {
  const rank = 32;
  const normal = gaussian(seededRandom(seed));
  const v = Float64Array.from({ length: n * rank }, normal);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += v[i * rank + r] * v[j * rank + r];
      a[i * n + j] = a[j * n + i] = s / rank + (i === j ? 0.1 : 0);
    }
  }
  const w = Float32Array.from({ length: m * n }, () => normal() * 0.05);
  const wv = new Float64Array(m * rank);
  for (let row = 0; row < m; row++)
    for (let k = 0; k < n; k++) for (let r = 0; r < rank; r++) wv[row * rank + r] += w[row * n + k] * v[k * rank + r];
  const c = new Float64Array(m * n);
  for (let row = 0; row < m; row++) {
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += wv[row * rank + r] * v[k * rank + r];
      c[row * n + k] = s / rank + 0.1 * w[row * n + k];
    }
  }
  const f32a = Float64Array.from(Float32Array.from(a));
  return { w, p: { a: [f32a], c: Float64Array.from(Float32Array.from(c)), m, n, groups: 1 } satisfies SolverProblem };
}

const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
};

async function main() {
  const ctx = await createNodeGpuContext();
  const pipelines = new PipelineCache(ctx.device);
  const s = ctx.adapterSummary;
  console.log(`adapter: ${s.vendor} ${s.architecture} ${s.description}${s.isFallback ? ' (software fallback)' : ''}`);
  console.log(`bits: ${BITS} (${planesOf(BITS)} planes); per plane-epoch = (1 epoch - init only) / planes\n`);
  const header = [
    'M',
    'N',
    'blocked ms',
    'plain ms',
    'TS ms',
    'plain / blocked',
    'TS / blocked',
    'epochs',
    'epochs TS',
    'codes blocked = plain',
    'codes blocked = TS',
    'solve ms',
    'full grid ms',
    'full grid / solve',
  ];
  console.log(`per plane-epoch:\n${header.join('\t')}`);
  for (const n of [144, 1152, 4608].filter((x) => x <= MAX_N)) {
    for (const m of [64, 256, 512]) {
      const { w, p } = problem(m, n, m * 7 + n);
      const input = { weights: w, m, n, groups: 1, a: p.a, c: p.c };
      const planes = planesOf(BITS);
      const perPlaneEpoch = async (sweep: 'blocked' | 'plain') => {
        await solveLayerOnGpu(ctx, input, { bits: BITS, method: 'bitsplit', maxEpochs: 1, sweep }, pipelines); // warm the pipelines
        const [, initOnly] = await time(() => solveLayerOnGpu(ctx, input, { bits: BITS, method: 'mse' }, pipelines));
        const [, oneEpoch] = await time(() =>
          solveLayerOnGpu(ctx, input, { bits: BITS, method: 'bitsplit', maxEpochs: 1, sweep }, pipelines),
        );
        return Math.max(0, oneEpoch - initOnly) / planes;
      };
      const blocked = await perPlaneEpoch('blocked');
      const plain = await perPlaneEpoch('plain');
      const init = initWeightsReference(w, m, n, BITS);
      const runReference = m * n * n <= REFERENCE_MAX_MN2;
      const [, refEpoch] = runReference ? await time(() => solveBitSplitReference(p, init, { maxEpochs: 1 })) : [null, NaN];
      const reference = refEpoch / planes;
      const agree = (x: Int32Array, y: Int32Array) =>
        `${((100 * x.reduce((s, q, i) => s + (q === y[i] ? 1 : 0), 0)) / x.length).toFixed(3)} %`;
      let epochs = '-';
      let epochsRef = '-';
      let equalPlain = '-';
      let equalRef = '-';
      let solveMs = NaN;
      let gridMs = NaN;
      if (n <= FIXED_POINT_MAX_N) {
        const [full, solved] = await time(() => solveLayerOnGpu(ctx, input, { bits: BITS, method: 'bitsplit' }, pipelines));
        const [, withGrid] = await time(() =>
          solveLayerOnGpu(ctx, input, { bits: BITS, method: 'bitsplit', fullGrid: true }, pipelines),
        );
        // A difference of two whole solves: the second of each pair, to leave the first's warm-up out.
        const [, solvedAgain] = await time(() => solveLayerOnGpu(ctx, input, { bits: BITS, method: 'bitsplit' }, pipelines));
        const [, withGridAgain] = await time(() =>
          solveLayerOnGpu(ctx, input, { bits: BITS, method: 'bitsplit', fullGrid: true }, pipelines),
        );
        [solveMs, gridMs] = [Math.min(solved, solvedAgain), Math.min(withGrid, withGridAgain) - Math.min(solved, solvedAgain)];
        const fullPlain = await solveLayerOnGpu(ctx, input, { bits: BITS, method: 'bitsplit', sweep: 'plain' }, pipelines);
        epochs = String(Math.max(...full.epochs));
        equalPlain = agree(full.codes, fullPlain.codes);
        if (runReference) {
          const ref = solveBitSplitReference(p, init);
          epochsRef = String(Math.max(...ref.epochs));
          equalRef = agree(full.codes, ref.codes);
        }
      }
      const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'skipped');
      const r = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
      console.log(
        [
          m,
          n,
          f(blocked),
          f(plain),
          f(reference),
          r(plain / blocked),
          r(reference / blocked),
          epochs,
          epochsRef,
          equalPlain,
          equalRef,
          f(solveMs),
          f(gridMs),
          r(gridMs / solveMs),
        ].join('\t'),
      );
    }
  }
  ctx.destroy();
}

await main();
