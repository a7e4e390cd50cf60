import type { ConvGeometry } from '../../core/conv-geometry';

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

/** The uniform words of conv-gram.wgsl and patch-sums.wgsl (their Params, in shaders/lib/patch-pass.wgsl). */
export function patchParams(s: PatchPass, tiles: number): Uint32Array<ArrayBuffer> {
  return Uint32Array.of(
    s.channels, s.height, s.width, s.channels / s.groups, s.outH, s.outW, s.kernelH, s.kernelW,
    s.strideH, s.strideW, s.dilationH, s.dilationW, 0, 0, s.n, tiles, s.positions, s.chunk, s.groups, s.sampled ? 1 : 0,
  );
}
