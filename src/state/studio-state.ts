import type { ModelSummary } from '../core/model-summary';
import type {
  ComputeChoice,
  ExportedModel,
  ExportFormat,
  GpuStatus,
  ImagesSummary,
  JobProgress,
  LatencyProgress,
  PreprocessPreview,
  RunSettings,
  RunSummary,
  SensitivityTable,
} from '../worker/studio.worker';
import type { LayerSetting } from '../core/settings';

/** The store's shape: each slice's file implements its part. */

export interface Notice {
  kind: string;
  message: string;
}

export interface ModelSlice {
  model: ModelSummary | null;
  loading: string | null;
  error: Notice | null;
  loadFile: (file: File) => Promise<void>;
  loadDemo: () => Promise<void>;
  dismissError: () => void;
  reportError: (error: Notice) => void;
}

export interface GpuSlice {
  gpu: GpuStatus | null;
  checkGpu: () => Promise<void>;
  /** Where the solver and onnxruntime run; this machine's choice, so not part of a shared link. */
  compute: ComputeChoice;
  setCompute: (compute: ComputeChoice) => void;
}

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
  setPreset: (preset: RunSettings['preset']) => void;
  addImages: (files: File[]) => Promise<void>;
  loadDemoImages: () => Promise<void>;
  run: () => Promise<void>;
  cancel: () => void;
  /** The last run's files being timed (what and how far), or null. */
  timing: LatencyProgress | null;
  /** Times the float model and the last run's files; the result lands on the run (result and runs). */
  measureLatency: () => Promise<void>;
  /** What the last download was checked against: its format, size and onnxruntime's agreement with the simulation. */
  lastExport: ({ format: ExportFormat; bytes: number } & Omit<ExportedModel, 'bytes'>) | null;
  /** The last run's model or report; null (with the error shown) if there is none. */
  exportFile: (what: ExportFormat | 'report') => Promise<Uint8Array | string | null>;
}

export interface MixedSlice {
  /** Each layer alone at 2..8 bits, measured for the loaded model; null until measured. */
  sensitivity: SensitivityTable | null;
  /** The knapsack's last choice, as applied to the layers' bits. */
  mixedPlan: { budgetBits: number; averageBits: number; predictedKl: number } | null;
  measureSensitivity: () => Promise<void>;
  /** Sets every layer's bits to the cheapest choice under the budget; false (with the reason shown) if there is none. */
  chooseMixedBits: (budgetBits: number) => boolean;
}

export type StudioState = ModelSlice & GpuSlice & JobSlice & MixedSlice;
