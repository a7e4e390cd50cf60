import { StudioError } from '../core/errors';
import { labelFromPath, parseClasses, unmatchedFolders } from '../core/labels';
import { nothingToQuantize, type ModelSummary } from '../core/model-summary';
import type { GraphView } from '../core/onnx/graph';
import { preprocessImage, presetConfig, type PreprocessConfig, type RgbaImage } from '../core/preprocess';
import { describeImageInput, imageDims, imageInput } from '../core/model-input';
import type { ModelMetrics, TensorMap } from '../core/model-metrics';
import type { GpuContext } from '../gpu/device';
import { firstImages, imagesInOrder, splitImages, type ImageSet } from '../pipeline/images';
import { runJob, type JobProgress, type JobResult, type LayerRecord, cancellationCheck } from '../pipeline/job';
import { jobConfigOf } from '../pipeline/job-config';
import { measureSensitivity } from '../pipeline/sensitivity';
import type { SensitivityTable } from '../core/quant/mixed-precision';
import { exportQuantizedModel, buildReport, simulatedQuantizedModel } from '../pipeline/report';
import { scoreExport, verifyExport, type ExportCheck } from '../pipeline/verify-export';
import { encodeModel } from '../core/onnx/model-io';
import { configLink } from '../core/config-url';
import { type StudioSettings } from '../core/settings';
import type { ExportFormat } from '../core/onnx/qdq-writer';
import { solverFor, type ComputeChoice, type SolverBackend } from '../pipeline/solver-backend';
import { sameInputs, scoredSetKey, type RunInputs } from '../pipeline/rerun';
import { measureLatency, type LatencyProgress, type LatencyReport } from '../pipeline/latency';
import type { ExecutionProvider } from '../runtime/ort';
import { decodeImage } from './decode-image';

const IMAGE = /\.(png|jpe?g|webp)$/i;
/** Held-out images the sensitivity is scored on, at most: enough for a smooth KL, few enough to stay interactive. */
const SENSITIVITY_IMAGES = 256;

export interface ImagesSummary {
  count: number;
  labelled: number;
  ignored: string[];
  source: string;
  /** Sub-folders whose names match no class of the classes file: their images are unlabelled. */
  unmatched: string[];
}

export type RunSettings = StudioSettings;

export interface PreprocessPreview {
  width: number;
  height: number;
  images: Uint8ClampedArray[];
  /** Per channel, in the model's order. */
  ranges: { min: number; max: number }[];
}

/** A downloaded file, checked against the simulation, and its own metrics in onnxruntime's default setup. */
export interface ExportedModel {
  bytes: Uint8Array;
  check: ExportCheck;
  metrics: ModelMetrics;
}

export interface RunSummary {
  settings: RunSettings;
  backend: string;
  /** Where onnxruntime ran the forward passes. */
  executionProvider: ExecutionProvider;
  layers: LayerRecord[];
  metrics: ModelMetrics | null;
  seconds: Record<string, number>;
  /** True when every image was used for calibration, so the score includes them. */
  scoredOnCalibration: boolean;
  /** The float model's and the files' latency, once timed (the page times them after the run). */
  latency?: LatencyReport;
}

/** The images the user gave (decoded once) and the job run over them; lives in the worker. */
export class JobSession {
  private images: { path: string; pixels: RgbaImage }[] = [];
  private classes: string[] | null = null;
  private controller: AbortController | null = null;
  private source = '';
  private ignored: string[] = [];
  private lastSensitivity: { graph: GraphView; table: SensitivityTable } | null = null;
  /** The last run, and what its images were: a rerun reuses its layers only on the same images, preprocessed the same way. */
  private last: {
    inputs: RunInputs;
    model: ModelSummary;
    result: JobResult;
    settings: RunSettings;
    calib: ImageSet;
    scored: ImageSet;
    scoredImages: string[];
    latency?: LatencyReport;
  } | null = null;
  /** The float model's scores on the scored images, while the model, the images and their split stay the same. */
  private floatScores: { key: string; inputs: RunInputs; byBatch: Map<string, TensorMap> } | null = null;

  async setImages(files: { path: string; blob: Blob }[], source: string): Promise<ImagesSummary> {
    const classFile = files.find((f) => /(^|\/)classes\.txt$/.test(f.path));
    const images = files.filter((f) => IMAGE.test(f.path));
    if (images.length === 0) {
      throw new StudioError(
        'InvalidArgumentError',
        `No JPEG, PNG or WebP image among the ${files.length} file(s) given; the images you had stay loaded.`,
      );
    }
    const decoded = [];
    const undecodable: string[] = [];
    // A damaged file among many costs only itself; it is named in the summary.
    for (const f of images) {
      try {
        decoded.push({ path: f.path, pixels: await decodeImage(f.blob, f.path) });
      } catch {
        undecodable.push(f.path);
      }
    }
    if (decoded.length === 0) {
      throw new StudioError(
        'InvalidArgumentError',
        `None of the ${images.length} image file(s) could be decoded (damaged, or not really JPEG, PNG or WebP); the images you had stay loaded.`,
      );
    }
    this.images = decoded;
    this.classes = classFile ? parseClasses(await classFile.blob.text()) : null;
    this.source = source;
    this.ignored = [
      ...files.filter((f) => !IMAGE.test(f.path) && f !== classFile).map((f) => f.path),
      ...undecodable.map((p) => `${p} (not decodable)`),
    ];
    return this.summary();
  }

