import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import { DEFAULT_SETTINGS, type LayerSetting } from '../core/config-url';
import { PRESETS } from '../core/preprocess';
import { averageBits } from '../core/quant/mixed-precision';
import type { ExportedModel, ExportFormat, ImagesSummary, JobProgress, PreprocessPreview, RunSettings, RunSummary } from '../worker/studio.worker';
import { describeError, studioWorker } from './bridge';
import { sources } from './sources';
import type { StudioState } from './store';

export type { ImagesSummary, JobProgress, LayerSetting, PreprocessPreview, RunSettings, RunSummary };

export { DEFAULT_SETTINGS };

export interface JobSlice {
  settings: RunSettings;
  images: ImagesSummary | null;
  imagesLoading: boolean;
  running: boolean;
  progress: JobProgress | null;
  result: RunSummary | null;
  /** Every run of this model in this session, oldest first, for the comparison table. */
  runs: RunSummary[];
  selectedLayer: string | null;
  selectLayer: (name: string | null) => void;
  setSetting: <K extends keyof RunSettings>(key: K, value: RunSettings[K]) => void;
  /** One layer's bits, method or skip; undefined drops that choice back to the default. */
  setLayer: (layer: string, change: LayerSetting) => void;
  /** A few images as the model will see them with the current preprocessing. */
  previewImages: (count: number) => Promise<PreprocessPreview | null>;
  /** The preset's mean and std replace the fields. */
  setPreset: (preset: string) => void;
  addImages: (files: File[]) => Promise<void>;
  loadDemoImages: () => Promise<void>;
  run: () => Promise<void>;
  cancel: () => void;
  /** What the last download was checked against: its format, size and onnxruntime's agreement with the simulation. */
  lastExport: ({ format: ExportFormat; bytes: number } & Omit<ExportedModel, 'bytes'>) | null;
  /** The last run's model or report, named after the model; null (with the error shown) if there is none. */
  exportFile: (what: ExportFormat | 'report') => Promise<{ name: string; data: Uint8Array | string } | null>;
}

/** Average bits per quantized weight of a run (layers kept in float left out). */
export function bitsPerWeight(run: RunSummary): number {
  const quantized = run.layers.filter((l) => !l.skipped);
  const bits = new Map(quantized.map((l) => [l.name, l.wbits]));
  return averageBits(quantized, (name) => bits.get(name)!);
}

/** A run with bits chosen per layer (by hand or by the mixed-precision knapsack). */
export const hasPerLayerBits = (run: RunSummary) => Object.values(run.settings.layers).some((o) => o.bits !== undefined);

/** "W4A8", or "W2.50A8" (average bits per weight) for per-layer bits. */
export function bitsLabel(run: RunSummary): string {
  return `W${hasPerLayerBits(run) ? bitsPerWeight(run).toFixed(2) : run.settings.wbits}A${run.settings.abits}`;
}

/**
 * The method and the refinements that applied to it: "bitsplit + error compensation + bias correction",
 * or with `short` "bitsplit + EC + BC". Bias correction and the full grid need Bit-Split; residual compensation also EC;
 * asymmetric activations need quantized activations (and change only those that may be negative); per-channel scales also EC.
 */
export function methodLabel(run: RunSummary, short = false): string {
  const s = run.settings;
  const bitsplit = s.method === 'bitsplit';
  const parts = [
    [s.ecaq, 'error compensation', 'EC'],
    [s.biasCorrection && bitsplit, 'bias correction', 'BC'],
    [s.residualCompensation && s.ecaq && bitsplit, 'residual compensation', 'RC'],
    [s.fullGrid && bitsplit, 'full grid', 'FG'],
    [s.asymmetric && s.abits !== 'float', 'asymmetric activations', 'AA'],
    // On "auto", only where the run chose them for some input.
    [s.ecaq && s.abits !== 'float' && (s.channelScales === true || (s.channelScales === 'auto' && run.layers.some((l) => l.activation?.channelScales))), 'per-channel activation scales', 'PC'],
  ] as const;
  return [s.method, ...parts.filter(([on]) => on).map(([, long, abbreviation]) => (short ? abbreviation : long))].join(' + ');
}

