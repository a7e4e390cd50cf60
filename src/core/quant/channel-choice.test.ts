import { describe, expect, it } from 'vitest';
import { randomArray } from '../random';
import { fitActivationGrid, gridError } from './activation-scale';
import { CHANNEL_SCALE_GAIN, channelScaleGain } from './channel-choice';

describe('the grid an activation quantizer fits, and what per-channel grids would buy', () => {
  it('fits unsigned, signed symmetric and asymmetric grids with their code bounds', () => {
    const x = Array.from(randomArray(4000, 3, 1), (v) => v + 0.6);
    expect(fitActivationGrid(x.map(Math.abs), 4, false, false)).toMatchObject({ qmin: 0, qmax: 15 });
    expect(fitActivationGrid(x, 4, true, false)).toMatchObject({ qmin: -7, qmax: 7 });
    const asymmetric = fitActivationGrid(x, 4, true, true);
    expect(asymmetric.qmax - asymmetric.qmin).toBe(15);
    expect(asymmetric.qmin).toBeLessThan(0);
    // The asymmetric grid sits where the values are: lower error than the symmetric one.
    expect(gridError(x, asymmetric)).toBeLessThan(gridError(x, fitActivationGrid(x, 4, true, false)));
    // No values the grid can hold: scale 1, not 0 (a division by it must stay finite).
    expect(fitActivationGrid([0, 0], 4, false, false).scale).toBe(1);
  });

  it('rounds half to even and clips, as the simulation does', () => {
    const g = { scale: 0.5, qmin: -2, qmax: 1 };
    // 0.25 -> code 0 (tie to even), 0.75 -> code 2 clipped to 1, -3 -> code -6 clipped to -2.
    expect(gridError([0.25, 0.75, -3], g)).toBeCloseTo(0.25 ** 2 + 0.25 ** 2 + 2 ** 2, 12);
  });

  it('an outlier channel beside small ones gains many times; alike channels about once', () => {
    const channel = (seed: number, gain: number, offset: number) =>
      Array.from(randomArray(2000, seed, gain), (v) => Math.max(-0.375, v + offset));
    // One channel reaches 10, seven stay within about a half: one grid for all rounds the small ones to 0.
    const lopsided = [channel(1, 4, 4), ...[2, 3, 4, 5, 6, 7, 8].map((seed) => channel(seed, 0.3, 0.1))];
    const alike = [channel(4, 1, 0.5), channel(5, 1.1, 0.5), channel(6, 0.9, 0.5)];
    expect(channelScaleGain(lopsided, 4, true, true)).toBeGreaterThan(CHANNEL_SCALE_GAIN);
    const even = channelScaleGain(alike, 4, true, true);
    expect(even).toBeGreaterThanOrEqual(0.99);
    expect(even).toBeLessThan(1.5);
    // Exact either way: nothing to gain. Exact only per channel: an infinite gain.
    expect(channelScaleGain([[0, 0], [0]], 4, false, false)).toBe(1);
    expect(
      channelScaleGain(
        [
          [1, 1],
          [1000, 1000],
        ],
        2,
        false,
        false,
      ),
    ).toBe(Infinity);
  });
});
