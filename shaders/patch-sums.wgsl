// Partial column sums of a convolution's input patches, 1ᵀX per group, one partial per chunk of output
// positions: the patch means bias correction centres A and C with. Read like conv-gram.wgsl, from the
// zero-padded input, one invocation per patch element.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<storage, read> samples: array<u32>;

// tap() and value() come from lib/patch-taps.wgsl.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= p.n) { return; }
  let g = gid.y;
  let chunk = gid.z;
  let t = tap(g, k);
  let plane = p.out_h * p.out_w;
  let start = chunk * p.chunk;
  let end = min(start + p.chunk, p.positions);
  var sum = 0.0;
  for (var i = start; i < end; i++) {
    let pos = select(i, samples[i], p.sampled == 1u);
    let rem = pos % plane;
    sum += value(t, (pos / plane) * p.channels * p.height * p.width, (rem / p.out_w) * p.stride_h, (rem % p.out_w) * p.stride_w);
  }
  partial[(chunk * p.groups + g) * p.n + k] = sum;
}
