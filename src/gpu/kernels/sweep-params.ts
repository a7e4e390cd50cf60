import { uniformBuffer } from '../dispatch';
import { wgslStruct } from '../wgsl-struct';

export interface SweepShape {
  rows: number;
  n: number;
  groups: number;
  planes: number;
}

/**
 * The Params plane-product.wgsl and solver-block.wgsl share: the layer's shape, the step's mode, plane
 * and columns, a stride (the output's row stride, or the history's), and the row tiles per group.
 */
export const SWEEP_PARAMS = wgslStruct('Params', {
  rows: 'u32',
  n: 'u32',
  rows_per_group: 'u32',
  planes: 'u32',
  mode: 'u32',
  plane: 'u32',
  col0: 'u32',
  width: 'u32',
  stride: 'u32',
  tiles_per_group: 'u32',
});

export function sweepParams(
  device: GPUDevice,
  s: SweepShape,
  o: { mode: number; plane: number; col0: number; width: number; stride: number; rowsPerTile: number },
  label: string,
): { params: GPUBuffer; tiles: number } {
  const rowsPerGroup = s.rows / s.groups;
  const tiles = Math.ceil(rowsPerGroup / o.rowsPerTile);
  const params = uniformBuffer(
    device,
    SWEEP_PARAMS.pack({
      rows: s.rows,
      n: s.n,
      rows_per_group: rowsPerGroup,
      planes: s.planes,
      mode: o.mode,
      plane: o.plane,
      col0: o.col0,
      width: o.width,
      stride: o.stride,
      tiles_per_group: tiles,
    }),
    label,
  );
  return { params, tiles };
}
