import { describe, expect, it } from 'vitest';
import { integerKernelCounts, integerKernels } from '../core/onnx/integer-kernels';
import { decodeModel, encodeModel } from '../core/onnx/model-io';
import { readModelFile } from '../core/model-summary';
import type { ModelProto } from '../core/onnx/model-io';
import { randomArray } from '../core/random';
import { fusedByOnnxruntime } from '../runtime/ort-fusions';
import { loadDemo } from '../testing/demo';
import { hardswishConvModel, matmulBiasModel, relu6Model } from '../testing/fixtures';
import { runJob } from './job';
import { DEFAULT_JOB, type JobConfig } from './job-config';
import { exportQuantizedModel } from './report';
import { cpuBackend } from './solver-backend';

async function exported(model: ModelProto, config: Partial<JobConfig>, dims = [3, 8, 8]) {
  const { graph, summary } = await readModelFile(encodeModel(model), 'm.onnx');
  const size = dims.reduce((a, b) => a * b, 1);
  const set = { count: 8, dims, image: (i: number) => randomArray(size, 40 + i, 1).map(Math.abs), label: () => null };
  const result = await runJob(
    graph,
    summary.layers,
    set,
    null,
    { ...DEFAULT_JOB, method: 'rtn', calibImages: 8, ...config },
    { backend: cpuBackend },
  );
  return exportQuantizedModel(graph, summary.layers, result, {
    format: 'int8',
    sourceSha256: summary.sha256,
    configLink: '#c=test',
  });
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

  it('a MatMul with a bias Add after it runs as the Gemm onnxruntime makes of the two, in integers where the sum is quantized again', async () => {
    const file = await exported(matmulBiasModel(), { wbits: 8, abits: 8 }, [8]);
    const kernels = integerKernels(decodeModel(file));
    expect(kernels).toEqual([
      { name: 'fc1', op: 'MatMul', runsAs: 'Gemm', integer: true },
      { name: 'fc2', op: 'MatMul', runsAs: 'MatMul', integer: true },
    ]);
    expect(await fusedByOnnxruntime(file)).toEqual({ Gemm: 1, MatMul: 1 });
    // The same MatMul and Add as the model's last layer: the Gemm's output is float, and it stays float.
    const last = integerKernels(decodeModel(await exported(matmulBiasModel({ last: true }), { wbits: 8, abits: 8 }, [8])));
    expect(last).toEqual([
      {
        name: 'fc1',
        op: 'MatMul',
        runsAs: 'Gemm',
        integer: false,
        why: 'with its bias Add it becomes a Gemm whose output is not quantized again',
      },
    ]);
    expect(await fusedByOnnxruntime(await exported(matmulBiasModel({ last: true }), { wbits: 8, abits: 8 }, [8]))).toEqual({});
  }, 120_000);
});
