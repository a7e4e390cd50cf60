// The blocked Bit-Split sweep (bit-split.md, section 4), one invocation per row, in three modes:
//   0 begin an epoch: alpha = <C,S> / S^T A S from G = A S (plane-product mode 0), history;
//   1 sweep one block of BLOCK columns of plane `plane`: H = A B_plane on the block's columns and
//     AE = A (S - B_plane 2^-plane) come from plane-product; the sequential decisions run on H held in
//     registers and the block's own A[J, J] in workgroup memory, updated only when an entry flips;
//   2 end an epoch: count it; a row whose epoch changed nothing is at its fixed point.
// Mathematically the plain sweep (solver-epoch.wgsl) step for step: the same decisions in the same order.

// Params: declared once in src/gpu/kernels/sweep-params.ts, which prepends its WGSL.

// BLOCK and WORKGROUP_SIZE: declared in src/gpu/kernels/solver-block.ts, which dispatches with them and prepends them.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> planes: array<i32>;
@group(0) @binding(4) var<storage, read_write> state: array<RowState>;
@group(0) @binding(5) var<storage, read_write> history: array<f32>;
// G (mode 0) or AE (mode 1), row-major M x n, and H on the block, M x BLOCK.
@group(0) @binding(6) var<storage, read> product: array<f32>;
@group(0) @binding(7) var<storage, read> h_block: array<f32>;
// Flips of the current epoch so far, per row.
@group(0) @binding(8) var<storage, read_write> epoch_flips: array<u32>;

var<workgroup> a_block: array<array<f32, BLOCK>, BLOCK>;

fn stitched(row: u32, k: u32) -> f32 {
  var s = 0.0;
  for (var i = 0u; i < p.planes; i++) { s += f32(planes[(row * p.planes + i) * p.n + k]) * exp2(-f32(i)); }
  return s;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  // y: (group, tile of rows within it): every row of a workgroup shares one Gram matrix.
  let group = wg.y / p.tiles_per_group;
  let row_in_group = (wg.y % p.tiles_per_group) * WORKGROUP_SIZE + lid.x;
  let row = group * p.rows_per_group + row_in_group;
  let row_ok = row_in_group < p.rows_per_group && row < p.rows;
  let ab = group * p.n * p.n;

  if (p.mode == 1u) {
    // The block's A[J, J], loaded once by the workgroup (uniform control flow for the barrier).
    for (var e = lid.x; e < BLOCK * BLOCK; e += WORKGROUP_SIZE) {
      let r = e / BLOCK;
      let q = e % BLOCK;
      var v = 0.0;
      if (r < p.width && q < p.width) { v = a[ab + (p.col0 + r) * p.n + p.col0 + q]; }
      a_block[r][q] = v;
    }
    workgroupBarrier();
  }
  if (!row_ok) { return; }
  var st = state[row];
  if (st.done == 1u) { return; }

  if (p.mode == 0u) {
    var num = vec2<f32>(0.0);
    var den = vec2<f32>(0.0);
    for (var k = 0u; k < p.n; k++) {
      let s = stitched(row, k);
      num = kahan(num, c[row * p.n + k] * s);
      den = kahan(den, s * product[row * p.n + k]);
    }
    if (den.x > 0.0) { st.alpha = num.x / den.x; }
    history[row * p.stride + st.epochs] = select(0.0, -(num.x * num.x) / den.x, den.x > 0.0);
    state[row] = st;
    epoch_flips[row] = 0u;
    return;
  }

  if (p.mode == 2u) {
    let flips = epoch_flips[row];
    st.epochs += 1u;
    st.flips += flips;
    st.last_flips = flips;
    st.done = select(0u, 1u, flips == 0u || st.epochs >= p.stride);
    state[row] = st;
    return;
  }

  let alpha = st.alpha;
  let scale = exp2(-f32(p.plane));
  let coef = alpha * scale;
  let pb = (row * p.planes + p.plane) * p.n;
  var h: array<f32, BLOCK>;
  for (var j = 0u; j < p.width; j++) { h[j] = h_block[row * BLOCK + j]; }
  var flips = 0u;
  for (var j = 0u; j < p.width; j++) {
    let k = p.col0 + j;
    let diag = a_block[j][j];
    let b = planes[pb + k];
    let t = c[row * p.n + k] - alpha * product[row * p.n + k];
    let grad = 2.0 * (coef * (h[j] - diag * f32(b)) - t);
    let next = select(-i32(sign(grad)), 0, abs(grad) < coef * diag);
    if (next != b) {
      let d = f32(next - b);
      for (var r = 0u; r < p.width; r++) { h[r] += d * a_block[r][j]; }
      planes[pb + k] = next;
      flips++;
    }
  }
  epoch_flips[row] += flips;
}
