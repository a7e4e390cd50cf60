import { dequantize } from '../core/quant/grid';
import { errorFromRowSums, outputError, type LayerError } from '../core/quant/metrics';
import type { LayerAccumulator, SolvedLayer } from './solver-backend';

/**
 * Above this many multiply-adds (M x N^2 per error) the host does not recompute a layer's output errors
 * from A in JavaScript: the solver's own row sums are used (GPU), or the backend's (CPU, onnxruntime);
 * without either, the float weights' error is not computed (NaN). A ResNet-50 layer of 512 x 4608
 * costs 11 G multiply-adds per error, more than its GPU solve.
 */
export const HOST_METRIC_MACS = 1e9;

/** The layer-level errors of a job's records, reading A back to the host only where that is cheap. */
export function layerErrors(acc: LayerAccumulator, m: number, n: number, hostBudget = HOST_METRIC_MACS) {
  // Each is read back from the GPU at most once per layer.
  let host: ReturnType<LayerAccumulator['statistics']> | null = null;
  let yy: ReturnType<LayerAccumulator['energy']> | null = null;
  const statistics = () => (host ??= acc.statistics());
  const energy = () => (yy ??= acc.energy());
  const large = m * n * n > hostBudget;
  return {
    energy,
    async of(solved: SolvedLayer): Promise<LayerError> {
      const sums = large ? (solved.rowSums ?? (await acc.rowSums?.(dequantize(solved.weights)))) : undefined;
      if (sums) return errorFromRowSums(await energy(), sums.cw, sums.waw);
      const { problem, yy } = await statistics();
      return outputError(problem, yy, dequantize(solved.weights));
    },
    async float(matrix: Float32Array): Promise<number> {
      if (large) {
        const sums = await acc.rowSums?.(matrix);
        return sums ? errorFromRowSums(await energy(), sums.cw, sums.waw).relative : Number.NaN;
      }
      const { problem, yy } = await statistics();
      return outputError(problem, yy, matrix).relative;
    },
  };
}
