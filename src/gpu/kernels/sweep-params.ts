import { uniformBuffer } from '../dispatch';

export interface SweepShape {
  rows: number;
  n: number;
  groups: number;
  planes: number;
}

/**
 * The Params block plane-product.wgsl and solver-block.wgsl share: the layer's shape, the step's mode,
 * plane and columns, a stride (output row stride, or the history's), and the row tiles per group.
 */
export function sweepParams(
  device: GPUDevice, s: SweepShape, o: { mode: number; plane: number; col0: number; width: number; stride: number; rowsPerTile: number }, label: string,
): { params: GPUBuffer; tiles: number } {
  const rowsPerGroup = s.rows / s.groups;
  const tiles = Math.ceil(rowsPerGroup / o.rowsPerTile);
  const params = uniformBuffer(device, Uint32Array.of(s.rows, s.n, rowsPerGroup, s.planes, o.mode, o.plane, o.col0, o.width, o.stride, tiles, 0, 0), label);
  return { params, tiles };
}
