import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImageFolder } from '../cli/node-images';
import { parseClasses } from '../core/labels';
import { decodeModel } from '../core/onnx/model-io';
import { nothingToQuantize, readModelFile } from '../core/model-summary';
import type { ImageSet } from './images';
import { presetConfig } from '../core/preprocess';
import { runJob, type JobResult } from './job';
import { DEFAULT_JOB } from './job-config';
import { exportQuantizedModel, simulatedQuantizedModel } from './report';
import { cpuBackend } from './solver-backend';
import { scoreExport, verifyExport } from './verify-export';

const demo = new URL('../../public/demo/', import.meta.url);
const floatBytes = new Uint8Array(readFileSync(new URL('model.onnx', demo)));
let loaded: Awaited<ReturnType<typeof readModelFile>>;
let images: ImageSet;
let result: JobResult;

beforeAll(async () => {
  loaded = await readModelFile(floatBytes, 'model.onnx');
  const classes = parseClasses(readFileSync(new URL('classes.txt', demo), 'utf8'));
  images = await loadImageFolder(
    new URL('images', demo).pathname,
    presetConfig('zero1', { width: 28, height: 28, channels: 1 }),
    classes,
  );
  // 3-bit weights and 4-bit activations: int4 storage, and Clip in front of every QuantizeLinear.
  result = await runJob(
    loaded.graph,
    loaded.summary.layers,
    images,
    images,
    { ...DEFAULT_JOB, wbits: 3, abits: 4, calibImages: 32, positions: 50 },
    { backend: cpuBackend },
  );
});

describe('the demo, exported after a W3A4 run', () => {
  const exported = (format: 'int8' | 'int4') =>
    exportQuantizedModel(loaded.graph, loaded.summary.layers, result, {
      format,
      sourceSha256: loaded.summary.sha256,
      configLink: '#c=test',
    });

  it.each(['int8', 'int4'] as const)(
    '%s: onnxruntime matches the simulation within 1e-4 and scores exactly what the run showed',
    async (format) => {
      const bytes = exported(format);
      const check = await verifyExport(
        bytes,
        simulatedQuantizedModel(loaded.graph, loaded.summary.layers, result),
        images,
        loaded.graph,
        32,
      );
      expect(check.maxRelativeDifference).toBeLessThan(1e-4);
      // 4-bit activations put a Clip before each QuantizeLinear: no integer-kernel fusion, the same figures.
      expect(check.maxRelativeDifferenceOptimized).toBeLessThan(1e-4);
      const metrics = await scoreExport(bytes, floatBytes, images, loaded.graph);
      expect(metrics.top1).toBe(result.metrics!.top1);
      expect(metrics.agreement).toBe(result.metrics!.agreement);
    },
  );

  it('the int4 file is under 35 % of the float file', () => {
    const int4 = exported('int4').byteLength;
    const int8 = exported('int8').byteLength;
    console.log(
      `demo: float ${floatBytes.byteLength} B, int8 ${int8} B (${((100 * int8) / floatBytes.byteLength).toFixed(1)} %), int4 ${int4} B (${((100 * int4) / floatBytes.byteLength).toFixed(1)} %)`,
    );
    expect(int4 / floatBytes.byteLength).toBeLessThan(0.35);
    expect(int8).toBeGreaterThan(int4);
  });

  it("reopened, it lists its layers as quantized at the run's bits and refuses to quantize them again", async () => {
    const reopened = await readModelFile(exported('int4'), 'demo.int4.onnx');
    expect(reopened.summary.layers).toEqual([]);
    expect(reopened.summary.quantizedInFile.map((q) => q.bits)).toEqual(result.layers.map((l) => l.wbits));
    expect(reopened.summary.quantizedInFile.map((q) => q.storage)).toEqual(
      result.layers.map((l) => (l.wbits <= 4 ? 'INT4' : 'INT8')),
    );
    expect(nothingToQuantize(reopened.summary)).toBe(
      'All 10 quantizable layers are already quantized in this file (8-bit INT8, 3-bit INT4): there is nothing left to quantize. Open the float model to quantize it differently.',
    );
    const meta = Object.fromEntries(decodeMeta(exported('int8')));
    expect(meta['bitsplit.source_sha256']).toBe(loaded.summary.sha256);
    expect(meta['bitsplit.config']).toBe('#c=test');
  });
});

function decodeMeta(bytes: Uint8Array): [string, string][] {
  return decodeModel(bytes).metadataProps.map((p) => [p.key, p.value]);
}
