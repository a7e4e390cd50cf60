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
export function fitActivationScaleReference(values: ArrayLike<number>, bits: number, signed: boolean, maxIterations = DEFAULT_SCALE_ITERATIONS): ActivationScaleFit {
  assertActivationBits(bits);
  const levels = activationLevels(bits, signed);
  const x: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = signed ? Math.abs(values[i]) : values[i];
    if (v > 0) x.push(v);
  }
  if (x.length === 0) return { scale: 0, iterations: 0 };
  let scale = x.reduce((m, v) => Math.max(m, v), 0) / levels;
  let previous = Number.NaN;
  for (let it = 0; it < maxIterations; it++) {
    let xq = 0;
    let qq = 0;
    for (const v of x) {
      const q = Math.min(levels, roundHalfEven(v / scale));
      xq += v * q;
      qq += q * q;
    }
    const next = xq / qq;
    if (next === scale || next === previous) return { scale: next, iterations: it + 1 };
    previous = scale;
    scale = next;
  }
  return { scale, iterations: maxIterations };
}
