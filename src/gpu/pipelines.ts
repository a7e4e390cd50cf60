/** Compiles each (shader, override constants) pair once per device and labels it for debugging. */
export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  get(label: string, code: string, constants: Record<string, number> = {}): Promise<GPUComputePipeline> {
    const key = `${label}|${JSON.stringify(constants)}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ label, code });
      pipeline = this.device.createComputePipelineAsync({
        label,
        layout: 'auto',
        compute: { module, entryPoint: 'main', constants },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}
