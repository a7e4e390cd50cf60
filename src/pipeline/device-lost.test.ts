import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadImageFolder } from '../cli/node-images';
import { readModelFile } from '../core/model-summary';
import { presetConfig } from '../core/preprocess';
import type { GpuContext } from '../gpu/device';
import { createNodeGpuContext } from '../gpu/node-gpu';
import { runJob } from './job';
import { DEFAULT_JOB, type JobConfig } from './job-config';
import { gpuBackend } from './solver-backend';

const demo = new URL('../../public/demo/', import.meta.url);

describe('the GPU device lost in the middle of a job', () => {
  it('is reported as such, and the next run on a new device works', async () => {
    const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(new URL('model.onnx', demo))), 'model.onnx');
    const images = await loadImageFolder(
      new URL('images', demo).pathname,
      presetConfig('zero1', { width: 28, height: 28, channels: 1 }),
      null,
    );
    const config: JobConfig = { ...DEFAULT_JOB, wbits: 4, abits: 8, calibImages: 8, positions: 20 };
    const lost = await createNodeGpuContext();
    let destroyed = false;
    const run = runJob(graph, summary.layers, images, null, config, {
      backend: gpuBackend(lost),
      onProgress: (p) => {
        if (!destroyed && p.stage === 'calibrate' && p.layer === 3) {
          destroyed = true;
          lost.destroy();
        }
      },
    });
    await expect(run).rejects.toThrowError(
      expect.objectContaining({
        name: 'GpuDeviceLostError',
        message: 'The GPU device was lost (destroyed); start the run again to get a new one.',
      }),
    );
    const fresh = await createNodeGpuContext();
    // Two layers are enough to show the new device works.
    const overrides = Object.fromEntries(summary.layers.slice(2).map((l) => [l.name, { skip: true }]));
    const result = await runJob(
      graph,
      summary.layers,
      images,
      null,
      { ...config, layers: overrides },
      { backend: gpuBackend(fresh) },
    );
    expect(result.layers.filter((l) => !l.skipped)).toHaveLength(2);
    expect(result.backend).toBe('webgpu');
    fresh.destroy();
  }, 300_000);
});

describe("a model beyond the device's limits", () => {
  it('is refused before anything is allocated, with the figures', async () => {
    const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(new URL('model.onnx', demo))), 'model.onnx');
    const summaryOf = { maxStorageBufferBindingSize: 512 * 1024, maxBufferSize: 1024 * 1024 };
    let allocations = 0;
    const device = { createBuffer: () => allocations++, createShaderModule: () => allocations++ } as unknown as GPUDevice;
    const ctx = { device, adapterSummary: summaryOf, assertAlive: () => undefined } as unknown as GpuContext;
    const images = { count: 1, dims: [1, 28, 28], image: () => new Float32Array(784), label: () => null };
    await expect(runJob(graph, summary.layers, images, null, DEFAULT_JOB, { backend: gpuBackend(ctx) })).rejects.toThrowError(
      'Layer "/stages/stages.2/conv2/Conv" needs a 576 x 576 Gram matrix per group x 1 (1.3 MiB), more than this GPU holds in one buffer ' +
        '(0.5 MiB: maxStorageBufferBindingSize 0.5 MiB, maxBufferSize 1.0 MiB). Nothing was allocated; skip this layer or use a GPU with larger buffers.',
    );
    expect(allocations).toBe(0);
    // The solver's workspace (4 N per row) is the largest buffer where M is large against N: the stem's 16 x 9.
    const small = { ...ctx, adapterSummary: { maxStorageBufferBindingSize: 2048, maxBufferSize: 4096 } } as unknown as GpuContext;
    await expect(runJob(graph, summary.layers, images, null, DEFAULT_JOB, { backend: gpuBackend(small) })).rejects.toThrowError(
      'Layer "/stem/stem.0/Conv" needs a 16 x 36 solver workspace (2.3 KiB), more than this GPU holds in one buffer ' +
        '(2.0 KiB: maxStorageBufferBindingSize 2.0 KiB, maxBufferSize 4.0 KiB). Nothing was allocated; skip this layer or use a GPU with larger buffers.',
    );
    expect(allocations).toBe(0);
  });
});
