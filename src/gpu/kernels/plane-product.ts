import entry from '../../../shaders/plane-product.wgsl?raw';
import { preparedDispatch } from '../dispatch';
import { wgslConstants } from '../wgsl-struct';
import { SWEEP_PARAMS, sweepParams, type SweepShape } from './sweep-params';
import type { PipelineCache } from '../pipelines';

/** The tile edge: rows and columns per workgroup. */
export const PRODUCT_TILE = 16;

const shader = `${SWEEP_PARAMS.wgsl}${wgslConstants({ TILE: PRODUCT_TILE })}\n${entry}`;

export type ProductMode = 'stitched' | 'other-planes' | 'plane';
const MODES: Record<ProductMode, number> = { stitched: 0, 'other-planes': 1, plane: 2 };

/**
 * One prepared dispatch of plane-product.wgsl: out[row, j] = sum_k v(row, k) A[col0 + j, k] for the
 * `width` columns from `col0`, v taken from the planes as `mode` says. Bind group built once, reused.
 */
export async function planeProduct(
  device: GPUDevice,
  pipelines: PipelineCache,
  s: SweepShape,
  o: { mode: ProductMode; plane: number; col0: number; width: number; outStride: number },
  b: { a: GPUBuffer; planes: GPUBuffer; out: GPUBuffer },
): Promise<{ encode: (pass: GPUComputePassEncoder) => void; params: GPUBuffer }> {
  const { params, tiles } = sweepParams(
    device,
    s,
    { ...o, mode: MODES[o.mode], stride: o.outStride, rowsPerTile: PRODUCT_TILE },
    `plane-product:${o.mode}:${o.plane}:${o.col0}`,
  );
  const pipeline = await pipelines.get('plane-product', shader);
  return {
    params,
    encode: preparedDispatch(
      device,
      pipeline,
      [params, b.a, b.planes, b.out],
      [Math.ceil(o.width / PRODUCT_TILE), s.groups * tiles, 1],
    ),
  };
}
