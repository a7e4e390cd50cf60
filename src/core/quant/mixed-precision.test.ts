import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random';
import { averageBits, chooseBits, paretoFront, type LayerBitOptions } from './mixed-precision';

const BITS = [2, 3, 4, 5, 6, 7, 8];

function randomLayers(count: number, seed: number): LayerBitOptions[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const sensitivity = random() * 10;
    // Costs fall roughly 4x a bit, with noise, and are not always monotone (as measured ones are not).
    return {
      name: `l${i}`,
      params: 1 + Math.floor(random() * 5000),
      options: BITS.map((bits) => ({ bits, cost: sensitivity * 4 ** -bits * (0.5 + random()) })),
    };
  });
}

function bruteForce(layers: LayerBitOptions[], budget: number): number {
  const params = layers.reduce((s, l) => s + l.params, 0);
  let best = Infinity;
  const walk = (i: number, size: number, cost: number) => {
    if (i === layers.length) {
      if (size <= budget * params * (1 + 1e-12)) best = Math.min(best, cost);
      return;
    }
    for (const o of layers[i].options) walk(i + 1, size + layers[i].params * o.bits, cost + o.cost);
  };
  walk(0, 0, 0);
  return best;
}

describe('mixed precision under a size budget', () => {
  it('finds the same optimum as trying every assignment', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const layers = randomLayers(5, seed);
      for (const budget of [2, 2.5, 3, 3.7, 5, 8]) {
        const chosen = chooseBits(layers, budget);
        expect(chosen.averageBits).toBeLessThanOrEqual(budget + 1e-9);
        expect(chosen.cost).toBeCloseTo(bruteForce(layers, budget), 12);
        expect(averageBits(layers, (n) => chosen.bits[n])).toBeCloseTo(chosen.averageBits, 12);
      }
    }
  });

  it('gives a front whose cost falls as the size grows', () => {
    const front = paretoFront(randomLayers(20, 7));
    expect(front.length).toBeGreaterThan(10);
    for (let i = 1; i < front.length; i++) {
      expect(front[i].totalBits).toBeGreaterThan(front[i - 1].totalBits);
      expect(front[i].cost).toBeLessThan(front[i - 1].cost);
    }
    expect(front[0].averageBits).toBe(2);
  });

  it('admits the uniform configuration whose own average is the budget, and never does worse than it', () => {
    const layers = randomLayers(8, 3);
    const uniform = (name: string) => (name === 'l0' || name === 'l7' ? 8 : 3);
    const budget = averageBits(layers, uniform);
    const uniformCost = layers.reduce((s, l) => s + l.options.find((o) => o.bits === uniform(l.name))!.cost, 0);
    expect(chooseBits(layers, budget).cost).toBeLessThanOrEqual(uniformCost);
  });

  it('puts more bits on the sensitive layer of two equal ones', () => {
    const layer = (name: string, scale: number): LayerBitOptions => ({
      name,
      params: 100,
      options: BITS.map((bits) => ({ bits, cost: scale * 4 ** -bits })),
    });
    const chosen = chooseBits([layer('tough', 1), layer('fragile', 100)], 4);
    expect(chosen.bits.fragile).toBeGreaterThan(chosen.bits.tough);
  });

  it('says what the smallest possible budget is when the budget is below it', () => {
    expect(() => chooseBits(randomLayers(3, 1), 1.5)).toThrow(/1\.5 bits per weight is below the smallest choice, 2\.000 bits/);
    expect(() => chooseBits(randomLayers(3, 1), Number.NaN)).toThrow(/positive number/);
  });
});
