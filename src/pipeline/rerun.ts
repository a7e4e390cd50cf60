import type { LayerInfo } from '../core/layers';
import type { GraphView } from '../core/onnx/graph';
import { affectedLayers, type LayerPlan } from '../core/quant/plan';
import type { ExecutionProvider } from '../runtime/ort';
import { candidateInputs } from './channel-choice';
import type { JobConfig } from './job-config';
import { resultPlan, type JobResult } from './job-types';

/**
 * What a rerun may take from the run before it, decided here alone. A rerun reuses nothing across other
 * images, other preprocessing, another solver or EP (slightly different numbers) or other global settings;
 * then a layer keeps its result when its own plan is the same and no layer upstream of it changed, and
 * the per-channel choice of 'auto' stands when its candidates are the same.
 */

/** What the images went through: with the images themselves, what decides whether a run's results still apply. */
export interface RunInputs {
  graph: GraphView;
  /** The decoded images, by identity: a new set of images is a new object. */
  images: object;
  /** The preprocessing, serialised. */
  preprocessing: string;
}

export const sameInputs = (a: RunInputs | null | undefined, b: RunInputs): boolean =>
  a !== null && a !== undefined && a.graph === b.graph && a.images === b.images && a.preprocessing === b.preprocessing;

/** The key under which the float model's scores on the scored images stay valid. */
export const scoredSetKey = (
  inputs: RunInputs,
  config: Pick<JobConfig, 'seed' | 'calibImages'>,
  provider: ExecutionProvider,
): string => JSON.stringify([inputs.preprocessing, config.seed, config.calibImages, provider]);

/** Everything but the per-layer plan: when these differ, nothing of a previous run is valid. */
function sameGlobals(a: JobConfig, b: JobConfig): boolean {
  const strip = ({ layers: _l, wbits: _w, ...rest }: JobConfig) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

export interface Reuse {
  /** The previous run, where anything of it may be reused. */
  previous: JobResult;
  /** The per-channel choice on 'auto' that stands; null: choose again. */
  channelTensors: string[] | null;
  /** Which layers of `next` keep their result, given the run's plan. */
  layers(next: LayerPlan[]): Set<number>;
}

/** What this run may take from `previous` (same model, images and preprocessing: the caller's test). */
export function reuseFrom(
  graph: GraphView,
  layers: LayerInfo[],
  previous: JobResult | undefined,
  config: JobConfig,
  run: { backend: string; executionProvider: ExecutionProvider },
): Reuse | null {
  if (!previous || previous.backend !== run.backend || previous.executionProvider !== run.executionProvider) return null;
  if (!sameGlobals(previous.config, config)) return null;
  const candidates = (c: JobConfig) => JSON.stringify([...candidateInputs(graph, layers, c)]);
  return {
    previous,
    channelTensors: candidates(previous.config) === candidates(config) ? previous.channelTensors : null,
    layers: (next) => reusableLayers(graph, resultPlan(graph, layers, previous).plans, next),
  };
}

/**
 * Which layers of a new run can keep the previous run's result: the same plan for the layer, and nothing
 * upstream of it changed. Error compensation makes every layer depend on all the quantized layers before
 * it in the graph, so a change re-solves the changed layer and its descendants.
 */
export function reusableLayers(graph: GraphView, previous: LayerPlan[], next: LayerPlan[]): Set<number> {
  if (previous.length !== next.length) return new Set();
  const same = (a: LayerPlan, b: LayerPlan) =>
    a.bits === b.bits && a.method === b.method && a.skip === b.skip && JSON.stringify(a.input) === JSON.stringify(b.input);
  const changed = new Set(next.filter((p, i) => !same(p, previous[i])).map((p) => p.layer.index));
  const affected = affectedLayers(
    graph,
    next.map((p) => p.layer),
    changed,
  );
  return new Set(next.filter((p) => !affected.has(p.layer.index)).map((p) => p.layer.index));
}