  summary(): ImagesSummary {
    const labelled = this.images.filter(({ path }) => labelFromPath(path, this.classes) !== null).length;
    const unmatched = unmatchedFolders(
      this.images.map((i) => i.path),
      this.classes,
    );
    return { count: this.images.length, labelled, ignored: this.ignored, source: this.source, unmatched };
  }

  /**
   * The last run's model in QDQ form (its metadata carries the run's share link and the source's SHA-256),
   * checked in onnxruntime against the studio's simulation before it is handed out.
   */
  async exportModel(format: ExportFormat): Promise<ExportedModel> {
    if (!this.last) throw new StudioError('InvalidArgumentError', 'Run a quantization first; there is nothing to download yet.');
    const {
      inputs: { graph },
      model,
      result,
      settings,
      calib,
      scored,
    } = this.last;
    const link = configLink({ name: model.fileName, sha256: model.sha256 }, settings);
    const bytes = exportQuantizedModel(graph, model.layers, result, { format, sourceSha256: model.sha256, configLink: link });
    const check = await verifyExport(bytes, simulatedQuantizedModel(graph, model.layers, result), calib, graph);
    const metrics = await scoreExport(bytes, encodeModel(graph.model), scored, graph, check);
    return { bytes, check, metrics };
  }

  /**
   * The last run's float model, int8 and int4 files timed on each EP given (see pipeline/latency.ts); kept for
   * the report. Cancelled like a run.
   */
  async latency(eps: ExecutionProvider[], onProgress: (p: LatencyProgress) => void): Promise<LatencyReport> {
    const last = this.last;
    if (!last) throw new StudioError('InvalidArgumentError', 'Run a quantization first; there is nothing to time yet.');
    const { graph } = last.inputs;
    const link = configLink({ name: last.model.fileName, sha256: last.model.sha256 }, last.settings);
    const report = await this.guarded((signal) =>
      measureLatency(graph, last.model.layers, last.result, {
        imageDims: last.calib.dims,
        eps,
        files: { sourceSha256: last.model.sha256, configLink: link },
        check: cancellationCheck(signal),
        onProgress,
      }),
    );
    last.latency = report;
    return report;
  }

  exportReport(): string {
    if (!this.last) throw new StudioError('InvalidArgumentError', 'Run a quantization first; there is nothing to download yet.');
    const sensitivity = this.lastSensitivity?.graph === this.last.inputs.graph ? this.lastSensitivity.table : undefined;
    const report = {
      ...buildReport(this.last.model, this.last.result),
      evaluation: { images: this.last.scoredImages },
      ...(this.last.latency ? { latency: this.last.latency } : {}),
      ...(sensitivity ? { sensitivity } : {}),
    };
    return `${JSON.stringify(report, null, 2)}\n`;
  }

  /** The model's input size (the first image's where it is dynamic) with the settings' preprocessing. */
  private preprocessing(model: ModelSummary, settings: RunSettings): PreprocessConfig {
    const layout = imageInput(model, settings.layout);
    const [h, w] = settings.inputSize ?? [this.images[0].pixels.height, this.images[0].pixels.width];
    const size = { height: layout.height ?? h, width: layout.width ?? w };
    return presetConfig(
      settings.preset,
      { ...size, channels: layout.channels },
      {
        layout: layout.layout,
        resize: settings.resize,
        colorOrder: settings.colorOrder,
        mean: settings.mean,
        std: settings.std,
      },
    );
  }

