import { existsSync, readdirSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { createGpuContext, type GpuContext } from './device';

/** Debian's chromium ships SwiftShader, a Vulkan driver that runs on the CPU. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Dawn shuts down under running work if these objects are garbage-collected: they live for the process.
const instances: GPU[] = [];

/** WebGPU in Node through Dawn (the `webgpu` package). */
export function getNodeGpu(): GPU {
  if (instances.length === 0) {
    Object.assign(globalThis, globals);
    instances.push(create([]));
  }
  return instances[instances.length - 1];
}

/**
 * A device on the machine's GPU; where Vulkan finds none and VK_ICD_FILENAMES is unset, on SwiftShader
 * (the CPU fallback), which the Vulkan loader reads when the next instance is created.
 */
export async function createNodeGpuContext(): Promise<GpuContext> {
  // With no Vulkan driver installed at all, go straight to SwiftShader instead of letting Dawn warn.
  if (!process.env.VK_ICD_FILENAMES && !hasVulkanDriver() && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const gpu = getNodeGpu();
  if (await gpu.requestAdapter()) return createGpuContext(gpu);
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    instances.push(create([]));
  }
  return createGpuContext(getNodeGpu());
}

function hasVulkanDriver(): boolean {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')));
}
