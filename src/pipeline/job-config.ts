import { DEFAULT_SETTINGS, type StudioSettings } from '../core/settings';

/** Images per forward pass and per Gram accumulation step: bounds memory, never changes a result. */
export const DEFAULT_BATCH = 32;

/** A run: the studio's settings (the page's, the command line's or a link's) and how many images go through at once. */
export type JobConfig = StudioSettings & { batchSize: number };

export const jobConfigOf = (settings: StudioSettings, batchSize = DEFAULT_BATCH): JobConfig => ({ ...settings, batchSize });

export const DEFAULT_JOB: JobConfig = jobConfigOf(DEFAULT_SETTINGS);
