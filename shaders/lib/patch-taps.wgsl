// Shared by conv-gram.wgsl and cross-gram.wgsl (appended by their TS kernels): where a patch element
// sits in the zero-padded NCHW input. Needs `p` (kernel_h, kernel_w, dilation_h, dilation_w, n,
// group_channels, height, width) and the input binding `x` in the including shader.

// Where patch element k of group g sits relative to the patch origin: channel offset, dy, dx.
// Indices past N are clamped to N - 1; their sums are computed and never stored.
fn tap(g: u32, k: u32) -> vec3<i32> {
  let area = p.kernel_h * p.kernel_w;
  let kk = min(k, p.n - 1u);
  let r = kk % area;
  let base = (g * p.group_channels + kk / area) * p.height * p.width;
  return vec3<i32>(i32(base), i32((r / p.kernel_w) * p.dilation_h), i32((r % p.kernel_w) * p.dilation_w));
}

fn value(t: vec3<i32>, image: u32, iy0: u32, ix0: u32) -> f32 {
  return x[image + u32(t.x) + (iy0 + u32(t.y)) * p.width + ix0 + u32(t.z)];
}
