import entry from '../../../shaders/subtract-outer.wgsl?raw';
import { StudioError } from '../../core/errors';
import type { GpuContext } from '../device';
import { encodePass, linearDispatch, uniformBuffer } from '../dispatch';
import type { PipelineCache } from '../pipelines';
import { wgslStruct } from '../wgsl-struct';

const PARAMS = wgslStruct('Params', { rows: 'u32', cols: 'u32', rows_per_group: 'u32', row_stride: 'u32', inv_count: 'f32' });
const shader = `${PARAMS.wgsl}\n${entry}`;

const WORKGROUP_SIZE = 64;

export interface SubtractOuterArgs {
  /** rows x cols, changed in place. */
  target: GPUBuffer;
  /** One value per row. */
  u: GPUBuffer;
  /** One row of `cols` values per group of `rowsPerGroup` target rows. */
  v: GPUBuffer;
  rows: number;
  cols: number;
  rowsPerGroup: number;
  /** Positions summed: the products are divided by it. */
  count: number;
}

/** Encodes target -= u vᵀ / count (v per group of rows). Returns its params buffer, to destroy after submit. */
export async function encodeSubtractOuter(
  ctx: GpuContext,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  a: SubtractOuterArgs,
): Promise<GPUBuffer> {
  if (!(a.count > 0) || a.rowsPerGroup <= 0 || a.rows % a.rowsPerGroup !== 0) {
    throw new StudioError(
      'InvalidArgumentError',
      `subtract-outer: ${a.rows} rows in groups of ${a.rowsPerGroup} over ${a.count} positions; rows must split into whole groups and the count be positive.`,
    );
  }
  const need = [
    [a.target, a.rows * a.cols, 'target'],
    [a.u, a.rows, 'u'],
    [a.v, (a.rows / a.rowsPerGroup) * a.cols, 'v'],
  ] as const;
  for (const [buffer, entries, what] of need) {
    if (buffer.size < entries * 4)
      throw new StudioError(
        'InvalidArgumentError',
        `subtract-outer: ${what} holds ${buffer.size / 4} values; ${entries} are needed.`,
      );
  }
  const grid = linearDispatch(a.rows * a.cols, WORKGROUP_SIZE);
  const params = uniformBuffer(
    ctx.device,
    PARAMS.pack({
      rows: a.rows,
      cols: a.cols,
      rows_per_group: a.rowsPerGroup,
      row_stride: grid.rowStride,
      inv_count: 1 / a.count,
    }),
    'subtract-outer:params',
  );
  const pipeline = await pipelines.get('subtract-outer', shader, { WORKGROUP_SIZE });
  encodePass(ctx.device, encoder, pipeline, 'subtract-outer', [params, a.u, a.v, a.target], [grid.x, grid.y, 1]);
  return params;
}
