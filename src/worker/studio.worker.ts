import * as Comlink from 'comlink';
import { StudioError } from '../core/errors';
import { readModelFile, type ModelSummary } from '../core/model-summary';
import type { GraphView } from '../core/onnx/graph';
import { createGpuContext, type AdapterSummary, type GpuContext } from '../gpu/device';
import { runGpuSelfTest, type SelfTestResult } from '../pipeline/gpu-self-test';

export type GpuStatus =
  | { available: true; adapter: AdapterSummary; selfTest: SelfTestResult }
  | { available: false; reason: string };

/** What the worker owns: the parsed model and the GPU device. Only summaries cross to the page. */
let current: { graph: GraphView; summary: ModelSummary } | null = null;
let gpu: Promise<GpuContext> | null = null;

function getGpu(): Promise<GpuContext> {
  gpu ??= createGpuContext((self.navigator as Navigator & { gpu?: GPU }).gpu).then((ctx) => {
    ctx.onLost(() => (gpu = null));
    return ctx;
  });
  gpu.catch(() => (gpu = null));
  return gpu;
}

const api = {
  /** Parses a model; on failure the previously loaded model stays loaded. */
  async loadModel(bytes: Uint8Array, fileName: string): Promise<ModelSummary> {
    const loaded = await readModelFile(bytes, fileName);
    current = loaded;
    return loaded.summary;
  },

  async loadModelFromUrl(url: string, fileName: string): Promise<ModelSummary> {
    const response = await fetch(url);
    if (!response.ok) throw new StudioError('InvalidArgumentError', `Could not fetch ${fileName}: HTTP ${response.status}.`);
    return api.loadModel(new Uint8Array(await response.arrayBuffer()), fileName);
  },

  currentModel(): ModelSummary | null {
    return current?.summary ?? null;
  },

  async gpuStatus(): Promise<GpuStatus> {
    try {
      const ctx = await getGpu();
      return { available: true, adapter: ctx.adapterSummary, selfTest: await runGpuSelfTest(ctx) };
    } catch (e) {
      return { available: false, reason: e instanceof Error ? e.message : String(e) };
    }
  },
};

export type StudioApi = typeof api;

Comlink.expose(api);
