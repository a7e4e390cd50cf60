import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decodeSharedConfig } from '../core/config-url';
import { MetricsAccumulator } from '../core/model-metrics';
import { decodeModel } from '../core/onnx/model-io';
import { presetConfig } from '../core/preprocess';
import { batchOf } from '../pipeline/images';
import { ModelRunner } from '../runtime/ort';
import { parseCli } from './args';
import { main } from './main';
import { loadImageFolder } from './node-images';

const demo = (f: string) => new URL(`../../public/demo/${f}`, import.meta.url).pathname;

function quiet<T>(f: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return f().then((result) => ({ result, stderr })).finally(() => (err.mockRestore(), out.mockRestore()));
}

describe('bitsplit quantize', () => {
  it('corrects biases and uses the full grid unless --no-bias-correction / --no-full-grid say otherwise; compensates residual sums when --residual-compensation says so; per-channel scales auto, on or off', () => {
    const args = ['quantize', 'm.onnx', '--images', 'd', '--wbits', '4', '--abits', '8', '--method', 'bitsplit', '--out', 'o.onnx', '--report', 'r.json'];
    expect(parseCli(args)).toMatchObject({ biasCorrection: true, residualCompensation: false, fullGrid: true });
    expect(parseCli([...args, '--no-bias-correction'])).toMatchObject({ biasCorrection: false, residualCompensation: false, fullGrid: true });
    expect(parseCli([...args, '--residual-compensation'])).toMatchObject({ biasCorrection: true, residualCompensation: true });
    expect(parseCli([...args, '--no-full-grid'])).toMatchObject({ biasCorrection: true, fullGrid: false });
    // Asymmetric activation grids unless --symmetric-activations.
    expect(parseCli(args)).toMatchObject({ asymmetric: true });
    expect(parseCli([...args, '--symmetric-activations'])).toMatchObject({ asymmetric: false, fullGrid: true });
    // Per-channel activation scales where they pay, unless forced either way.
    expect(parseCli(args)).toMatchObject({ channelScales: 'auto' });
    expect(parseCli([...args, '--channel-scales'])).toMatchObject({ channelScales: true });
    expect(parseCli([...args, '--no-channel-scales'])).toMatchObject({ channelScales: false });
    expect(() => parseCli([...args, '--channel-scales', '--no-channel-scales'])).toThrow(/--channel-scales and --no-channel-scales contradict each other/);
  });

  it('quantizes the demo; the written model runs in onnxruntime and scores what the report says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsplit-'));
    const args = ['quantize', demo('model.onnx'), '--images', demo('images'), '--wbits', '4', '--abits', '8', '--method', 'bitsplit',
      '--ecaq', '--calib', '16', '--positions', '60', '--eval-images', demo('images'), '--classes', demo('classes.txt'),
      '--preset', 'zero1', '--seed', '5', '--out', join(dir, 'q.onnx'), '--report', join(dir, 'r.json'), '--backend', 'cpu', '--format', 'int4'];
    const { result: code } = await quiet(() => main(args));
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(report.config).toMatchObject({ wbits: 4, abits: 8, method: 'bitsplit', ecaq: true, biasCorrection: true, residualCompensation: false, fullGrid: true, asymmetric: true, channelScales: 'auto', calibImages: 16, seed: 5 });
    // The demo's folder is sorted by class (LABEL_INDEX.png): the 16 calibration images are a seeded random
    // draw from all of it, not the first two classes, and the report names them.
    const calibrated: string[] = report.calibration.images;
    expect(calibrated).toHaveLength(16);
    expect(new Set(calibrated).size).toBe(16);
    expect(new Set(calibrated.map((f) => f.split('_')[0])).size).toBeGreaterThanOrEqual(6);
    // At 8-bit activations "auto" keeps one scale per tensor.
    expect(report.channelTensors).toEqual([]);
    // The CLI runs the forward passes on onnxruntime's wasm EP: onnxruntime-web's Node build has no WebGPU EP.
    expect([report.backend, report.executionProvider]).toEqual(['cpu', 'wasm']);
    expect(report.layers).toHaveLength(10);
    for (const l of report.layers) {
      expect(Object.keys(l)).toEqual(expect.arrayContaining(['name', 'op', 'params', 'wbits', 'method', 'relOutputError', 'relOutputErrorRtn']));
    }
    expect(report.layers.map((l: { wbits: number }) => l.wbits)).toEqual([8, 4, 4, 4, 4, 4, 4, 4, 4, 8]);
    expect(report.metrics.top1Float).toBeCloseTo(92.4, 5);
    expect(report.metrics.top1).toBeGreaterThan(88);
    expect(report.seconds.total).toBeGreaterThan(0);
    // Time by stage: onnxruntime's forward passes, the Gram sums, the solver, the activation fits.
    for (const stage of ['forward', 'accumulate', 'solve', 'fitActivations']) expect(report.seconds[stage]).toBeGreaterThan(0);
    expect(report.seconds.forward + report.seconds.accumulate + report.seconds.solve).toBeLessThan(report.seconds.calibrateAndSolve);
    expect(report.memory.peakHeapMiB).toBeGreaterThan(1);
    expect(report.memory.peakArrayBuffersMiB).toBeGreaterThan(0);
    expect(report.memory.peakRssMiB).toBeGreaterThan(report.memory.peakHeapMiB);

    const bytes = new Uint8Array(readFileSync(join(dir, 'q.onnx')));
    const keys = decodeModel(bytes).metadataProps.map((p) => p.key);
    expect(keys).toEqual(['bitsplit.layer_bits', 'bitsplit.config', 'bitsplit.version', 'bitsplit.source_sha256']);
    expect(report.output).toMatchObject({ file: 'q.onnx', format: 'int4', bytes: bytes.byteLength, sourceBytes: readFileSync(demo('model.onnx')).byteLength });
    expect(report.output.check.images).toBe(8);
    expect(report.output.check.maxRelativeDifference).toBeLessThan(1e-4);
    expect(bytes.byteLength / report.output.sourceBytes).toBeLessThan(0.35);
    const images = await loadImageFolder(demo('images'), presetConfig('zero1', { width: 28, height: 28, channels: 1 }), null, 10);
    const [quantized, float] = await Promise.all([ModelRunner.create(bytes), ModelRunner.create(new Uint8Array(readFileSync(demo('model.onnx'))))]);
    const metrics = new MetricsAccumulator();
    for (let start = 0; start < images.count; start += 50) {
      const b = batchOf(images, start, 50);
      const feeds = { image: { data: b.data, dims: [b.batch, 1, 28, 28] } };
      metrics.add((await float.run(feeds)).logits.data, (await quantized.run(feeds)).logits.data, 10, b.labels);
    }
    expect(metrics.result().top1).toBeCloseTo(report.metrics.top1, 6);
    expect(metrics.result().agreement).toBeCloseTo(report.metrics.agreement, 6);
    expect(report.output.metrics.top1).toBeCloseTo(report.metrics.top1, 6);
  });

  it('chooses the bits per layer under --budget-bits, runs them and reports the choice and the sensitivity table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsplit-'));
    const args = ['quantize', demo('model.onnx'), '--images', demo('images'), '--budget-bits', '2.5', '--abits', '8', '--method', 'rtn',
      '--calib', '64', '--positions', '32', '--eval-images', demo('images'), '--preset', 'zero1', '--out', join(dir, 'q.onnx'), '--report', join(dir, 'r.json'), '--backend', 'cpu'];
    const { result: code } = await quiet(() => main(args));
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    const mixed = report.mixedPrecision;
    expect(mixed.budgetBits).toBe(2.5);
    expect(mixed.averageBits).toBeLessThanOrEqual(2.5);
    expect(mixed.averageBits).toBeGreaterThan(2.3);
    // Scored on the 186 images beyond the 64 calibration ones.
    expect(mixed.sensitivity.images).toBe(186);
    expect(mixed.sensitivity.layers.map((l: { cells: unknown[] }) => l.cells.length)).toEqual(Array(10).fill(7));
    const bits = report.layers.map((l: { wbits: number }) => l.wbits);
    expect(bits).toEqual(Object.values(mixed.bits));
    expect([bits[0], bits[9]]).toEqual([8, 8]);
    const params = report.layers.map((l: { params: number }) => l.params);
    const average = bits.reduce((s: number, b: number, i: number) => s + b * params[i], 0) / params.reduce((a: number, b: number) => a + b, 0);
    expect(average).toBeCloseTo(mixed.averageBits, 9);
    // The share link in the file's metadata carries the chosen bits.
    const link = decodeModel(new Uint8Array(readFileSync(join(dir, 'q.onnx')))).metadataProps.find((p) => p.key === 'bitsplit.config')!.value;
    const shared = decodeSharedConfig(link.slice('#c='.length));
    expect(Object.fromEntries(Object.entries(shared.settings.layers).map(([name, o]) => [name, o.bits]))).toEqual(mixed.bits);
  });

  it.each([
    [['quantize', 'm.onnx', '--images', '.', '--budget-bits', '1.5', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r'], 'bitsplit: --budget-bits must be a number of bits from 2 to 8 (e.g. 3 or 2.5), got "1.5".'],
    [['quantize', 'm.onnx', '--images', '.', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r'], 'bitsplit: --wbits (or --budget-bits for mixed precision) is required.'],
    [['quantize', 'missing.onnx', '--images', '.', '--wbits', '4', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r'], 'bitsplit: Cannot read the model "missing.onnx".'],
    [['quantize', 'm.onnx', '--images', '.', '--wbits', '1', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r'], 'bitsplit: --wbits must be an integer from 2 to 8, got "1".'],
    [['quantize', 'm.onnx', '--images', '.', '--wbits', '4', '--abits', '8', '--method', 'gptq', '--out', 'o', '--report', 'r'], 'bitsplit: --method must be rtn, mse or bitsplit, got "gptq".'],
    [['quantize', 'm.onnx', '--wbits', '4', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r'], 'bitsplit: --images is required.'],
    [['quantize', 'm.onnx', '--images', '.', '--wbits', '4', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r', '--format', 'fp16'], 'bitsplit: --format must be int8 or int4, got "fp16".'],
    [['quantize', 'm.onnx', '--images', '.', '--wbits', '4', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r', '--input-size', '224'], 'bitsplit: --input-size must look like 224x224 (height x width), got "224".'],
    [['quantize', demo('model.onnx'), '--images', demo('classes.txt/..'), '--wbits', '4', '--abits', '8', '--method', 'rtn', '--out', 'o', '--report', 'r', '--classes', 'nope.txt'], 'bitsplit: Cannot read the classes file "nope.txt".'],
  ])('bad input exits 2 with one line: %j', async (args, message) => {
    const { result, stderr } = await quiet(() => main(args as string[]));
    expect(result).toBe(2);
    expect(stderr).toBe(`${message}\n`);
  });
});
