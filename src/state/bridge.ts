import * as Comlink from 'comlink';
import type { StudioApi } from '../worker/studio.worker';

let remote: Comlink.Remote<StudioApi> | null = null;

/** The one connection to the studio worker; created on first use. */
export function studioWorker(): Comlink.Remote<StudioApi> {
  if (!remote) {
    const worker = new Worker(new URL('../worker/studio.worker.ts', import.meta.url), { type: 'module', name: 'studio' });
    remote = Comlink.wrap<StudioApi>(worker);
  }
  return remote;
}

/** Comlink keeps only name and message: the studio puts the error's kind in the name. */
export function describeError(e: unknown): { kind: string; message: string } {
  if (e instanceof Error) return { kind: e.name, message: e.message };
  return { kind: 'Error', message: String(e) };
}
