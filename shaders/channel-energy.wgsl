// Partial sums of diag(Y^T Y): each output channel's energy over a chunk of positions, the ||y_m||^2
// that turns A and C into a relative output error. With SQUARED off, the plain sums 1ᵀY (the target
// means bias correction needs).

// Params: declared once in src/gpu/kernels/channel-energy.ts, which prepends its WGSL.

override WORKGROUP_SIZE: u32 = 64u;
override SQUARED: bool = true;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<storage, read> samples: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = gid.x;
  if (m >= p.rows) { return; }
  let chunk = gid.z;
  let start = chunk * p.chunk;
  let end = min(start + p.chunk, p.positions);
  var sum = 0.0;
  for (var i = start; i < end; i++) {
    let pos = select(i, samples[i], p.sampled == 1u);
    let v = y[((pos / p.plane) * p.rows + m) * p.plane + pos % p.plane];
    sum += select(v, v * v, SQUARED);
  }
  partial[chunk * p.rows + m] = sum;
}
