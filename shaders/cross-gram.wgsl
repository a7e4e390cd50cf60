// Partial sums of C = Y^T X: output channel m of the float targets Y (NCHW) against its group's
// input patches, one partial per chunk of positions. The input is zero-padded already (pad-input), so
// there are no bounds checks. Each invocation owns 4 rows x 4 patch elements in registers.

// Params: declared once in src/gpu/kernels/cross-gram.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<storage, read> samples: array<u32>;

// tap() and value() come from lib/patch-taps.wgsl.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let tile = gid.x;
  if (tile >= p.row_tiles * p.col_tiles) { return; }
  let g = gid.y;
  let chunk = gid.z;
  let local_row = (tile / p.col_tiles) * 4u;
  let col = (tile % p.col_tiles) * 4u;
  // Rows past the group's end are clamped to its last row; their sums are never stored.
  let last = g * p.rows_per_group + p.rows_per_group - 1u;
  let m0 = min(g * p.rows_per_group + local_row, last);
  let m1 = min(g * p.rows_per_group + local_row + 1u, last);
  let m2 = min(g * p.rows_per_group + local_row + 2u, last);
  let m3 = min(g * p.rows_per_group + local_row + 3u, last);
  let t0 = tap(g, col);
  let t1 = tap(g, col + 1u);
  let t2 = tap(g, col + 2u);
  let t3 = tap(g, col + 3u);

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let plane = p.out_h * p.out_w;
  let start = chunk * p.chunk;
  let end = min(start + p.chunk, p.positions);
  for (var i = start; i < end; i++) {
    let pos = select(i, samples[i], p.sampled == 1u);
    let b = pos / plane;
    let rem = pos % plane;
    let iy0 = (rem / p.out_w) * p.stride_h;
    let ix0 = (rem % p.out_w) * p.stride_w;
    let image = b * p.channels * p.height * p.width;
    let xs = vec4<f32>(value(t0, image, iy0, ix0), value(t1, image, iy0, ix0),
                       value(t2, image, iy0, ix0), value(t3, image, iy0, ix0));
    let targets = b * p.rows * plane + rem;
    acc0 += y[targets + m0 * plane] * xs;
    acc1 += y[targets + m1 * plane] * xs;
    acc2 += y[targets + m2 * plane] * xs;
    acc3 += y[targets + m3 * plane] * xs;
  }

  let out = chunk * p.rows * p.n;
  let first = g * p.rows_per_group + local_row;
  store_row(out, first, local_row, col, acc0);
  store_row(out, first + 1u, local_row + 1u, col, acc1);
  store_row(out, first + 2u, local_row + 2u, col, acc2);
  store_row(out, first + 3u, local_row + 3u, col, acc3);
}

fn store_row(out: u32, m: u32, local_row: u32, k: u32, v: vec4<f32>) {
  if (local_row >= p.rows_per_group) { return; }
  let row = out + m * p.n + k;
  if (k < p.n) { partial[row] = v.x; }
  if (k + 1u < p.n) { partial[row + 1u] = v.y; }
  if (k + 2u < p.n) { partial[row + 2u] = v.z; }
  if (k + 3u < p.n) { partial[row + 3u] = v.w; }
}
