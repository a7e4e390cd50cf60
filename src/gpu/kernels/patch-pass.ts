/** Work sizes shared by the kernels that sum over a batch's conv patches. */
export const WORKGROUP_SIZE = 64;
export const TILE = 4;

/** The geometry of one accumulation pass over an already zero-padded input batch. */
export interface PatchPass {
  channels: number;
  /** Padded input size. */
  height: number;
  width: number;
  groups: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
  n: number;
  /** Positions visited (all of the batch, or the sampled ones). */
  positions: number;
  chunk: number;
  chunks: number;
  sampled: boolean;
}
