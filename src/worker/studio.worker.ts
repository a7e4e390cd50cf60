import * as Comlink from 'comlink';
import { StudioError } from '../core/errors';
import { readModelFile, type ModelSummary } from '../core/model-summary';
import type { GraphView } from '../core/onnx/graph';
import { createGpuContext, type AdapterSummary, type GpuContext } from '../gpu/device';
import { runGpuSelfTest, type SelfTestResult } from '../pipeline/gpu-self-test';
import type { JobProgress } from '../pipeline/job';
import { configureRuntime, type ExecutionProvider } from '../runtime/ort';
import type { LatencyProgress, LatencyReport } from '../pipeline/latency';
import type { ExportFormat } from '../core/onnx/qdq-writer';
import type { SensitivityTable } from '../core/quant/mixed-precision';
import type { ComputeChoice } from '../pipeline/solver-backend';
import {
  computeFor,
  JobSession,
  type ExportedModel,
  type ImagesSummary,
  type PreprocessPreview,
  type RunSettings,
  type RunSummary,
} from './job-session';

export type {
  ComputeChoice,
  ExportedModel,
  ExportFormat,
  ImagesSummary,
  PreprocessPreview,
  RunSettings,
  RunSummary,
  JobProgress,
  LatencyProgress,
  LatencyReport,
  SensitivityTable,
};

// One wasm thread: the job's own work runs beside it in this worker.
configureRuntime({ threads: 1 });

export type GpuStatus =
  { available: true; adapter: AdapterSummary; selfTest: SelfTestResult } | { available: false; reason: string };

/** What the worker owns: the parsed model and the GPU device. Only summaries cross to the page. */
let current: { graph: GraphView; summary: ModelSummary } | null = null;
let gpu: Promise<GpuContext> | null = null;
const session = new JobSession();

function getGpu(): Promise<GpuContext> {
  gpu ??= createGpuContext((self.navigator as Navigator & { gpu?: GPU }).gpu).then((ctx) => {
    ctx.onLost(() => (gpu = null));
    return ctx;
  });
  gpu.catch(() => (gpu = null));
  return gpu;
}

/** 'gpu' says why there is no device; 'auto' falls back to the CPU without one. */
async function chooseCompute(choice: ComputeChoice) {
  if (choice === 'cpu') return computeFor('cpu', null);
  const ctx = await getGpu().catch((e: unknown) => {
    if (choice !== 'gpu') return null;
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\.?$/, '.');
    throw new StudioError(
      'GpuUnavailableError',
      `Compute: GPU needs a WebGPU device, and there is none: ${reason} Choose Compute: Auto or CPU.`,
    );
  });
  return computeFor(choice, ctx);
}

const api = {
  /** Parses a model; on failure the previously loaded model stays loaded. */
  async loadModel(bytes: Uint8Array, fileName: string): Promise<ModelSummary> {
    const loaded = await readModelFile(bytes, fileName);
    current = loaded;
    session.forget();
    return loaded.summary;
  },

  async loadModelFromUrl(url: string, fileName: string): Promise<ModelSummary> {
    const response = await fetch(url);
    if (!response.ok) throw new StudioError('InvalidArgumentError', `Could not fetch ${fileName}: HTTP ${response.status}.`);
    return api.loadModel(new Uint8Array(await response.arrayBuffer()), fileName);
  },

  async setImages(files: { path: string; blob: Blob }[], source: string): Promise<ImagesSummary> {
    await session.setImages(files, source);
    return session.summary();
  },

  async loadImagesFromUrl(base: string, names: string[], source: string): Promise<ImagesSummary> {
    const files = await Promise.all(
      names.map(async (name) => ({ path: name, blob: await (await fetch(new URL(name, base))).blob() })),
    );
    return api.setImages(files, source);
  },

  async runJob(settings: RunSettings, compute: ComputeChoice, onProgress: (p: JobProgress) => void): Promise<RunSummary> {
    if (!current) throw new StudioError('InvalidArgumentError', 'Load a model first.');
    return session.run(current.graph, current.summary, settings, await chooseCompute(compute), onProgress);
  },

  async measureSensitivity(
    settings: RunSettings,
    compute: ComputeChoice,
    onProgress: (p: JobProgress) => void,
  ): Promise<SensitivityTable> {
    if (!current) throw new StudioError('InvalidArgumentError', 'Load a model first.');
    return session.sensitivity(current.graph, current.summary, settings, await chooseCompute(compute), onProgress);
  },

  async exportModel(format: ExportFormat): Promise<ExportedModel> {
    const exported = await session.exportModel(format);
    return Comlink.transfer(exported, [exported.bytes.buffer]);
  },

  previewImages(settings: RunSettings, count: number): PreprocessPreview {
    if (!current) return { width: 0, height: 0, images: [], ranges: [] };
    return session.preview(current.summary, settings, count);
  },

  /** The last run's float, int8 and int4 models timed on wasm, and on WebGPU where a hardware adapter is present. */
  async measureLatency(onProgress: (p: LatencyProgress) => void): Promise<LatencyReport> {
    const ctx = await getGpu().catch(() => null);
    const eps: ExecutionProvider[] = ctx && !ctx.adapterSummary.isFallback ? ['wasm', 'webgpu'] : ['wasm'];
    return session.latency(eps, onProgress);
  },

  exportReport(): string {
    return session.exportReport();
  },

  cancelJob(): void {
    session.cancel();
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
