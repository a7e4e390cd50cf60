// Shared by conv-gram.wgsl and patch-sums.wgsl (appended by their TS kernels): the uniform words that
// patchParams() in src/gpu/kernels/patch-pass.ts writes.

struct Params {
  channels: u32, height: u32, width: u32, group_channels: u32,
  out_h: u32, out_w: u32, kernel_h: u32, kernel_w: u32,
  stride_h: u32, stride_w: u32, dilation_h: u32, dilation_w: u32,
  pad0: u32, pad1: u32, n: u32, tiles: u32,
  positions: u32, chunk: u32, groups: u32, sampled: u32,
}
