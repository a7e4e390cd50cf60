import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/device';
import { computeFor } from './job-session';

const context = (isFallback: boolean) => ({ device: {} as GPUDevice, adapterSummary: { isFallback } }) as unknown as GpuContext;

describe('computeFor: where the solver and onnxruntime run', () => {
  it('auto: both on a hardware GPU, both on the CPU with a software adapter or none', () => {
    const hardware = computeFor('auto', context(false));
    expect([hardware.backend.name, hardware.executionProvider]).toEqual(['webgpu', 'webgpu']);
    for (const gpu of [context(true), null]) {
      const c = computeFor('auto', gpu);
      expect([c.backend.name, c.executionProvider]).toEqual(['cpu', 'wasm']);
    }
  });

  it('gpu: the GPU even when it is a software one; refused with a reason when there is none', () => {
    const software = computeFor('gpu', context(true));
    expect([software.backend.name, software.executionProvider]).toEqual(['webgpu', 'webgpu']);
    expect(() => computeFor('gpu', null)).toThrow(
      expect.objectContaining({ name: 'GpuUnavailableError', message: expect.stringContaining('Choose Compute: CPU') }),
    );
  });

  it('cpu: the CPU even on a hardware GPU', () => {
    const c = computeFor('cpu', context(false));
    expect([c.backend.name, c.executionProvider]).toEqual(['cpu', 'wasm']);
  });
});
