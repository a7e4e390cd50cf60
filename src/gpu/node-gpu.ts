import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { StudioError } from '../core/errors';
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
  // Without the loader Dawn prints its own warning and finds no adapter; the caller says it in its words.
  if (!vulkanLoaderFound()) throw new StudioError('GpuUnavailableError', 'no Vulkan loader (libvulkan.so.1) on this machine');
  // With no Vulkan driver installed at all, go straight to SwiftShader instead of letting Dawn warn.
  if (!process.env.VK_ICD_FILENAMES && !hasVulkanDriver() && existsSync(SWIFTSHADER_ICD))
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
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

/** Whether Linux's dynamic loader can find libvulkan.so.1 (elsewhere Dawn uses Metal or D3D12). */
export function vulkanLoaderFound(env: NodeJS.ProcessEnv = process.env, platform = process.platform): boolean {
  if (platform !== 'linux') return true;
  const triple = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...ldConfigDirs(),
    `/lib/${triple}`,
    `/usr/lib/${triple}`,
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

function ldConfigDirs(): string[] {
  const confDir = '/etc/ld.so.conf.d';
  if (!existsSync(confDir)) return [];
  return readdirSync(confDir)
    .filter((f) => f.endsWith('.conf'))
    .flatMap((f) =>
      readFileSync(join(confDir, f), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('/')),
    );
}
