import { describe, expect, it } from 'vitest';
import { activationLevels, fitActivationScaleReference, fitAsymmetricActivationReference } from './activation-scale';
import { seededRandom } from '../random';
import { roundHalfEven } from './weight-init';

const error = (x: number[], scale: number, lo: number, hi: number) =>
  x.reduce((e, v) => e + (v - scale * Math.min(hi, Math.max(lo, roundHalfEven(v / scale)))) ** 2, 0);

function samples(count: number, draw: (random: () => number) => number, seed = 1): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => draw(random));
}

/** A Hardswish output x * min(max(x + 3, 0), 6) / 6 of a normal input: mostly positive, down to -0.375. */
const hardswish = (random: () => number) => {
  const x = 2 * Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
};
const normal = (random: () => number) => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random()) + 0.3;

describe('fitAsymmetricActivationReference', () => {
  it("non-negative values: at most the unsigned fit's error, whose grid is the zero point 0 one", () => {
    const x = samples(5000, (r) => Math.max(0, normal(r)));
    for (const bits of [4, 8]) {
      const fit = fitAsymmetricActivationReference(x, bits);
      const n = 2 ** bits - 1;
      // Lloyd's fit is local: another zero point's start may end at a lower error (2 at 8 bits here).
      expect(error(x, fit.scale, -fit.zeroPoint, n - fit.zeroPoint)).toBeLessThanOrEqual(
        error(x, fitActivationScaleReference(x, bits, false).scale, 0, n),
      );
      expect(fit.zeroPoint).toBeLessThanOrEqual(2);
    }
  });

  it("a Hardswish output: all levels used, under half the symmetric grid's squared error at 4 bits", () => {
    const x = samples(20000, hardswish);
    const fit = fitAsymmetricActivationReference(x, 4);
    const symmetric = fitActivationScaleReference(x, 4, true).scale;
    const l = activationLevels(4, true);
    const asymmetric = error(x, fit.scale, -fit.zeroPoint, 15 - fit.zeroPoint);
    expect(asymmetric).toBeLessThan(0.5 * error(x, symmetric, -l, l));
    expect(fit.zeroPoint).toBeGreaterThanOrEqual(0);
    expect(fit.zeroPoint).toBeLessThanOrEqual(2);
  });

  it('never worse than the symmetric grid, at 3 to 8 bits, on a shifted normal', () => {
    const x = samples(6000, normal, 3);
    for (const bits of [3, 4, 6, 7, 8]) {
      const fit = fitAsymmetricActivationReference(x, bits);
      const l = activationLevels(bits, true);
      const n = 2 ** bits - 1;
      expect(error(x, fit.scale, -fit.zeroPoint, n - fit.zeroPoint)).toBeLessThanOrEqual(
        error(x, fitActivationScaleReference(x, bits, true).scale, -l, l),
      );
    }
  });

  it('within 1 % of the best grid found by brute force over zero points and 1,000 scales (3 bits)', () => {
    const x = samples(2000, hardswish, 7);
    const fit = fitAsymmetricActivationReference(x, 3);
    let best = Infinity;
    for (let z = 0; z <= 7; z++) for (let k = 1; k <= 1000; k++) best = Math.min(best, error(x, k / 500, -z, 7 - z));
    expect(error(x, fit.scale, -fit.zeroPoint, 7 - fit.zeroPoint)).toBeLessThanOrEqual(best * 1.01);
  });

  it("at 8 bits the coarse-then-fine search over zero points finds the exhaustive search's error", () => {
    const x = samples(2000, (r) => normal(r) * 3 - 1, 5);
    const fit = fitAsymmetricActivationReference(x, 8);
    let best = Infinity;
    // Exhaustive: the same Lloyd fit for every zero point.
    for (let z = 0; z <= 255; z++) {
      let scale = Math.max(z < 255 ? Math.max(...x) / (255 - z) : 0, z > 0 ? -Math.min(...x) / z : 0);
      for (let it = 0; it < 100; it++) {
        let xq = 0;
        let qq = 0;
        for (const v of x) {
          const q = Math.min(255 - z, Math.max(-z, roundHalfEven(v / scale)));
          xq += v * q;
          qq += q * q;
        }
        if (xq / qq === scale) break;
        scale = xq / qq;
      }
      best = Math.min(best, error(x, scale, -z, 255 - z));
    }
    expect(error(x, fit.scale, -fit.zeroPoint, 255 - fit.zeroPoint)).toBeLessThanOrEqual(best * 1.001);
  });

  it('nothing but zeros: scale 0', () => {
    expect(fitAsymmetricActivationReference([0, 0, 0], 4)).toEqual({ scale: 0, zeroPoint: 0, iterations: 0 });
  });
});
