import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSharedConfig } from '../core/config-url';
import { ClassScoresAccumulator } from '../core/model-metrics';
import { presetConfig } from '../core/preprocess';
import { batchOf } from '../pipeline/images';
import { ModelRunner } from '../runtime/ort';
import { nhwcDetectorModel, twoInputModel } from '../testing/fixtures';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { chooseBackend, main } from './main';
import { StudioError } from '../core/errors';
import { cpuBackend } from '../pipeline/solver-backend';
import { vulkanLoaderFound } from '../gpu/node-gpu';
import { loadImageFolder } from './node-images';
import { quiet } from '../testing/console';

const demo = (f: string) => new URL(`../../public/demo/${f}`, import.meta.url).pathname;

describe('bitsplit quantize', () => {
  it('falls back to the CPU in one line of its own where there is no GPU, and refuses --backend gpu there', async () => {
    const lines: string[] = [];
    const none = async (): Promise<never> => {
      throw new StudioError('GpuUnavailableError', 'no Vulkan loader (libvulkan.so.1) on this machine');
    };
    expect((await chooseBackend('auto', (l) => lines.push(l), none)).name).toBe('cpu');
    expect(lines).toEqual([
      'bitsplit: no GPU for WebGPU here (no Vulkan loader (libvulkan.so.1) on this machine); solving on the CPU.',
    ]);
    await expect(chooseBackend('gpu', (l) => lines.push(l), none)).rejects.toThrow('no Vulkan loader');
    expect(await chooseBackend('cpu', (l) => lines.push(l), none)).toBe(cpuBackend);
    expect(lines).toHaveLength(1);
    const lib = mkdtempSync(join(tmpdir(), 'vk-'));
    writeFileSync(join(lib, 'libvulkan.so.1'), '');
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: lib })).toBe(true);
  });

  it('--latency times the float model and both files and counts the integer kernels as onnxruntime does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsplit-'));
    const args = `quantize ${demo('model.onnx')} --images ${demo('images')} --method rtn --calib 8 --positions 16 --preset zero1`;
    const { result, stdout } = await quiet(() =>
      main([...args.split(' '), '--backend', 'cpu', '--latency', '--out', join(dir, 'q.onnx'), '--report', join(dir, 'r.json')]),
    );
    expect(result).toBe(0);
    const latency = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).output.latency;
    expect(latency).toMatchObject({ ep: 'wasm', runs: 20, warmup: 3, input: { name: 'image', dims: [1, 1, 28, 28] } });
    for (const key of ['medianMs', 'p10Ms', 'p90Ms', 'floatMedianMs', 'speedup']) expect(latency[key]).toBeGreaterThan(0);
    expect(latency.p10Ms).toBeLessThanOrEqual(latency.medianMs);
    expect(latency.integerKernels.predicted).toEqual({ Conv: 3, Gemm: 1 });
    expect(latency.integerKernels.measured).toEqual({ Conv: 3, Gemm: 1 });
    expect(latency.variants.map((v: { variant: string }) => v.variant)).toEqual(['float', 'int8', 'int4']);
    expect(stdout).toMatch(
      /latency \(wasm EP in Node, input \[1, 1, 28, 28\], median of 20\): float .* ms, int8 .* ms \(.*x\), int4 .* ms/,
    );
    expect(stdout).toContain('int8 file: 4 of 10 layers as integer kernels (Conv 3, Gemm 1, as onnxruntime reports)');
  }, 120_000);

  it('quantizes the demo; the written model runs in onnxruntime and scores what the report says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsplit-'));
    const args = [
      'quantize',
      demo('model.onnx'),
      '--images',
      demo('images'),
      '--wbits',
      '4',
      '--abits',
      '8',
      '--method',
      'bitsplit',
      '--ecaq',
      '--calib',
      '16',
      '--positions',
      '60',
      '--eval-images',
      demo('images'),
      '--classes',
      demo('classes.txt'),
      '--preset',
      'zero1',
      '--seed',
      '5',
      '--out',
      join(dir, 'q.onnx'),
      '--report',
      join(dir, 'r.json'),
      '--backend',
      'cpu',
      '--format',
      'int4',
    ];
    const { result: code } = await quiet(() => main(args));
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(report.config).toMatchObject({
      wbits: 4,
      abits: 8,
      method: 'bitsplit',
      ecaq: true,
      biasCorrection: true,
      residualCompensation: false,
      fullGrid: true,
      asymmetric: true,
      channelScales: 'auto',
      calibImages: 16,
      seed: 5,
    });
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
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(['name', 'op', 'params', 'wbits', 'method', 'relOutputError', 'relOutputErrorRtn']),
      );
    }
    expect(report.layers.map((l: { wbits: number }) => l.wbits)).toEqual([8, 4, 4, 4, 4, 4, 4, 4, 4, 8]);
    expect(report.metrics.top1Float).toBeCloseTo(92.4, 5);
    expect(report.metrics.top1).toBeGreaterThan(88);
    expect(report.seconds.total).toBeGreaterThan(0);
    // Time by stage: onnxruntime's forward passes, the Gram sums, the solver, the activation fits.
    for (const stage of ['forward', 'accumulate', 'solve', 'fitActivations']) expect(report.seconds[stage]).toBeGreaterThan(0);
    expect(report.seconds.forward + report.seconds.accumulate + report.seconds.solve).toBeLessThan(
      report.seconds.calibrateAndSolve,
    );
    expect(report.memory.peakHeapMiB).toBeGreaterThan(1);
    expect(report.memory.peakArrayBuffersMiB).toBeGreaterThan(0);
    expect(report.memory.peakRssMiB).toBeGreaterThan(report.memory.peakHeapMiB);

    const bytes = new Uint8Array(readFileSync(join(dir, 'q.onnx')));
    const keys = decodeModel(bytes).metadataProps.map((p) => p.key);
    expect(keys).toEqual(['bitsplit.layer_bits', 'bitsplit.config', 'bitsplit.version', 'bitsplit.source_sha256']);
    expect(report.output).toMatchObject({
      file: 'q.onnx',
      format: 'int4',
      bytes: bytes.byteLength,
      sourceBytes: readFileSync(demo('model.onnx')).byteLength,
    });
    expect(report.output.check.images).toBe(8);
    expect(report.output.check.maxRelativeDifference).toBeLessThan(1e-4);
    expect(bytes.byteLength / report.output.sourceBytes).toBeLessThan(0.35);
    const images = await loadImageFolder(demo('images'), presetConfig('zero1', { width: 28, height: 28, channels: 1 }), null);
    const [quantized, float] = await Promise.all([
      ModelRunner.create(bytes),
      ModelRunner.create(new Uint8Array(readFileSync(demo('model.onnx')))),
    ]);
    const metrics = new ClassScoresAccumulator();
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
    const args = [
      'quantize',
      demo('model.onnx'),
      '--images',
      demo('images'),
      '--budget-bits',
      '2.5',
      '--abits',
      '8',
      '--method',
      'rtn',
      '--calib',
      '64',
      '--positions',
      '32',
      '--eval-images',
      demo('images'),
      '--preset',
      'zero1',
      '--out',
      join(dir, 'q.onnx'),
      '--report',
      join(dir, 'r.json'),
      '--backend',
      'cpu',
    ];
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
    const average =
      bits.reduce((s: number, b: number, i: number) => s + b * params[i], 0) / params.reduce((a: number, b: number) => a + b, 0);
    expect(average).toBeCloseTo(mixed.averageBits, 9);
    // The share link in the file's metadata carries the chosen bits.
    const link = decodeModel(new Uint8Array(readFileSync(join(dir, 'q.onnx')))).metadataProps.find(
      (p) => p.key === 'bitsplit.config',
    )!.value;
    const shared = decodeSharedConfig(link.slice('#c='.length));
    expect(Object.fromEntries(Object.entries(shared.settings.layers).map(([name, o]) => [name, o.bits]))).toEqual(mixed.bits);
  });
});

