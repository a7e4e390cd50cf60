import { convOutputSize, patchLength, type ConvGeometry } from '../conv-geometry';

/**
 * Visits every output position of one conv group with its input patch (im2col row, zeros outside the
 * image), in the order [batch][oy][ox]. `position` counts from 0 over all images; `only` restricts
 * the visit to those positions (calibration's sampling).
 */
export function forEachPatch(
  input: ArrayLike<number>,
  g: ConvGeometry,
  group: number,
  visit: (patch: Float64Array, position: number) => void,
  only?: ArrayLike<number>,
): void {
  const keep = only ? new Set(Array.from(only)) : null;
  const n = patchLength(g);
  const groupChannels = g.channels / g.groups;
  const { outH, outW } = convOutputSize(g);
  const patch = new Float64Array(n);
  let position = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, position++) {
        if (keep && !keep.has(position)) continue;
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
        visit(patch, position);
      }
    }
  }
}

/** The conv output without bias, NCHW [batch, M, outH, outW], for weights row-major [M, N]. */
export function convReference(input: ArrayLike<number>, weights: ArrayLike<number>, m: number, g: ConvGeometry): Float64Array {
  const n = patchLength(g);
  const { outH, outW } = convOutputSize(g);
  const plane = outH * outW;
  const rowsPerGroup = m / g.groups;
  const out = new Float64Array(g.batch * m * plane);
  for (let group = 0; group < g.groups; group++) {
    forEachPatch(input, g, group, (patch, position) => {
      const b = Math.floor(position / plane);
      const p = position % plane;
      for (let r = group * rowsPerGroup; r < (group + 1) * rowsPerGroup; r++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += weights[r * n + k] * patch[k];
        out[(b * m + r) * plane + p] = acc;
      }
    });
  }
  return out;
}
