// Shared by weight-init, solver-epoch, solver-block and full-grid (appended by their TS kernels).

// Per row of the weight matrix, the solver's state: its scale alpha in the planes' fixed-point units,
// <C,S> and S^T A S of its codes, the epoch loop's counters, the initial fit's iterations.
struct RowState {
  alpha: f32, num: f32, den: f32, last_flips: u32,
  epochs: u32, done: u32, flips: u32, init_iterations: u32,
}

// Compensated (Kahan) addition: (sum, compensation) + v. The sweeps' decisions compare nearly equal
// quantities, so float32 sums must stay close to the float64 reference's or trajectories drift apart.
fn kahan(s: vec2<f32>, v: f32) -> vec2<f32> {
  let y = v - s.y;
  let t = s.x + y;
  return vec2<f32>(t, (t - s.x) - y);
}
