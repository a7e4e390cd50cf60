import { perChannel, type QuantizerValue } from '../onnx/sim-graph';
import { channelIndex } from './plan';
import { roundHalfEven } from './weight-init';

/**
 * The same arithmetic as the simulation graph's Div, Round, Clip, Mul: float32 division, half-even ties.
 * With one scale per channel, `dims` and `axis` say where the channel is; `codes` returns x / s rounded
 * and clipped, what a layer with the scales folded into its weights reads.
 */
export function fakeQuantize(
  x: Float32Array,
  q: QuantizerValue,
  o: { dims?: readonly number[]; axis?: number; codes?: boolean } = {},
): Float32Array {
  const channelOf = channelIndex(q.scale.length, o.dims, o.axis);
  const qmin = perChannel(q.qmin, q.scale.length);
  const qmax = perChannel(q.qmax, q.scale.length);
  return x.map((v, i) => {
    const c = channelOf(i);
    const s = q.scale[c];
    const code = Math.min(qmax[c], Math.max(qmin[c], roundHalfEven(Math.fround(v / s))));
    return o.codes ? code : code * s;
  });
}
