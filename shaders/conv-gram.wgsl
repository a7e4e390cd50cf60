// Partial Gram matrices A = X^T X of a convolution's input patches, one partial sum per chunk of
// output positions, without building the patch matrix: each patch element is read straight from the
// NCHW input, already zero-padded by pad-input (so no bounds check: on SwiftShader each check in this
// loop multiplies the compile time). Each invocation owns a 4 x 4 tile of A (upper triangle only) and keeps
// it in registers: no workgroup memory, no barriers.

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
// With sampling on, the positions to visit (batch-global indices); otherwise every position in order.
@group(0) @binding(3) var<storage, read> samples: array<u32>;

// tap() and value() come from lib/patch-taps.wgsl.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let tile = gid.x;
  if (tile >= p.tiles * p.tiles) { return; }
  let ti = tile / p.tiles;
  let tj = tile % p.tiles;
  if (ti > tj) { return; }
  let g = gid.y;
  let chunk = gid.z;

  let r0 = tap(g, ti * 4u);
  let r1 = tap(g, ti * 4u + 1u);
  let r2 = tap(g, ti * 4u + 2u);
  let r3 = tap(g, ti * 4u + 3u);
  let c0 = tap(g, tj * 4u);
  let c1 = tap(g, tj * 4u + 1u);
  let c2 = tap(g, tj * 4u + 2u);
  let c3 = tap(g, tj * 4u + 3u);

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
    let a = vec4<f32>(value(r0, image, iy0, ix0), value(r1, image, iy0, ix0),
                      value(r2, image, iy0, ix0), value(r3, image, iy0, ix0));
    let c = vec4<f32>(value(c0, image, iy0, ix0), value(c1, image, iy0, ix0),
                      value(c2, image, iy0, ix0), value(c3, image, iy0, ix0));
    acc0 += a.x * c;
    acc1 += a.y * c;
    acc2 += a.z * c;
    acc3 += a.w * c;
  }

  let out = (chunk * p.groups + g) * p.n * p.n;
  store_row(out, ti * 4u, tj * 4u, acc0);
  store_row(out, ti * 4u + 1u, tj * 4u, acc1);
  store_row(out, ti * 4u + 2u, tj * 4u, acc2);
  store_row(out, ti * 4u + 3u, tj * 4u, acc3);
}

// Straight-line stores: SwiftShader's compiler stalls on a loop over an array of accumulators.
fn store_row(out: u32, k1: u32, k2: u32, v: vec4<f32>) {
  if (k1 >= p.n) { return; }
  let row = out + k1 * p.n + k2;
  if (k2 < p.n) { partial[row] = v.x; }
  if (k2 + 1u < p.n) { partial[row + 1u] = v.y; }
  if (k2 + 2u < p.n) { partial[row + 2u] = v.z; }
  if (k2 + 3u < p.n) { partial[row + 3u] = v.w; }
}
