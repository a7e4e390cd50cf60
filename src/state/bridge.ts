import * as Comlink from 'comlink';
import type { StudioApi } from '../worker/studio.worker';

let worker: Worker | null = null;
let remote: Comlink.Remote<StudioApi> | null = null;
/** Calls in flight: a crash rejects them instead of leaving them waiting forever. */
const inFlight = new Set<(error: Error) => void>();
const crashListeners = new Set<(message: string) => void>();

/** Called with the reason when the worker dies; a fresh worker starts on the next call. */
export function onWorkerCrash(listener: (message: string) => void): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}

function crashed(dead: Worker, event: ErrorEvent | Event) {
  // Only the current worker's death counts: a terminated one may still report its last error.
  if (dead !== worker) return;
  const reason = event instanceof ErrorEvent && event.message ? event.message : 'it stopped without a message';
  worker?.terminate();
  worker = null;
  remote = null;
  const error = Object.assign(new Error(`The studio's worker crashed (${reason}). It was restarted; the settings are kept.`), {
    name: 'WorkerCrashedError',
  });
  for (const reject of inFlight) reject(error);
  inFlight.clear();
  for (const listener of crashListeners) listener(error.message);
}

function connect(): Comlink.Remote<StudioApi> {
  if (!remote) {
    const created = new Worker(new URL('../worker/studio.worker.ts', import.meta.url), { type: 'module', name: 'studio' });
    created.addEventListener('error', (event) => crashed(created, event));
    worker = created;
    remote = Comlink.wrap<StudioApi>(created);
  }
  return remote;
}

/**
 * The one connection to the studio worker; created on first use and again after a crash. Each call
 * either settles or is rejected with a WorkerCrashedError when the worker dies under it.
 */
export function studioWorker(): Comlink.Remote<StudioApi> {
  const target = connect();
  return new Proxy(target, {
    get(t, key) {
      const member = (t as unknown as Record<PropertyKey, unknown>)[key];
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          inFlight.add(reject);
          (member as (...a: unknown[]) => Promise<unknown>)(...args)
            .then(resolve, reject)
            .finally(() => inFlight.delete(reject));
        });
    },
  });
}

/** Comlink keeps only name and message: the studio puts the error's kind in the name. */
export function describeError(e: unknown): { kind: string; message: string } {
  if (e instanceof Error) return { kind: e.name, message: e.message };
  return { kind: 'Error', message: String(e) };
}
