import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import { planMixedPrecision } from '../core/quant/mixed-precision';
import type { JobProgress, SensitivityTable } from '../worker/studio.worker';
import { describeError, studioWorker } from './bridge';
import type { StudioState } from './store';

export type { SensitivityTable };

export interface MixedSlice {
  /** Each layer alone at 2..8 bits, measured for the loaded model; null until measured. */
  sensitivity: SensitivityTable | null;
  /** The knapsack's last choice, as applied to the layers' bits. */
  mixedPlan: { budgetBits: number; averageBits: number; predictedKl: number } | null;
  measureSensitivity: () => Promise<void>;
  /** Sets every layer's bits to the cheapest choice under the budget; false (with the reason shown) if there is none. */
  chooseMixedBits: (budgetBits: number) => boolean;
}

export const createMixedSlice: StateCreator<StudioState, [], [], MixedSlice> = (set, get) => ({
  sensitivity: null,
  mixedPlan: null,
  measureSensitivity: async () => {
    set({ running: true, progress: null, error: null });
    try {
      const sensitivity = await studioWorker().measureSensitivity(get().settings, get().compute, Comlink.proxy((progress: JobProgress) => set({ progress })));
      set({ sensitivity });
    } catch (e) {
      set({ error: describeError(e) });
    } finally {
      set({ running: false });
    }
  },
  chooseMixedBits: (budgetBits) => {
    const { sensitivity, model, settings } = get();
    if (!sensitivity || !model) return false;
    try {
      const plan = planMixedPrecision(model.layers, sensitivity, { firstLastBits: settings.firstLastBits, overrides: settings.layers }, budgetBits);
      set({ settings: { ...settings, layers: plan.overrides }, mixedPlan: { budgetBits, averageBits: plan.averageBits, predictedKl: plan.cost }, error: null });
      return true;
    } catch (e) {
      set({ error: describeError(e) });
      return false;
    }
  },
});
