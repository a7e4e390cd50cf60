import { fitActivationGrid, gridError } from './activation-scale';

/**
 * How many times lower the input's squared error is with one grid per channel than with one for the
 * tensor ("auto" folds per-channel scales from CHANNEL_SCALE_GAIN on). Infinity where only per-channel
 * grids are exact; 1 where both are.
 */
export function channelScaleGain(
  channels: readonly ArrayLike<number>[],
  bits: number,
  signed: boolean,
  asymmetric: boolean,
): number {
  const all = channels.flatMap((c) => Array.from(c));
  const perTensor = gridError(all, fitActivationGrid(all, bits, signed, asymmetric));
  const perChannel = channels.reduce((e, c) => e + gridError(c, fitActivationGrid(c, bits, signed, asymmetric)), 0);
  if (perChannel > 0) return perTensor / perChannel;
  return perTensor > 0 ? Infinity : 1;
}

/**
 * "Auto" gives a model's conv inputs one scale per channel where that divides any one's squared error by
 * at least this much. Measured at 4 bits on float inputs: ResNet-20's conv inputs (after ReLU, channels
 * alike) gain 1.1-1.9, where per-channel scales change nothing beyond noise; PP-OCRv4's Hardswish
 * outputs, whose per-tensor grids collapse the model, gain up to 57.
 */
export const CHANNEL_SCALE_GAIN = 4;
