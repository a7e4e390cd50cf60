import { create, globals } from 'webgpu';

// Dawn shuts down under running work if this object is garbage-collected, so it lives for the process.
let nodeGpu: GPU | undefined;

/** WebGPU in Node through Dawn (the `webgpu` package); SwiftShader where there is no GPU. */
export function getNodeGpu(): GPU {
  if (!nodeGpu) {
    Object.assign(globalThis, globals);
    nodeGpu = create([]);
  }
  return nodeGpu;
}