  /**
   * A few images as the model will see them, values 0..1 shown black to white (outside clipped), with
   * each channel's range: a wrong preset shows as a washed-out or saturated picture and odd ranges.
   */
  preview(model: ModelSummary, settings: RunSettings, count: number): PreprocessPreview {
    const none = { width: 0, height: 0, images: [], ranges: [] };
    // A model the studio cannot feed has nothing to preview; the page says why beside the preview.
    if (this.images.length === 0 || describeImageInput(model, settings.layout).refused) return none;
    const c = this.preprocessing(model, settings);
    const plane = c.width * c.height;
    const at = (t: Float32Array, ch: number, p: number) => (c.layout === 'NCHW' ? t[ch * plane + p] : t[p * c.channels + ch]);
    const ranges = Array.from({ length: c.channels }, () => ({ min: Infinity, max: -Infinity }));
    const images = this.images.slice(0, count).map(({ pixels }) => {
      const t = preprocessImage(pixels, c);
      const rgba = new Uint8ClampedArray(plane * 4);
      for (let p = 0; p < plane; p++) {
        for (let ch = 0; ch < c.channels; ch++) {
          const v = at(t, ch, p);
          const r = ranges[ch];
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
        for (let ch = 0; ch < 3; ch++) {
          const k = Math.min(ch, c.channels - 1);
          // Shown in RGB whatever order the model reads.
          rgba[p * 4 + ch] = at(t, c.channels >= 3 && c.colorOrder === 'BGR' ? 2 - k : k, p) * 255;
        }
        rgba[p * 4 + 3] = 255;
      }
      return rgba;
    });
    return { width: c.width, height: c.height, images, ranges };
  }

  forget(): void {
    this.last = null;
    this.lastSensitivity = null;
    this.floatScores = null;
  }

  cancel(): void {
    this.controller?.abort();
  }

  /**
   * The images as the model sees them, split as every run splits them: calibration on a seeded random
   * subset (files often come sorted by class), the score on the rest, or on all of them when none is left.
   */
  private split(model: ModelSummary, settings: RunSettings) {
    const nothing = nothingToQuantize(model);
    if (nothing) throw new StudioError('InvalidArgumentError', nothing);
    if (this.images.length === 0)
      throw new StudioError('InvalidArgumentError', 'Add calibration images first (a folder of JPEG, PNG or WebP files).');
    const config = this.preprocessing(model, settings);
    const tensors = this.images.map((i) => preprocessImage(i.pixels, config));
    const labels = this.images.map((i) => labelFromPath(i.path, this.classes));
    const dims = imageDims(config, config);
    const all: ImageSet = { count: tensors.length, dims, image: (i) => tensors[i], label: (i) => labels[i] };
    const { calib, heldOut, heldOutIds, order } = splitImages(all, settings.calibImages, settings.seed);
    const scoredIds = heldOut ? heldOutIds : order;
    return {
      calib,
      scored: heldOut ?? imagesInOrder(all, order),
      scoredIds,
      scoredOnCalibration: heldOut === null,
      /** What the images went through: with the images themselves, what decides whether earlier results still apply. */
      preprocessing: JSON.stringify(config),
    };
  }

  private floatScoresFor(inputs: RunInputs, settings: RunSettings, provider: ExecutionProvider): Map<string, TensorMap> {
    const key = scoredSetKey(inputs, settings, provider);
    const c = this.floatScores;
    if (c && sameInputs(c.inputs, inputs) && c.key === key) return c.byBatch;
    this.floatScores = { key, inputs, byBatch: new Map() };
    return this.floatScores.byBatch;
  }

  private async guarded<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.controller = new AbortController();
    try {
      return await work(this.controller.signal);
    } finally {
      this.controller = null;
    }
  }

  /**
   * Each layer alone at 2..8 bits: solved on the calibration images, the model scored on up to
   * SENSITIVITY_IMAGES of the others (on the calibration images when there are no others).
   */
  async sensitivity(
    graph: GraphView,
    model: ModelSummary,
    settings: RunSettings,
    compute: Compute,
    onProgress: (p: JobProgress) => void,
  ): Promise<SensitivityTable> {
    const { calib, scored } = this.split(model, settings);
    const table = await this.guarded((signal) =>
      measureSensitivity(graph, model.layers, calib, firstImages(scored, SENSITIVITY_IMAGES), jobConfigOf(settings), {
        ...compute,
        onProgress,
        signal,
      }),
    );
    this.lastSensitivity = { graph, table };
    return table;
  }

  async run(
    graph: GraphView,
    model: ModelSummary,
    settings: RunSettings,
    compute: Compute,
    onProgress: (p: JobProgress) => void,
  ): Promise<RunSummary> {
    const { calib, scored, scoredIds, scoredOnCalibration, preprocessing } = this.split(model, settings);
    // The job compares settings, not pixels: other images or preprocessing make every earlier layer stale.
    const inputs: RunInputs = { graph, images: this.images, preprocessing };
    const previous = this.last && sameInputs(this.last.inputs, inputs) ? this.last.result : undefined;
    const result = await this.guarded((signal) =>
      runJob(graph, model.layers, calib, scored, jobConfigOf(settings), {
        ...compute,
        onProgress,
        signal,
        previous,
        floatScores: this.floatScoresFor(inputs, settings, compute.executionProvider),
      }),
    );
    this.last = { inputs, model, result, settings, calib, scored, scoredImages: scoredIds.map((i) => this.images[i].path) };
    const { backend, executionProvider, layers, metrics, seconds } = result;
    return { settings, backend, executionProvider, layers, metrics, seconds, scoredOnCalibration };
  }
}

export interface Compute {
  backend: SolverBackend;
  executionProvider: ExecutionProvider;
}

/**
 * The solver and onnxruntime's EP together: on a hardware GPU both run there ('auto' or 'gpu'); on a
 * software adapter (SwiftShader) 'auto' keeps both on the CPU, where they are many times faster.
 */
export function computeFor(choice: ComputeChoice, gpu: GpuContext | null): Compute {
  const backend = solverFor(choice, gpu);
  return { backend, executionProvider: backend.name === 'webgpu' ? 'webgpu' : 'wasm' };
}
