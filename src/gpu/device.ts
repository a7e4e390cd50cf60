import { StudioError } from '../core/errors';

/** Limits below which the kernels cannot run; every WebGPU adapter is required to meet them. */
const REQUIRED = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 };

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  isFallback: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
}

/** A device plus what the studio needs to know about it; holds the GPU object so it is not collected. */
export class GpuContext {
  private lostInfo: GPUDeviceLostInfo | null = null;
  private readonly lostListeners = new Set<(message: string) => void>();

  constructor(
    readonly gpu: GPU,
    readonly adapter: GPUAdapter,
    readonly device: GPUDevice,
    readonly adapterSummary: AdapterSummary,
  ) {
    void device.lost.then((info) => {
      this.lostInfo = info;
      const message = `The GPU device was lost (${info.reason}): ${info.message || 'no details'}`;
      for (const listener of this.lostListeners) listener(message);
    });
  }

  get isLost(): boolean {
    return this.lostInfo !== null;
  }

  onLost(listener: (message: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  assertAlive(): void {
    if (this.lostInfo) {
      throw new StudioError(
        'GpuDeviceLostError',
        `The GPU device was lost (${this.lostInfo.reason}); start the run again to get a new one.`,
      );
    }
  }

  /** Runs `work` inside validation and out-of-memory error scopes and throws what they caught. */
  async checked<T>(label: string, work: () => T | Promise<T>): Promise<T> {
    this.assertAlive();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await work() };
    } catch (error) {
      outcome = { error };
    }
    const validation = await this.device.popErrorScope();
    const memory = await this.device.popErrorScope();
    const gpuError = validation ?? memory;
    if (gpuError) throw new StudioError('GpuKernelError', `${label}: ${gpuError.message}`);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  destroy(): void {
    this.device.destroy();
  }
}

export async function createGpuContext(gpu: GPU | undefined, label = 'bit-split-studio'): Promise<GpuContext> {
  if (!gpu) {
    throw new StudioError(
      'GpuUnavailableError',
      'This browser has no WebGPU. Use a recent Chrome or Edge, or enable WebGPU in its flags.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new StudioError(
      'GpuUnavailableError',
      'WebGPU is present but no GPU adapter is available (it may be blocked for this GPU or driver).',
    );
  }
  const l = adapter.limits;
  for (const [name, need] of Object.entries(REQUIRED)) {
    const have = l[name as keyof GPUSupportedLimits] as number;
    if (have < need) {
      throw new StudioError(
        'GpuUnavailableError',
        `The GPU adapter offers ${name} = ${have}; the studio needs at least ${need}.`,
      );
    }
  }
  const device = await adapter.requestDevice({
    label,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  const info = adapter.info;
  return new GpuContext(gpu, adapter, device, {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isFallback: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
  });
}
