import { wgslStruct } from '../wgsl-struct';

/**
 * Per row of the weight matrix, the solver's state, shared by weight-init, solver-epoch, solver-block and
 * full-grid: its scale alpha in the planes' fixed-point units, <C,S> and S^T A S of its codes, the epoch
 * loop's counters, the initial fit's iterations.
 */
export const ROW_STATE = wgslStruct('RowState', {
  alpha: 'f32',
  num: 'f32',
  den: 'f32',
  last_flips: 'u32',
  epochs: 'u32',
  done: 'u32',
  flips: 'u32',
  init_iterations: 'u32',
});
