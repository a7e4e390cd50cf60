import { StudioError } from '../errors';
import { planesOf, splitPlanes, stitchPlanes, type QuantizedWeights } from './grid';

export const DEFAULT_MAX_EPOCHS = 100;

export interface SolverProblem {
  /** One row-major N x N Gram matrix per group: A = X^T X. */
  a: ArrayLike<number>[];
  /** Row-major M x N: C = Y^T X (each row against its own group's patches). */
  c: ArrayLike<number>;
  m: number;
  n: number;
  groups: number;
}

export interface SolverOptions {
  maxEpochs?: number;
  /**
   * 'refit' (default): when the epoch cap stops a row before its fixed point, its scale is refitted to
   * the final planes. 'reference': keep the scale computed at the start of the last epoch, as the
   * authors' code does. At a fixed point both are the same.
   */
  finalScale?: 'refit' | 'reference';
}

export interface SolverResult extends QuantizedWeights {
  /** Epochs each row ran, the last one being the first without a change (or the cap). */
  epochs: Int32Array;
  /** Plane entries changed, per row, over all epochs. */
  flips: Int32Array;
  /** Per row and epoch (row-major M x maxEpochs): the objective minus ||y||^2, -<C,S>^2 / S^T A S. */
  history: Float64Array;
}

export function validateProblem(p: SolverProblem, init: QuantizedWeights): void {
  const fail = (what: string) => {
    throw new StudioError('InvalidArgumentError', `bit-split solver: ${what}`);
  };
  if (p.m % p.groups !== 0) fail(`${p.m} rows do not split into ${p.groups} groups.`);
  if (p.a.length !== p.groups) fail(`${p.a.length} Gram matrices for ${p.groups} groups.`);
  p.a.forEach((a, g) => a.length !== p.n * p.n && fail(`Gram matrix ${g} has ${a.length} entries, not ${p.n} x ${p.n}.`));
  if (p.c.length !== p.m * p.n) fail(`C has ${p.c.length} entries, not ${p.m} x ${p.n}.`);
  if (init.m !== p.m || init.n !== p.n) fail(`initial codes are ${init.m} x ${init.n}, the problem is ${p.m} x ${p.n}.`);
}

/**
 * Float64 reference of solver-epoch.wgsl: Bit-Split and Stitching (bit-split.md, section 4), row by
 * row, with the same update order and the same incremental bookkeeping as the shader:
 * G = A S is recomputed at every epoch, H = A B_i at every plane and updated only when an entry flips.
 */
export function solveBitSplitReference(p: SolverProblem, init: QuantizedWeights, options: SolverOptions = {}): SolverResult {
  validateProblem(p, init);
  const { m, n } = p;
  const bits = init.bits;
  const planeCount = planesOf(bits);
  const maxEpochs = options.maxEpochs ?? DEFAULT_MAX_EPOCHS;
  const planes = splitPlanes(init.codes, m, n, bits);
  const steps = new Float64Array(m);
  const epochs = new Int32Array(m);
  const flipsTotal = new Int32Array(m);
  const history = new Float64Array(m * maxEpochs);
  const rowsPerGroup = m / p.groups;
  const s = new Float64Array(n);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const ae = new Float64Array(n);
  const unit = 2 ** (planeCount - 1);

  for (let row = 0; row < m; row++) {
    const a = p.a[Math.floor(row / rowsPerGroup)];
    const c = (k: number) => p.c[row * n + k];
    const plane = (i: number) => (row * planeCount + i) * n;
    let alpha = init.steps[row] * unit;
    const stitchAndProject = () => {
      s.fill(0);
      for (let i = 0; i < planeCount; i++) for (let k = 0; k < n; k++) s[k] += planes[plane(i) + k] * 2 ** -i;
      let num = 0;
      let den = 0;
      for (let r = 0; r < n; r++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += a[r * n + k] * s[k];
        g[r] = acc;
        num += c(r) * s[r];
        den += s[r] * acc;
      }
      return { num, den };
    };

    let lastFlips = 0;
    for (let epoch = 0; epoch < maxEpochs; epoch++) {
      const { num, den } = stitchAndProject();
      if (den > 0) alpha = num / den;
      history[row * maxEpochs + epoch] = den > 0 ? -(num * num) / den : 0;
      let flips = 0;
      for (let i = 0; i < planeCount; i++) {
        const scale = 2 ** -i;
        const coef = alpha * scale;
        const b = planes.subarray(plane(i), plane(i) + n);
        for (let r = 0; r < n; r++) {
          let acc = 0;
          for (let k = 0; k < n; k++) acc += a[r * n + k] * b[k];
          h[r] = acc;
          ae[r] = g[r] - scale * acc;
        }
        for (let k = 0; k < n; k++) {
          const diag = a[k * n + k];
          const t = c(k) - alpha * ae[k];
          const rest = h[k] - diag * b[k];
          const grad = 2 * (coef * rest - t);
          const next = Math.abs(grad) < coef * diag ? 0 : -Math.sign(grad);
          if (next !== b[k]) {
            const d = next - b[k];
            for (let r = 0; r < n; r++) h[r] += d * a[r * n + k];
            b[k] = next;
            flips++;
          }
        }
        for (let r = 0; r < n; r++) g[r] = ae[r] + scale * h[r];
      }
      epochs[row] = epoch + 1;
      flipsTotal[row] += flips;
      lastFlips = flips;
      if (flips === 0) break;
    }
    if (lastFlips > 0 && options.finalScale !== 'reference') {
      const { num, den } = stitchAndProject();
      if (den > 0) alpha = num / den;
    }
    steps[row] = alpha / unit;
  }
  return { bits, m, n, codes: stitchPlanes(planes, m, n, bits), steps, epochs, flips: flipsTotal, history };
}
