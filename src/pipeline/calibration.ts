import { convOutputSize } from '../core/conv-geometry';
import { layerGeometry, targetsWithoutBias } from '../core/layer-weights';
import type { LayerInfo } from '../core/layers';
import { compensateResidual, type ResidualTarget } from '../core/residual-target';
import { batchOf, type ImageSet } from './images';
import type { Simulator } from './simulator';
import type { Outputs } from '../runtime/ort';
import type { LayerAccumulator, SolverBackend } from './solver-backend';

/** The calibration images, walked in batches: `count` of them, between which a run may be cancelled. */
export interface CalibrationPass {
  sim: Simulator;
  images: ImageSet;
  count: number;
  batchSize: number;
  check: () => Promise<void>;
  /** Seconds spent per stage, summed over calls (the job's report). */
  seconds?: Record<string, number>;
}

/** Runs `work`, adding its seconds to `seconds[stage]`. */
export async function timed<T>(seconds: Record<string, number> | undefined, stage: string, work: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await work();
  } finally {
    if (seconds) seconds[stage] = (seconds[stage] ?? 0) + (performance.now() - t) / 1000;
  }
}

export function batchStarts(pass: Pick<CalibrationPass, 'count' | 'batchSize'>): number[] {
  return Array.from({ length: Math.ceil(pass.count / pass.batchSize) }, (_, i) => i * pass.batchSize);
}

export interface AccumulateOptions {
  /** 'float': the float model's input; 'quantized': what the partly quantized model feeds the layer. */
  mode: 'float' | 'quantized';
  /** Applied to a quantized input before it is accumulated (the layer's own input quantizer). */
  quantizeInput?: (x: Float32Array, dims: readonly number[]) => Float32Array;
  bias: Float32Array | null;
  /** Per batch, the partly quantized model's tensors an earlier pass kept: the layer's (unquantized) input, and its shortcut. */
  cachedInputs?: Outputs[];
  positionsPerImage?: number;
  seed: number;
  /** Aim at the float sum of a residual Add rather than the layer's own float output (quantized mode only). */
  residual?: ResidualTarget | null;
  /** Also sum the means (bias correction). */
  means?: boolean;
  onBatch?: (done: number) => void;
}

/** A, C and diag(YᵀY) of one layer over the calibration images, against the float model's bias-free targets. */
export async function accumulateLayer(
  pass: CalibrationPass,
  layer: LayerInfo,
  backend: SolverBackend,
  o: AccumulateOptions,
): Promise<LayerAccumulator> {
  const { sim, images } = pass;
  let accumulator: LayerAccumulator | null = null;
  try {
    for (const [index, start] of batchStarts(pass).entries()) {
      await pass.check();
      const b = batchOf(images, start, Math.min(pass.batchSize, pass.count - start));
      const feed = { data: b.data, dims: [b.batch, ...images.dims] };
      // On float inputs one run gives input and target.
      const shortcut = o.mode === 'quantized' && o.residual ? [o.residual.shortcut] : [];
      const floatOut = await timed(pass.seconds, 'forward', () =>
        sim.run(feed, 'float', o.mode === 'float' ? [layer.input, layer.output] : [layer.output, ...shortcut]),
      );
      const cached = o.cachedInputs?.[index] ?? {};
      const missing = o.mode === 'float' ? [] : [layer.input, ...shortcut].filter((t) => !cached[t]);
      const quantOut = {
        ...cached,
        ...(missing.length > 0 ? await timed(pass.seconds, 'forward', () => sim.run(feed, 'quantized', missing)) : {}),
      };
      const x = o.mode === 'float' ? floatOut[layer.input] : quantOut[layer.input];
      const geometry = layerGeometry(layer, x.dims);
      const { batch: _batch, ...perImage } = geometry;
      accumulator ??= backend.begin(perImage, layer.m, { positionsPerImage: o.positionsPerImage, seed: o.seed, means: o.means });
      const { outH, outW } = convOutputSize(geometry);
      const output =
        shortcut.length > 0
          ? compensateResidual(
              floatOut[layer.output].data,
              floatOut[shortcut[0]].data,
              quantOut[shortcut[0]].data,
              o.residual!,
              outH * outW,
            )
          : floatOut[layer.output].data;
      const y = targetsWithoutBias(output, layer.m, outH * outW, o.bias);
      const input = o.quantizeInput ? o.quantizeInput(x.data, x.dims) : x.data;
      await timed(pass.seconds, 'accumulate', () => accumulator!.add(input, geometry.batch, y));
      o.onBatch?.(start + b.batch);
    }
    return accumulator!;
  } catch (e) {
    accumulator?.destroy();
    throw e;
  }
}
