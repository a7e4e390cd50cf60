import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDemo } from '../testing/demo';
import type { ImageSet } from './images';
import type { TensorMap } from '../core/model-metrics';
import { runJob } from './job';
import { DEFAULT_JOB, type JobConfig } from './job-config';
import { storedBias } from '../core/layer-weights';
import { Simulator } from './simulator';
import { cpuBackend } from './solver-backend';

let loaded: Awaited<ReturnType<typeof loadDemo>>['loaded'];
let images: ImageSet;

beforeAll(async () => {
  ({ loaded, images } = await loadDemo());
});

const run = (config: Partial<JobConfig>) =>
  runJob(
    loaded.graph,
    loaded.summary.layers,
    images,
    images,
    { ...DEFAULT_JOB, calibImages: 64, positions: 100, ...config },
    { backend: cpuBackend },
  );

describe('the quantization job on the demo (CPU backend)', () => {
  it('W8A8 with Bit-Split and error compensation keeps the float accuracy', async () => {
    const result = await run({ wbits: 8, abits: 8 });
    expect(result.metrics!.top1Float).toBeCloseTo(92.4, 5);
    expect(result.metrics!.top1!).toBeGreaterThan(91.5);
    expect(result.metrics!.agreement).toBeGreaterThan(97);
    expect(result.layers).toHaveLength(10);
    expect(result.layers[0].activation).toBeNull();
    expect(result.layers[1].activation).toMatchObject({ bits: 8, signed: false });
    for (const l of result.layers) expect(l.relOutputError).toBeLessThan(0.01);
  });

  it("W2A8: Bit-Split + ECAQ beats round to nearest on every layer's output error and on accuracy", async () => {
    // 128 calibration images: with 64 (100 positions each) the 2-bit demo's calibration noise dominates,
    // and bias correction, on by default, makes it worse there (docs/reference.md, "Bias correction").
    const bitsplit = await run({ wbits: 2, abits: 8, calibImages: 128 });
    const planesOnly = await run({ wbits: 2, abits: 8, calibImages: 128, fullGrid: false });
    const rtn = await run({ wbits: 2, abits: 8, method: 'rtn', ecaq: false, calibImages: 128 });
    console.log(
      `W2A8 top-1: Bit-Split+ECAQ ${bitsplit.metrics!.top1!.toFixed(1)} % (${planesOnly.metrics!.top1!.toFixed(1)} % without the full grid), RTN ${rtn.metrics!.top1!.toFixed(1)} %, float ${bitsplit.metrics!.top1Float!.toFixed(1)} %`,
    );
    // Bit-Split alone: the solver never raises the objective; at the fixed point it is the final error.
    for (const l of planesOnly.layers.slice(1, -1)) {
      expect(l.wbits).toBe(2);
      expect(l.relOutputError).toBeLessThan(l.relOutputErrorRtn);
      expect(l.errorPerEpoch).toHaveLength(l.epochs);
      l.errorPerEpoch.slice(1).forEach((e, i) => expect(e).toBeLessThanOrEqual(l.errorPerEpoch[i] * (1 + 1e-9)));
      expect(l.errorPerEpoch.at(-1)!).toBeCloseTo(l.relOutputError, 6);
      expect(l.codeHistogram.map((h) => h.code)).toEqual([-1, 0, 1]);
    }
    // The default adds the full grid, whose descent after the solver only lowers the objective.
    const inner = bitsplit.layers.slice(1, -1);
    for (const l of inner) {
      expect(l.wbits).toBe(2);
      expect(l.relOutputError).toBeLessThan(l.relOutputErrorRtn);
      expect(l.errorPerEpoch).toHaveLength(l.epochs);
      l.errorPerEpoch.slice(1).forEach((e, i) => expect(e).toBeLessThanOrEqual(l.errorPerEpoch[i] * (1 + 1e-9)));
      expect(l.relOutputError).toBeLessThanOrEqual(l.errorPerEpoch.at(-1)! + 1e-6);
      expect([-2, -1, 0, 1, 2]).toEqual(expect.arrayContaining(l.codeHistogram.map((h) => h.code)));
    }
    // The ternary planes reach 3 of the 4 levels of 2 bits; the full grid uses the 4th where it helps.
    const lower = inner.filter((l) => l.relOutputError < l.errorPerEpoch.at(-1)! * 0.99).length;
    console.log(`the full grid lowers ${lower} of ${inner.length} 2-bit layers' errors by over 1 %`);
    expect(lower).toBeGreaterThanOrEqual(inner.length / 2);
    expect(inner.some((l) => l.codeHistogram.some((h) => Math.abs(h.code) === 2 && h.count > 0))).toBe(true);
    expect(planesOnly.metrics!.top1!).toBeGreaterThan(rtn.metrics!.top1!);
    expect(bitsplit.metrics!.top1!).toBeGreaterThan(rtn.metrics!.top1!);
    expect(bitsplit.metrics!.top1!).toBeGreaterThan(bitsplit.metrics!.top1Float! - 5);
  });

  it("bias correction: each Bit-Split layer's bias takes its mean error, and the layers' errors fall", async () => {
    const on = await run({ wbits: 2, abits: 8, calibImages: 32, seed: 4 });
    const off = await run({ wbits: 2, abits: 8, calibImages: 32, seed: 4, biasCorrection: false });
    const stored = (i: number) => storedBias(loaded.graph, loaded.summary.layers[i])!;
    // The first layer reads the image, in float: its corrected bias stays float.
    expect(on.biases.get(0)!.codes).toBeUndefined();
    expect(Array.from(on.biases.get(0)!.values)).not.toEqual(Array.from(stored(0)));
    expect(off.biases.has(0)).toBe(false);
    // The others read quantized inputs: int32 codes of the moved bias.
    const moved = (i: number) =>
      on.biases.get(i)!.values.reduce((n, v, k) => n + (Math.abs(v - off.biases.get(i)!.values[k]) > 1e-3 ? 1 : 0), 0);
    for (let i = 1; i < on.layers.length; i++) expect(on.biases.get(i)!.codes).toBeDefined();
    expect(moved(5)).toBeGreaterThan(0);
    const meanError = (r: typeof on) => r.layers.reduce((sum, l) => sum + l.relOutputError, 0) / r.layers.length;
    console.log(
      `W2A8 mean relative output error: ${meanError(on).toFixed(4)} with bias correction, ${meanError(off).toFixed(4)} without; top-1 ${on.metrics!.top1!.toFixed(1)} vs ${off.metrics!.top1!.toFixed(1)} %`,
    );
    expect(meanError(on)).toBeLessThan(meanError(off));
    // The baselines are measured with the layer's own bias either way: same input, same figure.
    expect(on.layers[0].relOutputErrorRtn).toBeCloseTo(off.layers[0].relOutputErrorRtn, 6);
    expect(on.layers[0].relOutputErrorFloat).toBeCloseTo(off.layers[0].relOutputErrorFloat, 6);
    // Round to nearest is a baseline: never corrected.
    expect((await run({ wbits: 2, abits: 8, calibImages: 32, method: 'rtn' })).biases.get(0)).toBeUndefined();
  });

  it('a re-run keeps the corrected biases of the layers it reuses (two-step pipeline, biases rounded at the end)', async () => {
    const config = { ...DEFAULT_JOB, wbits: 3, abits: 8, ecaq: false, calibImages: 16, positions: 50 } as JobConfig;
    const first = await runJob(loaded.graph, loaded.summary.layers, images, null, config, { backend: cpuBackend });
    const last = loaded.summary.layers.at(-2)!.name;
    const second = await runJob(
      loaded.graph,
      loaded.summary.layers,
      images,
      null,
      { ...config, layers: { [last]: { bits: 2 } } },
      { backend: cpuBackend, previous: first },
    );
    expect(second.layers[1].reused).toBe(true);
    expect(Array.from(second.biases.get(1)!.values)).toEqual(Array.from(first.biases.get(1)!.values));
    expect(second.correctedBiases.get(1)).toBe(first.correctedBiases.get(1));
    // A run on onnxruntime's other EP computed its inputs differently: nothing of it is reused.
    const third = await runJob(loaded.graph, loaded.summary.layers, images, null, config, {
      backend: cpuBackend,
      previous: { ...first, executionProvider: 'webgpu' },
    });
    expect(third.layers.filter((l) => l.reused)).toEqual([]);
    expect(third.executionProvider).toBe('wasm');
  });

  it('is deterministic: the same seed gives the same weights', async () => {
    const a = await run({ wbits: 4, abits: 8, calibImages: 16, positions: 50, seed: 3 });
    const b = await run({ wbits: 4, abits: 8, calibImages: 16, positions: 50, seed: 3 });
    for (const [i, w] of a.weights) expect(Array.from(b.weights.get(i)!)).toEqual(Array.from(w));
  });

  it("takes each layer's inputs (and shortcut) from its quantizer fit instead of running the model again, with the same weights", async () => {
    const config = {
      ...DEFAULT_JOB,
      wbits: 3,
      abits: 4,
      calibImages: 16,
      positions: 50,
      seed: 2,
      residualCompensation: true,
    } as JobConfig;
    const runs = vi.spyOn(Simulator.prototype, 'run');
    const quantizedRuns = () => runs.mock.calls.filter(([, mode]) => mode === 'quantized').length;
    const cached = await runJob(loaded.graph, loaded.summary.layers, images, null, config, { backend: cpuBackend });
    const withCache = quantizedRuns();
    runs.mockClear();
    const rerun = await runJob(loaded.graph, loaded.summary.layers, images, null, config, {
      backend: cpuBackend,
      inputCacheBytes: 0,
    });
    const without = quantizedRuns();
    runs.mockRestore();
    for (const [i, w] of cached.weights) expect(Array.from(rerun.weights.get(i)!)).toEqual(Array.from(w));
    // One batch of 16 images: the 7 layers that fit their own input quantizer (each projection shares its
    // block's) run the partly quantized model once, not twice; the shortcut comes from the same run.
    expect(without - withCache).toBe(7);
  });

  it('scores the float model once per scored set when given a map to keep its scores in', async () => {
    const config = { ...DEFAULT_JOB, wbits: 4, abits: 8, calibImages: 16, positions: 50 } as JobConfig;
    const floatScores = new Map<string, TensorMap>();
    const plain = await runJob(loaded.graph, loaded.summary.layers, images, images, config, { backend: cpuBackend });
    const first = await runJob(loaded.graph, loaded.summary.layers, images, images, config, { backend: cpuBackend, floatScores });
    expect(floatScores.size).toBe(Math.ceil(images.count / config.batchSize));
    const second = await runJob(loaded.graph, loaded.summary.layers, images, images, config, {
      backend: cpuBackend,
      floatScores,
    });
    expect(second.metrics).toEqual(plain.metrics);
    expect(first.metrics).toEqual(plain.metrics);
    // The kept scores are what the second run reads: zeroed, every image's float top-1 becomes class 0.
    for (const f of floatScores.values()) for (const t of Object.values(f)) t.data.fill(0);
    const third = await runJob(loaded.graph, loaded.summary.layers, images, images, config, { backend: cpuBackend, floatScores });
    expect(third.metrics!.top1Float).toBeLessThan(20);
  });

  it('cancels between steps with a typed error', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runJob(loaded.graph, loaded.summary.layers, images, null, DEFAULT_JOB, { backend: cpuBackend, signal: controller.signal }),
    ).rejects.toThrowError(expect.objectContaining({ name: 'CancelledError' }));
  });
});

