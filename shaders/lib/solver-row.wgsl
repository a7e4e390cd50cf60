// Shared by weight-init, solver-epoch, solver-block and full-grid (appended by their TS kernels).

// RowState: declared once in src/gpu/kernels/row-state.ts, which the host reads it with.

// Compensated (Kahan) addition: (sum, compensation) + v. The sweeps' decisions compare nearly equal
// quantities, so float32 sums must stay close to the float64 reference's or trajectories drift apart.
fn kahan(s: vec2<f32>, v: f32) -> vec2<f32> {
  let y = v - s.y;
  let t = s.x + y;
  return vec2<f32>(t, (t - s.x) - y);
}
