import { describe, expect, it } from 'vitest';
import { integerKernelCounts, integerKernels } from '../core/onnx/integer-kernels';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { readModelFile } from '../core/model-summary';
import type { ModelProto } from '../core/onnx/model-io';
import { randomArray } from '../core/random';
import { fusedByOnnxruntime } from '../runtime/ort-fusions';
import { loadDemo } from '../testing/demo';
import { hardswishConvModel, relu6Model } from '../testing/fixtures';
import { runJob } from './job';
import { DEFAULT_JOB, type JobConfig } from './job-config';
import { exportQuantizedModel } from './report';
import { cpuBackend } from './solver-backend';

async function exported(model: ModelProto, config: Partial<JobConfig>, format: 'int8' | 'int4' = 'int8') {
  const { graph, summary } = await readModelFile(encodeModel(model), 'm.onnx');
  const set = { count: 8, dims: [3, 8, 8], image: (i: number) => randomArray(192, 40 + i, 1).map(Math.abs), label: () => null };
  const result = await runJob(
    graph,
    summary.layers,
    set,
    null,
    { ...DEFAULT_JOB, method: 'rtn', calibImages: 8, ...config },
    { backend: cpuBackend },
  );
  return exportQuantizedModel(graph, summary.layers, result, { format, sourceSha256: summary.sha256, configLink: '#c=test' });
}

describe('which layers onnxruntime runs as integer kernels', () => {
  it('on the demo at W4A8: the conv that feeds a quantized ReLU and the classifier in int8; int4 layers dequantized; as onnxruntime itself says', async () => {
    const { loaded, images } = await loadDemo();
    const { graph, summary } = loaded;
    const result = await runJob(
      graph,
      summary.layers,
      images,
      null,
      { ...DEFAULT_JOB, method: 'rtn', calibImages: 16, positions: 16 },
      { backend: cpuBackend },
    );
    const file = (format: 'int8' | 'int4') =>
      exportQuantizedModel(graph, summary.layers, result, { format, sourceSha256: summary.sha256, configLink: '#c=test' });
    const int8 = integerKernels(decodeModel(file('int8')));
    expect(int8.filter((k) => k.integer).map((k) => k.name)).toEqual([
      '/stages/stages.0/conv1/Conv',
      '/stages/stages.1/conv1/Conv',
      '/stages/stages.2/conv1/Conv',
      '/fc/Gemm',
    ]);
    expect(int8.find((k) => k.name === '/stem/stem.0/Conv')?.why).toBe('its input is not quantized');
    expect(int8.find((k) => k.name === '/stages/stages.0/conv2/Conv')?.why).toMatch(/output is not quantized again/);
    expect(await fusedByOnnxruntime(file('int8'))).toEqual(integerKernelCounts(int8));
    // In the int4 file the 4-bit convs are dequantized; the 8-bit classifier keeps its integer kernel.
    const int4 = integerKernels(decodeModel(file('int4')));
    expect(integerKernelCounts(int4)).toEqual({ Gemm: 1 });
    expect(int4.find((k) => k.name === '/stages/stages.0/conv1/Conv')?.why).toMatch(/int4/);
    expect(await fusedByOnnxruntime(file('int4'))).toEqual({ Gemm: 1 });
  }, 120_000);

  it('a ReLU6 (Clip) before the quantizer is absorbed; per-channel input scales keep a conv in float; onnxruntime agrees', async () => {
    const relu6 = integerKernels(decodeModel(await exported(relu6Model(), { wbits: 8, abits: 8 })));
    expect(relu6.some((k) => k.integer)).toBe(true);
    expect(await fusedByOnnxruntime(await exported(relu6Model(), { wbits: 8, abits: 8 }))).toEqual(integerKernelCounts(relu6));
    const perChannel = await exported(hardswishConvModel(), { wbits: 8, abits: 4, channelScales: true });
    const kernels = integerKernels(decodeModel(perChannel));
    expect(
      kernels.filter((k) => k.why === 'its input has one grid per channel, which integer kernels do not take').map((k) => k.name),
    ).toEqual(['middle', 'third']);
    expect(await fusedByOnnxruntime(perChannel)).toEqual(integerKernelCounts(kernels));
  }, 120_000);
});
