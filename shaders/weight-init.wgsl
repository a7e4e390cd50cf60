// Per-channel initial quantization of a weight matrix (bit-split.md, section 3), one invocation per
// row: the max-abs step, then (iterations > 0) the Lloyd fit of the step until the codes stop changing.
// Writes the codes, their ternary planes (most significant first) and the row's solver state.

// Params: declared once in src/gpu/kernels/weight-init.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> codes: array<i32>;
@group(0) @binding(3) var<storage, read_write> planes: array<i32>;
@group(0) @binding(4) var<storage, read_write> state: array<RowState>;

// Quantizes the row with `step`; returns whether any code changed. WGSL's round() is half-to-even.
fn quantize(o: u32, step: f32) -> bool {
  let qmax = f32(p.qmax);
  var changed = false;
  for (var k = 0u; k < p.n; k++) {
    let q = i32(clamp(round(w[o + k] / step), -qmax, qmax));
    changed = changed || q != codes[o + k];
    codes[o + k] = q;
  }
  return changed;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.rows) { return; }
  let o = row * p.n;
  var max_abs = 0.0;
  for (var k = 0u; k < p.n; k++) {
    max_abs = max(max_abs, abs(w[o + k]));
    codes[o + k] = 0;
  }
  var step = 0.0;
  var used = 0u;
  if (max_abs > 0.0) {
    step = max_abs / f32(p.qmax);
    quantize(o, step);
    for (var it = 0u; it < p.iterations; it++) {
      var wq = 0.0;
      var qq = 0.0;
      for (var k = 0u; k < p.n; k++) {
        let q = f32(codes[o + k]);
        wq += w[o + k] * q;
        qq += q * q;
      }
      step = wq / qq;
      used = it + 1u;
      if (!quantize(o, step)) { break; }
    }
  }

  for (var k = 0u; k < p.n; k++) {
    let q = codes[o + k];
    var r = u32(abs(q));
    let s = sign(q);
    for (var j = 0u; j < p.planes; j++) {
      planes[(row * p.planes + (p.planes - 1u - j)) * p.n + k] = i32(r & 1u) * s;
      r = r >> 1u;
    }
  }
  let unit = f32(1u << (p.planes - 1u));
  state[row] = RowState(step * unit, 0.0, 0.0, 0u, 0u, 0u, 0u, used);
}
