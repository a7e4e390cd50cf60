import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import { planMixedPrecision } from '../core/quant/mixed-precision';
import type { JobProgress, SensitivityTable } from '../worker/studio.worker';
import { describeError, studioWorker } from './bridge';
import type { MixedSlice, StudioState } from './studio-state';

export type { SensitivityTable };

export const createMixedSlice: StateCreator<StudioState, [], [], MixedSlice> = (set, get) => ({
  sensitivity: null,
  mixedPlan: null,
  measureSensitivity: async () => {
    set({ running: true, progress: null, error: null });
    try {
      const sensitivity = await studioWorker().measureSensitivity(
        get().settings,
        get().compute,
        Comlink.proxy((progress: JobProgress) => set({ progress })),
      );
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
      const plan = planMixedPrecision(model.layers, sensitivity, settings, budgetBits);
      set({
        settings: { ...settings, layers: plan.layers },
        mixedPlan: { budgetBits, averageBits: plan.averageBits, predictedKl: plan.cost },
        error: null,
      });
      return true;
    } catch (e) {
      set({ error: describeError(e) });
      return false;
    }
  },
});
