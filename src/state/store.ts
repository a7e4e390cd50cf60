import { create, type StateCreator } from 'zustand';
import type { ModelSummary } from '../core/model-summary';
import type { ComputeChoice, GpuStatus } from '../worker/studio.worker';
import { describeError, onWorkerCrash, studioWorker } from './bridge';
import { sources, type ModelSource } from './sources';
import { createJobSlice, loadDemoImagesInto, setImagesInto } from './job-slice';
import { createMixedSlice } from './mixed-slice';
import type { GpuSlice, ModelSlice, StudioState } from './studio-state';

export * from './job-slice';
export type { SensitivityTable } from './mixed-slice';
export type * from './studio-state';

export type { ComputeChoice, ModelSummary, GpuStatus };
export { inputSizeIsDynamic, nothingToQuantize } from '../core/model-summary';
export { describeImageInput } from '../core/model-input';
export { plannedBits } from '../core/quant/plan';
export { clampSetting, SETTING_KEYS, SETTINGS, type SettingSpec, type TripleSpec } from '../core/settings';
export { averageBits } from '../core/quant/mixed-precision';
export type { LayerInfo } from '../core/layers';

export const DEMO_MODEL = { url: `${import.meta.env.BASE_URL}demo/model.onnx`, name: 'Demo: Fashion-MNIST ResNet (model.onnx)' };

async function loadModelInto(source: ModelSource): Promise<ModelSummary> {
  const summary =
    source === 'demo'
      ? await studioWorker().loadModelFromUrl(new URL(DEMO_MODEL.url, location.href).href, DEMO_MODEL.name)
      : await studioWorker().loadModel(new Uint8Array(await source.file.arrayBuffer()), source.file.name);
  sources.model = source;
  return summary;
}

const createModelSlice: StateCreator<StudioState, [], [], ModelSlice> = (set) => {
  /** A failed load leaves `model` as it was: the error is shown beside the model still loaded. */
  const load = async (label: string, work: () => Promise<ModelSummary>) => {
    set({ loading: label, error: null });
    try {
      const model = await work();
      set((s) => ({
        model,
        loading: null,
        result: null,
        progress: null,
        runs: [],
        selectedLayer: null,
        sensitivity: null,
        mixedPlan: null,
        settings: { ...s.settings, layers: {} },
      }));
    } catch (e) {
      set({ loading: null, error: describeError(e) });
    }
  };
  return {
    model: null,
    loading: null,
    error: null,
    loadFile: (file) => load(file.name, () => loadModelInto({ file })),
    loadDemo: () => load(DEMO_MODEL.name, () => loadModelInto('demo')),
    dismissError: () => set({ error: null }),
    reportError: (error) => set({ error }),
  };
};

const createGpuSlice: StateCreator<StudioState, [], [], GpuSlice> = (set) => ({
  gpu: null,
  checkGpu: async () => set({ gpu: await studioWorker().gpuStatus() }),
  compute: 'auto',
  setCompute: (compute) => set({ compute }),
});

export const useStudio = create<StudioState>()((...a) => ({
  ...createModelSlice(...a),
  ...createGpuSlice(...a),
  ...createJobSlice(...a),
  ...createMixedSlice(...a),
}));

/**
 * A crashed worker: say so, then give a fresh one the model and images again. The settings live on this
 * side and are untouched; the last run's results, which lived in the worker, are gone.
 */
onWorkerCrash((message) => {
  // Until the new worker has them, there are no images to run on: Run stays disabled.
  useStudio.setState({
    error: { kind: 'WorkerCrashedError', message },
    timing: null,
    running: false,
    progress: null,
    result: null,
    lastExport: null,
    images: null,
    imagesLoading: true,
    sensitivity: null,
  });
  void (async () => {
    try {
      if (sources.model) useStudio.setState({ model: await loadModelInto(sources.model) });
      if (sources.images === 'demo') useStudio.setState({ images: await loadDemoImagesInto() });
      else if (sources.images) useStudio.setState({ images: await setImagesInto(sources.images.files) });
      await useStudio.getState().checkGpu();
    } catch (e) {
      useStudio.setState({ error: describeError(e) });
    } finally {
      useStudio.setState({ imagesLoading: false });
    }
  })();
});