/** Gives the worker these image files (a folder's paths kept: sub-folders are labels). */
export async function setImagesInto(files: File[]): Promise<ImagesSummary> {
  const list = files.map((f) => ({ path: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, blob: f as Blob }));
  const summary = await studioWorker().setImages(list, `${files.length} dropped file(s)`);
  sources.images = { files };
  return summary;
}

export async function loadDemoImagesInto(): Promise<ImagesSummary> {
  const base = new URL(`${import.meta.env.BASE_URL}demo/`, location.href).href;
  const names: string[] = await (await fetch(new URL('images.json', base))).json();
  const paths = [...names.map((n) => `images/${n}`), 'classes.txt'];
  const summary = await studioWorker().loadImagesFromUrl(base, paths, 'the demo\'s 250 test images');
  sources.images = 'demo';
  return summary;
}

export const createJobSlice: StateCreator<StudioState, [], [], JobSlice> = (set, get) => ({
  settings: DEFAULT_SETTINGS,
  images: null,
  imagesLoading: false,
  running: false,
  progress: null,
  result: null,
  runs: [],
  selectedLayer: null,
  selectLayer: (name) => set({ selectedLayer: name }),
  setSetting: (key, value) => set({ settings: { ...get().settings, [key]: value } }),
  setLayer: (layer, change) => {
    const layers = { ...get().settings.layers };
    const merged = Object.fromEntries(Object.entries({ ...layers[layer], ...change }).filter(([, v]) => v !== undefined));
    if (Object.keys(merged).length > 0) layers[layer] = merged;
    else delete layers[layer];
    set({ settings: { ...get().settings, layers } });
  },
  previewImages: async (count) => {
    try {
      return await studioWorker().previewImages(get().settings, count);
    } catch (e) {
      set({ error: describeError(e) });
      return null;
    }
  },
  setPreset: (preset) => {
    const p = PRESETS[preset as keyof typeof PRESETS];
    if (p) set({ settings: { ...get().settings, preset, mean: [...p.mean], std: [...p.std] } });
  },
  addImages: async (files) => {
    set({ imagesLoading: true });
    try {
      set({ images: await setImagesInto(files), result: null });
    } catch (e) {
      set({ error: describeError(e) });
    } finally {
      set({ imagesLoading: false });
    }
  },
  loadDemoImages: async () => {
    set({ imagesLoading: true });
    try {
      set({ images: await loadDemoImagesInto() });
    } catch (e) {
      set({ error: describeError(e) });
    } finally {
      set({ imagesLoading: false });
    }
  },
  run: async () => {
    set({ running: true, progress: null, error: null });
    try {
      const result = await studioWorker().runJob(get().settings, get().compute, Comlink.proxy((progress: JobProgress) => set({ progress })));
      set({ result, runs: [...get().runs, result], lastExport: null });
    } catch (e) {
      set({ error: describeError(e) });
    } finally {
      set({ running: false });
    }
  },
  cancel: () => void studioWorker().cancelJob(),
  lastExport: null,
  exportFile: async (what) => {
    try {
      const result = get().result;
      const { method, ecaq } = result?.settings ?? get().settings;
      const bits = result ? bitsLabel(result).toLowerCase() : 'model';
      const stem = `${(get().model?.fileName ?? 'model').replace(/^Demo: .*\((.*)\)$/, '$1').replace(/\.onnx$/i, '')}.${bits}.${method}${ecaq ? '-ecaq' : ''}`;
      if (what === 'report') return { name: `${stem}.report.json`, data: await studioWorker().exportReport() };
      const { bytes, check, metrics } = await studioWorker().exportModel(what);
      set({ lastExport: { format: what, bytes: bytes.byteLength, check, metrics } });
      return { name: `${stem}.${what}.onnx`, data: bytes };
    } catch (e) {
      set({ error: describeError(e) });
      return null;
    }
  },
});