describe('the same job on the WebGPU backend', () => {
  // Float32 sums on the GPU and float64 ones on the CPU give steps equal to ~1e-6, and the first layers
  // the same codes. Downstream the difference is amplified, as any perturbation would be: a step 1e-6
  // larger moves a few activations across a rounding boundary of the next quantizer, and 2-bit
  // solutions have many near-ties. So later layers and the accuracy are compared loosely.
  const both = async (config: JobConfig) => {
    const { createNodeGpuContext } = await import('../gpu/node-gpu');
    const { gpuBackend } = await import('./solver-backend');
    const ctx = await createNodeGpuContext();
    try {
      const gpu = await runJob(loaded.graph, loaded.summary.layers, images, images, config, { backend: gpuBackend(ctx) });
      const cpu = await runJob(loaded.graph, loaded.summary.layers, images, images, config, { backend: cpuBackend });
      expect(gpu.backend).toBe('webgpu');
      const agreement = [...cpu.weights].map(([i, w]) => {
        const g = gpu.weights.get(i)!;
        // A different code is off by a whole step; an equal one by the steps' float32 rounding.
        return w.reduce((n, v, k) => n + (Math.abs(v - g[k]) <= 1e-3 * Math.abs(v) ? 1 : 0), 0) / w.length;
      });
      const errors = (r: typeof gpu) => r.layers.map((l) => l.relOutputError.toFixed(4)).join(' ');
      console.log(
        `GPU vs CPU backend, weights equal per layer: ${agreement.map((a) => (100 * a).toFixed(1)).join(' ')} %; top-1 ${gpu.metrics!.top1!.toFixed(1)} vs ${cpu.metrics!.top1!.toFixed(1)}\n` +
          `relative output errors: GPU ${errors(gpu)}, CPU ${errors(cpu)}`,
      );
      for (const a of agreement.slice(0, 3)) expect(a).toBeGreaterThanOrEqual(0.999);
      return { gpu, cpu };
    } finally {
      ctx.destroy();
    }
  };
  const config = { ...DEFAULT_JOB, wbits: 2, abits: 8, calibImages: 16, positions: 40, seed: 9 } as JobConfig;

  it("gives the CPU backend's codes on the first layers, and its accuracy", async () => {
    const { gpu, cpu } = await both({ ...config, fullGrid: false });
    // 2-bit weights calibrated on 16 images: one near-tie rounded the other way moves the top-1 on the 250
    // images by several points either way (measured 71.6 vs 75.6). A broken backend lands near RTN's 30 %.
    expect(Math.abs(gpu.metrics!.top1! - cpu.metrics!.top1!)).toBeLessThanOrEqual(6);
    // SwiftShader runs the blocked sweep's barriers on the CPU: two jobs take most of two minutes here.
  }, 300_000);

  it("with the full grid: the CPU backend's codes on the first layers, and its layers' errors", async () => {
    const { gpu, cpu } = await both(config);
    // The full grid adds a near-tie per row (which end gets the extra level): one resolved the other way
    // on layer 4 moved the top-1 to 87.2 vs 78.4 %, so the layers' errors are compared instead (measured
    // within 4 % of each other; the full grid lowers them by about a fifth). A broken backend lands near
    // round to nearest's 30 %.
    gpu.layers.forEach((l, i) =>
      expect(Math.abs(l.relOutputError - cpu.layers[i].relOutputError)).toBeLessThanOrEqual(
        0.1 * cpu.layers[i].relOutputError + 1e-4,
      ),
    );
    for (const r of [gpu, cpu]) expect(r.metrics!.top1!).toBeGreaterThan(65);
  }, 300_000);
});
