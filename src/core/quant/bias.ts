import { roundHalfEven } from './weight-init';

/** A bias as int32 codes with scale = input scale x weight scale per channel, and the values they stand for. */
export interface QuantizedBias {
  codes: Int32Array;
  scales: Float32Array;
  values: Float32Array;
}

/**
 * A layer's bias as a run leaves it: int32 codes where the layer's input and weight are quantized,
 * otherwise float values (a bias moved by bias correction on a layer that reads float input).
 */
export type LayerBias = QuantizedBias | { values: Float32Array; codes?: undefined; scales?: undefined };

const INT32_MAX = 2 ** 31 - 1;

/**
 * Quantizes a bias the way QDQ runtimes do (onnxruntime's quantizer and its WeightBiasQuantization
 * pass): scale = fround(input scale x weight scale), code = round-half-even(fround(b / scale)), and the
 * value a DequantizeLinear gives back, fround(fround(code) x scale). The studio simulates these values,
 * so its figures are the exported model's.
 */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): QuantizedBias {
  const scales = Float32Array.from(weightScales, (w) => inputScale * w);
  const codes = new Int32Array(bias.length);
  const values = new Float32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = scales[c];
    codes[c] = s > 0 ? Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, roundHalfEven(Math.fround(bias[c] / s)))) : 0;
    values[c] = Math.fround(codes[c]) * s;
  }
  return { codes, scales, values };
}
