/**
 * Reuses storage buffers of the same size and usage. A buffer goes back to the pool only after the
 * command buffer that used it was submitted, so a pending command never sees its buffer reused.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private liveBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(size: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const aligned = Math.max(16, Math.ceil(size / 16) * 16);
    const reused = this.free.get(`${aligned}:${usage}`)?.pop();
    if (reused) {
      reused.label = label;
      return reused;
    }
    this.liveBytes += aligned;
    return this.device.createBuffer({ size: aligned, usage, label });
  }

  /** Call after `queue.submit` of the last command that uses the buffer. */
  release(buffer: GPUBuffer): void {
    const key = `${buffer.size}:${buffer.usage}`;
    const list = this.free.get(key) ?? [];
    list.push(buffer);
    this.free.set(key, list);
  }

  get allocatedBytes(): number {
    return this.liveBytes;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.liveBytes = 0;
  }
}
