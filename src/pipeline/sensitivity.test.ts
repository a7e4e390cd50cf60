import { beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../testing/demo';
import { averageBits, bitOptions, planMixedPrecision } from '../core/quant/mixed-precision';
import { imagesFrom, type ImageSet } from './images';
import { runJob } from './job';
import { DEFAULT_JOB, type JobConfig } from './job-config';
import { measureSensitivity } from './sensitivity';
import { cpuBackend } from './solver-backend';

let loaded: Awaited<ReturnType<typeof loadDemo>>['loaded'];
let images: ImageSet;

beforeAll(async () => {
  ({ loaded, images } = await loadDemo());
});

describe('per-layer sensitivity and mixed precision on the demo (CPU backend)', () => {
  it('measures every layer at every bit-width; a mixed configuration under a budget is chosen, run and kept to', async () => {
    const config: JobConfig = { ...DEFAULT_JOB, wbits: 2, abits: 8, calibImages: 64, positions: 64 };
    // Solved on the first 64 images (of the fixture's drawn order), scored on the other 186.
    const heldOut = imagesFrom(images, 64);
    const layers = loaded.summary.layers;
    const table = await measureSensitivity(loaded.graph, layers, images, heldOut, config, { backend: cpuBackend }, [2, 3, 4, 8]);
    expect(table.bits).toEqual([2, 3, 4, 8]);
    expect(table.images).toBe(186);
    expect(table.layers.map((l) => l.name)).toEqual(layers.map((l) => l.name));
    expect(table.top1Float).toBeGreaterThan(90);
    for (const l of table.layers) {
      expect(l.cells.map((c) => c.bits)).toEqual([2, 3, 4, 8]);
      const [two, , , eight] = l.cells;
      expect(two.kl).toBeGreaterThan(eight.kl);
      expect(two.relOutputError).toBeGreaterThan(10 * eight.relOutputError);
      expect(eight.agreement).toBeGreaterThanOrEqual(98);
    }
    const kl2 = table.layers.map((l) => l.cells[0].kl);

    const budget = 2.5;
    const choice = planMixedPrecision(layers, table, config, budget);
    // The paper's rule holds the first and last layers at 8 bits; the knapsack spends the rest.
    expect(Object.values(choice.fixed)).toEqual([8, 8]);
    expect([choice.bits[layers[0].name], choice.bits[layers[9].name]]).toEqual([8, 8]);
    expect(choice.averageBits).toBeLessThanOrEqual(budget);
    expect(choice.averageBits).toBeGreaterThan(budget - 0.1);
    // The convolution that 2 bits cost the most gets more than 2.
    const free = layers.slice(1, -1).map((l, i) => ({ name: l.name, kl: kl2[i + 1] }));
    const worst = free.reduce((a, b) => (b.kl > a.kl ? b : a));
    expect(choice.bits[worst.name]).toBeGreaterThan(2);
    const mixed = await runJob(
      loaded.graph,
      layers,
      images,
      heldOut,
      { ...config, layers: choice.layers },
      { backend: cpuBackend },
    );
    expect(mixed.layers.map((l) => l.wbits)).toEqual(Object.values(choice.bits));
    expect(averageBits(mixed.layers, (name) => mixed.layers.find((l) => l.name === name)!.wbits)).toBeCloseTo(
      choice.averageBits,
      12,
    );
    const uniform = await runJob(loaded.graph, layers, images, heldOut, config, { backend: cpuBackend });
    console.log(
      `sensitivity ${table.seconds.toFixed(1)} s; ${choice.averageBits.toFixed(3)} bits [${Object.values(choice.bits).join(' ')}]: ` +
        `top-1 ${mixed.metrics!.top1!.toFixed(2)} %, KL ${mixed.metrics!.kl!.toExponential(2)}; uniform W2A8 ${uniform.metrics!.top1!.toFixed(2)} %, KL ${uniform.metrics!.kl!.toExponential(2)}`,
    );
    expect(mixed.metrics!.kl!).toBeLessThan(uniform.metrics!.kl!);
  });

  it('keeps a fixed layer at its bits and refuses bits that were not measured', () => {
    const table = {
      bits: [2, 8],
      images: 1,
      seconds: 0,
      layers: [
        {
          name: 'a',
          op: 'Conv',
          params: 10,
          method: 'bitsplit',
          cells: [
            { bits: 2, kl: 1, agreement: 0, relOutputError: 1 },
            { bits: 8, kl: 0, agreement: 100, relOutputError: 0 },
          ],
        },
      ],
    };
    expect(bitOptions(table, { a: 8 })[0].options).toEqual([{ bits: 8, cost: 0 }]);
    expect(() => bitOptions(table, { a: 4 })).toThrow(/fixed at 4 bits, which its sensitivity was not measured at/);
  });
});
