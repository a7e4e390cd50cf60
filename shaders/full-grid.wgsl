// Descent on the full b-bit grid after Bit-Split (full-grid.ts is the float64 reference), one
// invocation per row. The ternary planes reach 2^b - 1 levels; here each code may also reach the
// 2^b-th, on one side or the other (orientation 0: -qmax - 1, orientation 1: qmax + 1). Per
// orientation: G = A q, sweeps that move a code by +-1 when that lowers
// alpha^2 q^T A q - 2 alpha <C, q> by more than MIN_GAIN alpha^2 A_kk, a scale refit after each run of
// sweeps, until a run moves nothing. The row keeps the orientation with the lower objective.

// Params: declared once in src/gpu/kernels/full-grid.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> codes: array<i32>;
@group(0) @binding(4) var<storage, read_write> state: array<RowState>;
// Per row, G = A q and its compensation (2 n floats).
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;
// Per row, the codes of both orientations (2 n).
@group(0) @binding(6) var<storage, read_write> trial: array<i32>;
// Per row: the orientation kept and the codes it moved.
@group(0) @binding(7) var<storage, read_write> outcome: array<vec2<u32>>;

struct Descent { alpha: f32, num: f32, den: f32, objective: f32, moves: u32 }

fn descend(row: u32, ab: u32, gb: u32, qb: u32, lo: i32, hi: i32, alpha0: f32) -> Descent {
  let n = p.n;
  for (var r = 0u; r < n; r++) {
    var acc = vec2<f32>(0.0);
    for (var k = 0u; k < n; k++) { acc = kahan(acc, a[ab + r * n + k] * f32(trial[qb + k])); }
    scratch[gb + r] = acc.x;
    scratch[gb + n + r] = acc.y;
  }
  var alpha = alpha0;
  var moves = 0u;
  var num = 0.0;
  var den = 0.0;
  for (var refit = 0u; refit < p.max_refits; refit++) {
    var moved = 0u;
    for (var sweep = 0u; sweep < p.max_sweeps; sweep++) {
      var moved_in_sweep = 0u;
      for (var k = 0u; k < n; k++) {
        let diag = a[ab + k * n + k];
        let g_k = scratch[gb + k] - scratch[gb + n + k];
        let c_k = c[row * n + k];
        let q = trial[qb + k];
        var best = -p.min_gain * alpha * alpha * diag;
        var step = 0;
        for (var d = -1; d <= 1; d += 2) {
          let fd = f32(d);
          let delta = alpha * alpha * (2.0 * fd * g_k + diag) - 2.0 * alpha * fd * c_k;
          if (q + d >= lo && q + d <= hi && delta < best) {
            best = delta;
            step = d;
          }
        }
        if (step != 0) {
          trial[qb + k] = q + step;
          let fs = f32(step);
          for (var r = 0u; r < n; r++) {
            let g = kahan(vec2<f32>(scratch[gb + r], scratch[gb + n + r]), fs * a[ab + r * n + k]);
            scratch[gb + r] = g.x;
            scratch[gb + n + r] = g.y;
          }
          moved_in_sweep++;
        }
      }
      moved += moved_in_sweep;
      if (moved_in_sweep == 0u) { break; }
    }
    var nsum = vec2<f32>(0.0);
    var dsum = vec2<f32>(0.0);
    for (var r = 0u; r < n; r++) {
      let q = f32(trial[qb + r]);
      nsum = kahan(nsum, c[row * n + r] * q);
      dsum = kahan(dsum, q * (scratch[gb + r] - scratch[gb + n + r]));
    }
    num = nsum.x;
    den = dsum.x;
    if (den > 0.0) { alpha = num / den; }
    moves += moved;
    if (moved == 0u) { break; }
  }
  return Descent(alpha, num, den, alpha * alpha * den - 2.0 * alpha * num, moves);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.rows) { return; }
  var st = state[row];
  let n = p.n;
  let alpha0 = st.alpha / p.unit;
  outcome[row] = vec2<u32>(0u, 0u);
  if (alpha0 == 0.0) { return; }
  let ab = (row / p.rows_per_group) * n * n;
  let gb = row * 2u * n;
  var best = Descent(0.0, 0.0, 0.0, 0.0, 0u);
  var kept = 0u;
  for (var o = 0u; o < 2u; o++) {
    let qb = (row * 2u + o) * n;
    for (var k = 0u; k < n; k++) { trial[qb + k] = codes[row * n + k]; }
    let r = descend(row, ab, gb, qb, -p.qmax - 1 + i32(o), p.qmax + i32(o), alpha0);
    if (o == 0u || r.objective < best.objective) {
      best = r;
      kept = o;
    }
  }
  let qb = (row * 2u + kept) * n;
  for (var k = 0u; k < n; k++) { codes[row * n + k] = trial[qb + k]; }
  st.alpha = best.alpha * p.unit;
  st.num = best.num / p.unit;
  st.den = best.den / (p.unit * p.unit);
  state[row] = st;
  outcome[row] = vec2<u32>(kept, best.moves);
}
