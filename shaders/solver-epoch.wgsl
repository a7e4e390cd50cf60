// One epoch of Bit-Split and Stitching (bit-split.md, section 4) for every row, one invocation per row;
// or (mode 1) the closing pass: refit the scale if the row stopped at the epoch cap, write the
// stitched codes and <C,S>, S^T A S for the error metrics.
// Per row: S = stitch(planes); G = A S; alpha = <C,S> / <S,G>; then for each plane i (most
// significant first): H = A B_i, AE = G - H / 2^i, a sequential sweep over n in which H is updated only
// when an entry flips, and G = AE + H / 2^i. A row whose epoch changed nothing is at its fixed point.

// Params: declared once in src/gpu/kernels/solver-epoch.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> planes: array<i32>;
// Per row, four vectors of length n: G, H, AE and the compensation of H.
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: array<RowState>;
@group(0) @binding(6) var<storage, read_write> history: array<f32>;
@group(0) @binding(7) var<storage, read_write> codes: array<i32>;

// Stitches S into the H slot (free at that point), computes G = A S and returns (<C,S>, <S,G>).
fn project(row: u32, ab: u32, gb: u32) -> vec2<f32> {
  let sb = gb + p.n;
  for (var k = 0u; k < p.n; k++) {
    var s_k = 0.0;
    for (var i = 0u; i < p.planes; i++) {
      s_k += f32(planes[(row * p.planes + i) * p.n + k]) * exp2(-f32(i));
    }
    scratch[sb + k] = s_k;
  }
  var num = vec2<f32>(0.0);
  var den = vec2<f32>(0.0);
  for (var r = 0u; r < p.n; r++) {
    var acc = vec2<f32>(0.0);
    for (var k = 0u; k < p.n; k++) { acc = kahan(acc, a[ab + r * p.n + k] * scratch[sb + k]); }
    scratch[gb + r] = acc.x;
    num = kahan(num, c[row * p.n + r] * scratch[sb + r]);
    den = kahan(den, scratch[sb + r] * acc.x);
  }
  return vec2<f32>(num.x, den.x);
}

fn finish(row: u32, ab: u32, gb: u32) {
  let nd = project(row, ab, gb);
  var st = state[row];
  if (p.refit == 1u && st.last_flips > 0u && nd.y > 0.0) { st.alpha = nd.x / nd.y; }
  st.num = nd.x;
  st.den = nd.y;
  state[row] = st;
  for (var k = 0u; k < p.n; k++) {
    var q = 0;
    for (var i = 0u; i < p.planes; i++) {
      q += planes[(row * p.planes + i) * p.n + k] << (p.planes - 1u - i);
    }
    codes[row * p.n + k] = q;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.rows) { return; }
  let ab = (row / p.rows_per_group) * p.n * p.n;
  let gb = row * 4u * p.n;
  let hb = gb + p.n;
  let eb = hb + p.n;
  let cb = eb + p.n;
  if (p.mode == 1u) {
    finish(row, ab, gb);
    return;
  }
  var st = state[row];
  if (st.done == 1u) { return; }

  let nd = project(row, ab, gb);
  if (nd.y > 0.0) { st.alpha = nd.x / nd.y; }
  history[row * p.history_stride + st.epochs] = select(0.0, -(nd.x * nd.x) / nd.y, nd.y > 0.0);
  let alpha = st.alpha;

  var flips = 0u;
  for (var i = 0u; i < p.planes; i++) {
    let scale = exp2(-f32(i));
    let coef = alpha * scale;
    let pb = (row * p.planes + i) * p.n;
    for (var r = 0u; r < p.n; r++) {
      var acc = vec2<f32>(0.0);
      for (var k = 0u; k < p.n; k++) { acc = kahan(acc, a[ab + r * p.n + k] * f32(planes[pb + k])); }
      scratch[hb + r] = acc.x;
      scratch[cb + r] = acc.y;
      scratch[eb + r] = scratch[gb + r] - scale * acc.x;
    }
    for (var k = 0u; k < p.n; k++) {
      let diag = a[ab + k * p.n + k];
      let b = planes[pb + k];
      let t = c[row * p.n + k] - alpha * scratch[eb + k];
      let grad = 2.0 * (coef * ((scratch[hb + k] - scratch[cb + k]) - diag * f32(b)) - t);
      let next = select(-i32(sign(grad)), 0, abs(grad) < coef * diag);
      if (next != b) {
        let d = f32(next - b);
        for (var r = 0u; r < p.n; r++) {
          let h = kahan(vec2<f32>(scratch[hb + r], scratch[cb + r]), d * a[ab + r * p.n + k]);
          scratch[hb + r] = h.x;
          scratch[cb + r] = h.y;
        }
        planes[pb + k] = next;
        flips++;
      }
    }
    for (var r = 0u; r < p.n; r++) { scratch[gb + r] = scratch[eb + r] + scale * (scratch[hb + r] - scratch[cb + r]); }
  }
  st.epochs += 1u;
  st.flips += flips;
  st.last_flips = flips;
  st.done = select(0u, 1u, flips == 0u || st.epochs >= p.history_stride);
  state[row] = st;
}
