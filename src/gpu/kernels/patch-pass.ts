import type { ConvGeometry } from '../../core/conv-geometry';
import { wgslStruct, type StructValues, type WgslScalar } from '../wgsl-struct';

/** Work sizes shared by the kernels that sum over a batch's conv patches. */
export const WORKGROUP_SIZE = 64;
export const TILE = 4;

/**
 * The geometry of one accumulation pass over an already zero-padded input batch: the conv's geometry
 * with height and width of the padded input, and the positions the pass visits.
 */
export type PatchPass = Omit<ConvGeometry, 'batch' | 'padTop' | 'padLeft' | 'padBottom' | 'padRight'> & {
  outH: number;
  outW: number;
  n: number;
  /** Positions visited (all of the batch, or the sampled ones). */
  positions: number;
  chunk: number;
  chunks: number;
  sampled: boolean;
};

/** The patch geometry every patch kernel reads (patch-taps.wgsl's names): the first fields of their Params. */
const GEOMETRY = {
  channels: 'u32',
  height: 'u32',
  width: 'u32',
  group_channels: 'u32',
  out_h: 'u32',
  out_w: 'u32',
  kernel_h: 'u32',
  kernel_w: 'u32',
  stride_h: 'u32',
  stride_w: 'u32',
  dilation_h: 'u32',
  dilation_w: 'u32',
} as const;

/** A patch kernel's Params: the geometry, then its own fields. */
export const patchStruct = <const F extends Record<string, WgslScalar>>(fields: F) =>
  wgslStruct('Params', { ...GEOMETRY, ...fields });

/** The geometry's values for a pass. */
export const geometryValues = (s: PatchPass): StructValues<typeof GEOMETRY> => ({
  channels: s.channels,
  height: s.height,
  width: s.width,
  group_channels: s.channels / s.groups,
  out_h: s.outH,
  out_w: s.outW,
  kernel_h: s.kernelH,
  kernel_w: s.kernelW,
  stride_h: s.strideH,
  stride_w: s.strideW,
  dilation_h: s.dilationH,
  dilation_w: s.dilationW,
});

/** The Params of conv-gram.wgsl and patch-sums.wgsl. */
export const PATCH_PARAMS = patchStruct({
  n: 'u32',
  tiles: 'u32',
  positions: 'u32',
  chunk: 'u32',
  groups: 'u32',
  sampled: 'u32',
});

export function patchParams(s: PatchPass, tiles: number): Uint32Array<ArrayBuffer> {
  return PATCH_PARAMS.pack({
    ...geometryValues(s),
    n: s.n,
    tiles,
    positions: s.positions,
    chunk: s.chunk,
    groups: s.groups,
    sampled: s.sampled ? 1 : 0,
  });
}