describe('bitsplit quantize on models that are not classifiers', () => {
  /** `bitsplit quantize` on the model written to `dir`, the demo's images, these flags, and the output and report in `dir`. */
  const quantizeFile = (dir: string, flags: string) =>
    quiet(() =>
      main([
        'quantize',
        join(dir, 'm.onnx'),
        '--images',
        demo('images'),
        ...flags.split(' '),
        '--out',
        join(dir, 'q.onnx'),
        '--report',
        join(dir, 'r.json'),
      ]),
    );
  const write = (bytes: Uint8Array) => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsplit-'));
    writeFileSync(join(dir, 'm.onnx'), bytes);
    return dir;
  };

  it('a TF-exported detector (NHWC, batch fixed at 1): scored per output on the images beyond --calib, its labels set aside', async () => {
    const dir = write(encodeModel(nhwcDetectorModel()));
    const {
      result: code,
      stderr,
      stdout,
    } = await quantizeFile(dir, '--wbits 8 --abits 8 --method bitsplit --ecaq --calib 24 --preset zero1 --backend cpu');
    expect(stderr).not.toMatch(/unexpected|OrtRun|at /);
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(report.evaluation).toEqual({ images: 226, source: 'held-out' });
    expect(report.metrics.images).toBe(226);
    expect(report.metrics.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape])).toEqual([
      ['scores', [1, 128, 1]],
      ['boxes', [1, 128, 4]],
    ]);
    for (const o of report.metrics.outputs)
      expect(Object.keys(o).sort()).toEqual(['cosine', 'maxAbsDiff', 'name', 'shape', 'sqnrDb']);
    expect(report.metrics.sqnrDb).toBeGreaterThan(25);
    expect(report.metrics.agreement).toBeUndefined();
    expect(report.metrics.labelsNote).toBe(
      '226 labelled images: labels ignored, as no output of the model reads as class scores ([N, C]).',
    );
    expect(report.output.check.maxRelativeDifference).toBeLessThan(1e-4);
    expect(report.output.metrics.outputs).toHaveLength(2);
    expect(stdout).toMatch(/226 images scored, output SQNR \d+\.\d dB;/);
    expect(stdout).toMatch(/\n {2}scores \[1, 128, 1\]: SQNR \d+\.\d dB, cosine 0\.99\d+, max \|diff\| /);
    expect(stdout).toMatch(/\n {2}boxes \[1, 128, 4\]: SQNR /);
    expect(stdout).toContain('  226 labelled images: labels ignored');
  });

  it('says so when every image calibrated and none is left to score', async () => {
    const dir = write(encodeModel(nhwcDetectorModel()));
    const { result: code, stdout } = await quantizeFile(
      dir,
      '--wbits 8 --abits 8 --method rtn --calib 1000 --positions 16 --preset zero1 --backend cpu',
    );
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(report.metrics).toBeNull();
    expect(report.evaluation).toEqual({
      images: 0,
      note: 'nothing scored: every image calibrated (give --eval-images DIR, or more images than --calib)',
    });
    expect(stdout).toContain('; nothing scored: every image calibrated (give --eval-images DIR, or more images than --calib);');
  });

  it('--layout overrides what the shape says, and a layout that gives no image channels is refused', async () => {
    const dir = write(encodeModel(nhwcDetectorModel()));
    const { result, stderr } = await quantizeFile(dir, '--layout nchw --wbits 8 --abits 8 --method rtn');
    expect(result).toBe(2);
    expect(stderr).toBe(
      'bitsplit: The model\'s input "image" has shape [1, 16, 16, 3]: read as NCHW (as chosen) it has 16 channels; the studio feeds one float32 image input, [N, C, H, W] or [N, H, W, C] with 1 (grey), 3 (colour) or 4 (RGBA) channels.\n',
    );
  });

  it('a model with two inputs is refused before any work, naming them (exit 2, one line)', async () => {
    const dir = write(encodeModel(twoInputModel()));
    const { result, stderr } = await quantizeFile(dir, '--wbits 8 --abits 8 --method rtn');
    expect(result).toBe(2);
    expect(stderr).toBe(
      'bitsplit: The model has 2 inputs ("image" [batch, 3, 8, 8], "mask" [batch, 1, 8, 8]); the studio feeds one float32 image input, [N, C, H, W] or [N, H, W, C] with 1 (grey), 3 (colour) or 4 (RGBA) channels.\n',
    );
  });
});
