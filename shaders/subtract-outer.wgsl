// Centres summed statistics for bias correction: sums[r, j] -= u[r] * v[(r / rows_per_group) * cols + j] * inv_count.
// Gram matrices: rows = groups * N, u = v = the patches' column sums. Cross products: rows = M, u = the
// targets' sums. Sums of squares of K values become sums of squared deviations from their mean.

// Params: declared once in src/gpu/kernels/subtract-outer.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.row_stride;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let j = i % p.cols;
  // Scaling u first keeps the product in range when both sums are large.
  sums[i] = sums[i] - (u[r] * p.inv_count) * v[(r / p.rows_per_group) * p.cols + j];
}
