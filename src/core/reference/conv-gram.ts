import { convOutputSize, patchLength, type ConvGeometry } from '../conv-geometry';

/**
 * Float64 reference of the conv-gram kernel: builds each patch explicitly (zeros outside the image)
 * and sums its outer product. Returns one row-major N x N matrix per group.
 */
export function convGramReference(input: Float32Array, g: ConvGeometry): Float64Array[] {
  const n = patchLength(g);
  const groupChannels = g.channels / g.groups;
  const { outH, outW } = convOutputSize(g);
  const result = Array.from({ length: g.groups }, () => new Float64Array(n * n));
  const patch = new Float64Array(n);
  for (let group = 0; group < g.groups; group++) {
    const a = result[group];
    for (let b = 0; b < g.batch; b++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let k = 0;
          for (let c = 0; c < groupChannels; c++) {
            const channel = (b * g.channels + group * groupChannels + c) * g.height * g.width;
            for (let i = 0; i < g.kernelH; i++) {
              for (let j = 0; j < g.kernelW; j++, k++) {
                const iy = oy * g.strideH - g.padTop + i * g.dilationH;
                const ix = ox * g.strideW - g.padLeft + j * g.dilationW;
                patch[k] = iy >= 0 && ix >= 0 && iy < g.height && ix < g.width ? input[channel + iy * g.width + ix] : 0;
              }
            }
          }
          for (let r = 0; r < n; r++) {
            const v = patch[r];
            if (v === 0) continue;
            for (let s = 0; s < n; s++) a[r * n + s] += v * patch[s];
          }
        }
      }
    }
  }
  return result;
}
