const MAX_GROUPS_PER_DIMENSION = 65535;

/** Spreads a 1-D range of invocations over x and y, since one dimension holds at most 65535 groups. */
export function linearDispatch(invocations: number, workgroupSize: number): { x: number; y: number; rowStride: number } {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  const x = Math.min(groups, MAX_GROUPS_PER_DIMENSION);
  return { x, y: Math.ceil(groups / x), rowStride: x * workgroupSize };
}

export function uniformBuffer(device: GPUDevice, values: Uint32Array<ArrayBuffer>, label: string): GPUBuffer {
  const buffer = device.createBuffer({
    size: Math.ceil(values.byteLength / 16) * 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    label,
  });
  device.queue.writeBuffer(buffer, 0, values);
  return buffer;
}

export function bindBuffers(device: GPUDevice, pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/** Encodes one compute pass that binds `buffers` in order at group 0. */
export function encodePass(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  label: string,
  buffers: GPUBuffer[],
  groups: [number, number, number],
): void {
  const pass = encoder.beginComputePass({ label });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(device, pipeline, buffers));
  pass.dispatchWorkgroups(...groups);
  pass.end();
}

/** A dispatch bound once and encoded into any pass, as often as needed (e.g. every solver epoch). */
export function preparedDispatch(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: GPUBuffer[],
  groups: [number, number, number],
): (pass: GPUComputePassEncoder) => void {
  const group = bindBuffers(device, pipeline, buffers);
  return (pass) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(...groups);
  };
}
