// Lloyd MSE fit of an activation quantizer's scale (bit-split.md, section 5), one workgroup per
// channel (one channel = a per-tensor fit): s = max / levels, then s = sum x q / sum q^2 with
// q = min(round(x / s), levels), until s repeats (fixed point or 2-cycle) or the cap. Only strictly
// positive values count (unsigned grids), or the magnitudes of nonzero ones (signed, symmetric).

// Params: declared once in src/gpu/kernels/activation-scale.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
// Per channel: scale, iterations (as f32).
@group(0) @binding(2) var<storage, read_write> result: array<f32>;

var<workgroup> sums: array<vec2<f32>, WORKGROUP_SIZE>;
var<workgroup> current: f32;
var<workgroup> finished: u32;

fn magnitude(v: f32) -> f32 {
  return select(v, abs(v), p.signed_grid == 1u);
}

// Tree reduction of sums[]; every invocation must call it.
fn reduce(local: u32) -> vec2<f32> {
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    workgroupBarrier();
    if (local < stride) { sums[local] += sums[local + stride]; }
  }
  workgroupBarrier();
  return sums[0];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let channel = wid.x;
  let base = channel * p.count;
  let levels = f32(p.levels);

  var largest = 0.0;
  for (var i = local; i < p.count; i += WORKGROUP_SIZE) { largest = max(largest, magnitude(values[base + i])); }
  sums[local] = vec2<f32>(largest, 0.0);
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    workgroupBarrier();
    if (local < stride) { sums[local].x = max(sums[local].x, sums[local + stride].x); }
  }
  workgroupBarrier();
  if (local == 0u) {
    current = sums[0].x / levels;
    finished = select(0u, 1u, sums[0].x <= 0.0);
  }
  var previous = -1.0;
  var used = 0u;
  for (var it = 0u; it < p.max_iterations; it++) {
    if (workgroupUniformLoad(&finished) == 1u) { break; }
    let s = current;
    var acc = vec2<f32>(0.0);
    for (var i = local; i < p.count; i += WORKGROUP_SIZE) {
      let v = magnitude(values[base + i]);
      if (v > 0.0) {
        let q = min(levels, round(v / s));
        acc += vec2<f32>(v * q, q * q);
      }
    }
    sums[local] = acc;
    let total = reduce(local);
    used = it + 1u;
    if (local == 0u) {
      let next = total.x / total.y;
      finished = select(0u, 1u, next == s || next == previous);
      current = next;
    }
    previous = s;
  }
  let scale = workgroupUniformLoad(&current);
  if (local == 0u) {
    result[channel * 2u] = scale;
    result[channel * 2u + 1u] = f32(used);
  }
}
