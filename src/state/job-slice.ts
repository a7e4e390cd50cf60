import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import { DEFAULT_SETTINGS, presetFields, type LayerSetting } from '../core/settings';
import type {
  ImagesSummary,
  JobProgress,
  LatencyProgress,
  LatencyReport,
  PreprocessPreview,
  RunSettings,
  RunSummary,
} from '../worker/studio.worker';
import { describeError, studioWorker } from './bridge';
import { sources } from './sources';
import type { JobSlice, StudioState } from './studio-state';

/** The timing under way, so that a run can wait for its cancellation. */
let latencyInFlight: Promise<void> = Promise.resolve();

export type {
  ImagesSummary,
  JobProgress,
  LatencyProgress,
  LatencyReport,
  LayerSetting,
  PreprocessPreview,
  RunSettings,
  RunSummary,
};

export { DEFAULT_SETTINGS };

/** Gives the worker these image files (a folder's paths kept: sub-folders are labels). */
export async function setImagesInto(files: File[]): Promise<ImagesSummary> {
  const list = files.map((f) => ({
    path: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name,
    blob: f as Blob,
  }));
  const summary = await studioWorker().setImages(list, `${files.length} dropped file(s)`);
  sources.images = { files };
  return summary;
}

export async function loadDemoImagesInto(): Promise<ImagesSummary> {
  const base = new URL(`${import.meta.env.BASE_URL}demo/`, location.href).href;
  const names: string[] = await (await fetch(new URL('images.json', base))).json();
  const paths = [...names.map((n) => `images/${n}`), 'classes.txt'];
  const summary = await studioWorker().loadImagesFromUrl(base, paths, "the demo's 250 test images");
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
  setPreset: (preset) => set({ settings: { ...get().settings, preset, ...presetFields(preset) } }),
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
    // A run takes the worker from any timing still going on.
    if (get().timing) {
      void studioWorker().cancelJob();
      await latencyInFlight;
    }
    set({ running: true, progress: null, error: null });
    try {
      const result = await studioWorker().runJob(
        get().settings,
        get().compute,
        Comlink.proxy((progress: JobProgress) => set({ progress })),
      );
      set({ result, runs: [...get().runs, result], lastExport: null });
      void get().measureLatency();
    } catch (e) {
      set({ error: describeError(e) });
    } finally {
      set({ running: false });
    }
  },
  cancel: () => void studioWorker().cancelJob(),
  timing: null,
  measureLatency: async () => {
    const run = get().result;
    if (!run) return;
    set({ timing: { variant: 'float', ep: 'wasm', done: 0, total: 1 } });
    const timed = studioWorker()
      .measureLatency(Comlink.proxy((timing: LatencyProgress) => set({ timing })))
      .then((latency) => {
        // The run it belongs to, wherever it now is: the result and its entry in the runs table.
        const withLatency = { ...run, latency };
        set((s) => ({
          result: s.result === run ? withLatency : s.result,
          runs: s.runs.map((r) => (r === run ? withLatency : r)),
        }));
      })
      .catch((e: unknown) => {
        if (!(e instanceof Error && e.name === 'CancelledError')) set({ error: describeError(e) });
      })
      .finally(() => set({ timing: null }));
    latencyInFlight = timed;
    await timed;
  },
  lastExport: null,
  exportFile: async (what) => {
    try {
      if (what === 'report') return await studioWorker().exportReport();
      const { bytes, check, metrics } = await studioWorker().exportModel(what);
      set({ lastExport: { format: what, bytes: bytes.byteLength, check, metrics } });
      return bytes;
    } catch (e) {
      set({ error: describeError(e) });
      return null;
    }
  },
});
