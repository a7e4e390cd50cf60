// Adds per-chunk partial sums into a running total kept as a compensated (Kahan) pair. Symmetric
// mode (Gram matrices): only upper triangles were written; each sum is mirrored to the lower one. The pair keeps float32 sums of
// 10^5..10^6 patches close to their float64 value across any number of calibration batches.

// Params: declared once in src/gpu/kernels/gram-reduce.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> total: array<f32>;
@group(0) @binding(3) var<storage, read_write> compensation: array<f32>;

fn kahan_add(index: u32, value: f32) {
  let y = value - compensation[index];
  let t = total[index] + y;
  compensation[index] = (t - total[index]) - y;
  total[index] = t;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.row_stride;
  if (e >= p.entries) { return; }
  let nn = p.n * p.n;
  let within = e % nn;
  let k1 = within / p.n;
  let k2 = within % p.n;
  if (p.symmetric == 1u && k1 > k2) { return; }

  var sum = 0.0;
  var comp = 0.0;
  for (var c = 0u; c < p.chunks; c++) {
    let y = partial[c * p.entries + e] - comp;
    let t = sum + y;
    comp = (t - sum) - y;
    sum = t;
  }
  kahan_add(e, sum);
  if (p.symmetric == 1u && k1 != k2) { kahan_add(e - within + k2 * p.n + k1, sum); }
}
