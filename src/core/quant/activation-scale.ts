import { StudioError } from '../errors';
import { roundHalfEven } from './weight-init';

export const DEFAULT_SCALE_ITERATIONS = 100;

export interface ActivationScaleFit {
  scale: number;
  iterations: number;
}

export function assertActivationBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) {
    throw new StudioError('InvalidArgumentError', `Activation bit-width must be an integer from 2 to 16, got ${bits}.`);
  }
}

/** Largest code of an activation grid: [0, 2^a - 1] unsigned, [-(2^(a-1) - 1), 2^(a-1) - 1] signed. */
export const activationLevels = (bits: number, signed: boolean) => (signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1);

/**
 * Float64 reference of activation-scale.wgsl: the Lloyd MSE fit of bit-split.md, section 5, on the
 * values that the grid can represent: strictly positive ones for an unsigned grid (after a ReLU),
 * the magnitudes of nonzero ones for a signed symmetric grid (which rounds symmetrically). Stops when
 * the scale repeats (a fixed point or a 2-cycle) or at the cap. No such values: scale 0.
 */
export function fitActivationScaleReference(
  values: ArrayLike<number>,
  bits: number,
  signed: boolean,
  maxIterations = DEFAULT_SCALE_ITERATIONS,
): ActivationScaleFit {
  assertActivationBits(bits);
  const levels = activationLevels(bits, signed);
  const x: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = signed ? Math.abs(values[i]) : values[i];
    if (v > 0) x.push(v);
  }
  if (x.length === 0) return { scale: 0, iterations: 0 };
  const { scale, iterations } = lloydFit(x, 0, levels, x.reduce((m, v) => Math.max(m, v), 0) / levels, maxIterations)!;
  return { scale, iterations };
}

export interface AsymmetricActivationFit extends ActivationScaleFit {
  /** The grid is scale x [-zeroPoint, 2^bits - 1 - zeroPoint]: 0 is a code, the range sits where the values are. */
  zeroPoint: number;
}

/** Zero points tried one by one up to this many levels; above, every 8th and then the 15 around the best. */
const EXHAUSTIVE_LEVELS = 63;
/** Values the zero point search runs on, at most (2^18 values at 8 bits: 47 Lloyd fits of up to 100 passes). */
const SEARCH_SAMPLES = 1 << 14;

/**
 * An asymmetric grid for a tensor that is not provably non-negative: 2^bits levels with an integer zero
 * point, so a Hardswish output in [-0.4, 6] gets all 16 levels at 4 bits instead of a symmetric grid's 8
 * on its positive side. For each zero point, the same Lloyd fit as the symmetric one (codes, then the
 * least-squares scale, until the scale repeats), from a scale that covers the values' range; the zero
 * point with the lowest squared error wins (the first of equals), searched on at most SEARCH_SAMPLES of the
 * values, and its scale fitted on all. No nonzero values: scale 0.
 */
export function fitAsymmetricActivationReference(
  values: ArrayLike<number>,
  bits: number,
  maxIterations = DEFAULT_SCALE_ITERATIONS,
): AsymmetricActivationFit {
  assertActivationBits(bits);
  const levels = 2 ** bits - 1;
  const x: number[] = [];
  let low = 0;
  let high = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 0 || !Number.isFinite(v)) continue;
    x.push(v);
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  let best: AsymmetricActivationFit & { error: number } = { scale: 0, zeroPoint: 0, iterations: 0, error: Infinity };
  if (x.length === 0) return { scale: 0, zeroPoint: 0, iterations: 0 };
  // The zero point is chosen on an even subsample; its scale is then fitted on every value.
  const stride = Math.ceil(x.length / SEARCH_SAMPLES);
  const search = stride > 1 ? x.filter((_, i) => i % stride === 0) : x;
  const tryZero = (zeroPoint: number, values: number[]) => {
    const fit = lloydFit(
      values,
      -zeroPoint,
      levels - zeroPoint,
      Math.max(zeroPoint < levels ? high / (levels - zeroPoint) : 0, zeroPoint > 0 ? -low / zeroPoint : 0),
      maxIterations,
    );
    if (fit && fit.error < best.error) best = { ...fit, zeroPoint };
  };
  const step = levels <= EXHAUSTIVE_LEVELS ? 1 : 8;
  for (let z = 0; z <= levels; z += step) tryZero(z, search);
  if (step > 1) {
    const coarse = best.zeroPoint;
    for (let z = Math.max(0, coarse - step + 1); z <= Math.min(levels, coarse + step - 1); z++)
      if (z !== coarse) tryZero(z, search);
  }
  if (search !== x) {
    const zeroPoint = best.zeroPoint;
    best = { scale: 0, zeroPoint: 0, iterations: 0, error: Infinity };
    tryZero(zeroPoint, x);
  }
  return { scale: best.scale, zeroPoint: best.zeroPoint, iterations: best.iterations };
}

/** Codes clamped to [lo, hi], then the least-squares scale for them, until the scale repeats; null if the start is 0. */
function lloydFit(
  x: number[],
  lo: number,
  hi: number,
  start: number,
  maxIterations: number,
): { scale: number; iterations: number; error: number } | null {
  if (!(start > 0)) return null;
  const code = (v: number, scale: number) => Math.min(hi, Math.max(lo, roundHalfEven(v / scale)));
  const codesAt = (scale: number) => {
    let xq = 0;
    let qq = 0;
    for (const v of x) {
      const q = code(v, scale);
      xq += v * q;
      qq += q * q;
    }
    return { xq, qq };
  };
  let scale = start;
  let previous = Number.NaN;
  let iterations = maxIterations;
  for (let it = 0; it < maxIterations; it++) {
    const { xq, qq } = codesAt(scale);
    const next = qq > 0 ? xq / qq : scale;
    if (next === scale || next === previous) {
      scale = next;
      iterations = it + 1;
      break;
    }
    previous = scale;
    scale = next;
  }
  return { scale, iterations, error: gridError(x, { scale, qmin: lo, qmax: hi }) };
}

/** An activation grid: codes qmin..qmax, each worth `scale`. */
export interface ActivationGrid {
  scale: number;
  qmin: number;
  qmax: number;
}

/** The grid a quantizer takes for `values`: asymmetric with a zero point, signed symmetric, or unsigned from 0. */
export function fitActivationGrid(values: ArrayLike<number>, bits: number, signed: boolean, asymmetric: boolean): ActivationGrid {
  if (asymmetric) {
    const fit = fitAsymmetricActivationReference(values, bits);
    return { scale: fit.scale || 1, qmin: -fit.zeroPoint, qmax: 2 ** bits - 1 - fit.zeroPoint };
  }
  const levels = activationLevels(bits, signed);
  return { scale: fitActivationScaleReference(values, bits, signed).scale || 1, qmin: signed ? -levels : 0, qmax: levels };
}

/** Squared error of `values` on the grid, rounded half to even as the simulation rounds. */
export function gridError(values: ArrayLike<number>, g: ActivationGrid): number {
  let error = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    error += (v - g.scale * Math.min(g.qmax, Math.max(g.qmin, roundHalfEven(v / g.scale)))) ** 2;
  }
  return error;
}
