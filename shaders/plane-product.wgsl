// The blocked Bit-Split sweep's matrix products (bit-split.md, section 4): for every row of the
// weight matrix and the `width` columns from `col0`,
//   out[row, j] = sum_k v(row, k) * A_g[col0 + j, k]      (A symmetric: A[:, J] = A[J, :]^T)
// where v is built from the row's ternary planes: mode 0 the stitched S = sum_i B_i 2^-i, mode 1 every
// plane but `plane` (what the sweep of that plane holds fixed), mode 2 the plane B_plane itself.
// One workgroup computes a TILE x TILE block of (rows of one group) x columns, streaming k in tiles
// through workgroup memory; sums are compensated (Kahan) because the sweep compares nearly equal numbers.

// Params: declared once in src/gpu/kernels/sweep-params.ts, which prepends its WGSL.

// TILE: declared in src/gpu/kernels/plane-product.ts, which dispatches with it and prepends it.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> planes: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> v_tile: array<array<f32, TILE>, TILE>;
var<workgroup> a_tile: array<array<f32, TILE>, TILE>;

fn v_at(row: u32, k: u32) -> f32 {
  let base = row * p.planes * p.n + k;
  if (p.mode == 2u) { return f32(planes[base + p.plane * p.n]); }
  var s = 0.0;
  for (var i = 0u; i < p.planes; i++) {
    if (p.mode == 1u && i == p.plane) { continue; }
    s += f32(planes[base + i * p.n]) * exp2(-f32(i));
  }
  return s;
}

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  // x: column tiles; y: (group, row tile within the group), so a tile's rows share one Gram matrix.
  let group = wg.y / p.tiles_per_group;
  let row_in_group = (wg.y % p.tiles_per_group) * TILE + lid.y;
  let row = group * p.rows_per_group + row_in_group;
  let row_ok = row_in_group < p.rows_per_group && row < p.rows;
  let j = wg.x * TILE + lid.x;
  let ab = group * p.n * p.n;
  // Row of the A tile this invocation loads: column col0 + wg.x * TILE + lid.y of the output.
  let a_row = p.col0 + wg.x * TILE + lid.y;
  let a_ok = wg.x * TILE + lid.y < p.width;
  var acc = vec2<f32>(0.0);
  for (var k0 = 0u; k0 < p.n; k0 += TILE) {
    let k = k0 + lid.x;
    var v = 0.0;
    if (row_ok && k < p.n) { v = v_at(row, k); }
    var w = 0.0;
    if (a_ok && k < p.n) { w = a[ab + a_row * p.n + k]; }
    v_tile[lid.y][lid.x] = v;
    a_tile[lid.y][lid.x] = w;
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      let y = v_tile[lid.y][kk] * a_tile[lid.x][kk] - acc.y;
      let t = acc.x + y;
      acc = vec2<f32>(t, (t - acc.x) - y);
    }
    workgroupBarrier();
  }
  if (row_ok && j < p.width) { out[row * p.stride + j] = acc.x; }
}
