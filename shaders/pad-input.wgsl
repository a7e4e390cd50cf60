// Copies an NCHW tensor into a zero-padded one, so that the kernels after it index without checks.

// Params: declared once in src/gpu/kernels/pad-input.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.row_stride;
  let area = p.out_h * p.out_w;
  if (i >= p.planes * area) { return; }
  let plane = i / area;
  let y = i32((i % area) / p.out_w) - i32(p.pad_top);
  let x = i32(i % p.out_w) - i32(p.pad_left);
  let inside = y >= 0 && x >= 0 && y < i32(p.height) && x < i32(p.width);
  let index = select(0u, (plane * p.height + u32(y)) * p.width + u32(x), inside);
  dst[i] = select(0.0, src[index], inside);
}
