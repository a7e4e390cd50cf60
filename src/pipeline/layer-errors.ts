import { errorAroundMeans, rawEnergy, type MeanSums } from '../core/quant/bias-correction';
import { dequantize } from '../core/quant/grid';
import { errorFromRowSums, quadraticSums, type LayerError } from '../core/quant/metrics';
import type { LayerAccumulator, SolvedLayer } from './solver-backend';

/**
 * Above this many multiply-adds (M x N^2 per error) the host does not recompute a layer's output errors
 * from A in JavaScript: the solver's own row sums are used (GPU), or the backend's (CPU, onnxruntime);
 * without either, the float weights' error is not computed (NaN). A ResNet-50 layer of 512 x 4608
 * costs 11 G multiply-adds per error, more than its GPU solve.
 */
export const HOST_METRIC_MACS = 1e9;

type RowSums = { cw: Float64Array; waw: Float64Array };

/**
 * The layer-level errors of a job's records, reading A back to the host only where that is cheap.
 * With `means` the accumulator's sums were centred (bias correction): every error is still relative to
 * ||Y||^2, and weights are judged with the bias corrected or, for the baselines, left as it was.
 */
export function layerErrors(
  acc: LayerAccumulator,
  m: number,
  n: number,
  { means = null, hostBudget = HOST_METRIC_MACS }: { means?: MeanSums | null; hostBudget?: number } = {},
) {
  // Each is read back from the GPU at most once per layer.
  let host: ReturnType<LayerAccumulator['statistics']> | null = null;
  let yy: ReturnType<LayerAccumulator['energy']> | null = null;
  const statistics = () => (host ??= acc.statistics());
  const energy = () => (yy ??= acc.energy());
  const large = m * n * n > hostBudget;

  async function rowSums(w: ArrayLike<number>, given: RowSums | undefined, hostFallback: boolean): Promise<RowSums | null> {
    if (large) {
      const sums = given ?? (await acc.rowSums?.(w));
      if (sums || !hostFallback) return sums ?? null;
    }
    return quadraticSums((await statistics()).problem, w);
  }

  async function error(
    w: ArrayLike<number>,
    given: RowSums | undefined,
    biasCorrected: boolean,
    hostFallback = true,
  ): Promise<LayerError | null> {
    const sums = await rowSums(w, given, hostFallback);
    if (!sums) return null;
    const e = await energy();
    return means ? errorAroundMeans(e, sums.cw, sums.waw, means, w, biasCorrected) : errorFromRowSums(e, sums.cw, sums.waw);
  }

  return {
    /** ||Y||^2 per output channel. */
    energy: async () => (means ? rawEnergy(await energy(), means) : energy()),
    /** Relative error after each epoch, from the solver's objective (its sums minus ||Y||^2, on the sums it solved). */
    async perEpoch(objective: number[]): Promise<number[]> {
      const solved = Array.from(await energy()).reduce((a, b) => a + b, 0);
      const total = Array.from(await this.energy()).reduce((a, b) => a + b, 0) || 1;
      return objective.map((o) => Math.max(0, (solved + o) / total));
    },
    /** The solver's result, with the bias it gets (corrected when the sums were centred). */
    of: async (solved: SolvedLayer): Promise<LayerError> => (await error(dequantize(solved.weights), solved.rowSums, true))!,
    /** Weights with the layer's own bias, uncorrected (round to nearest as a baseline). */
    uncorrected: async (solved: SolvedLayer): Promise<LayerError> =>
      (await error(dequantize(solved.weights), solved.rowSums, false))!,
    /** The float weights with the layer's own bias; NaN where the layer is too large to recompute it. */
    float: async (matrix: Float32Array): Promise<number> =>
      (await error(matrix, undefined, false, false))?.relative ?? Number.NaN,
  };
}
