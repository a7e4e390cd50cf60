import { convOutputSize, patchLength, type ConvGeometry } from './conv-geometry';

/**
 * The im2col rows of the given batch-global output positions (ascending), per group: row-major
 * [groups, positions, N], zeros outside the image, in the order of `forEachPatch`. The CPU path hands
 * these to a matrix product instead of visiting one patch at a time.
 */
export function gatherPatches(input: ArrayLike<number>, g: ConvGeometry, positions: ArrayLike<number>): Float32Array {
  const n = patchLength(g);
  const rows = positions.length;
  const groupChannels = g.channels / g.groups;
  const { outH, outW } = convOutputSize(g);
  const plane = outH * outW;
  const imageSize = g.height * g.width;
  const out = new Float32Array(g.groups * rows * n);
  for (let row = 0; row < rows; row++) {
    const position = positions[row];
    const b = Math.floor(position / plane);
    const oy = Math.floor((position % plane) / outW);
    const ox = position % outW;
    for (let group = 0; group < g.groups; group++) {
      let k = (group * rows + row) * n;
      for (let c = 0; c < groupChannels; c++) {
        const channel = (b * g.channels + group * groupChannels + c) * imageSize;
        for (let i = 0; i < g.kernelH; i++) {
          const iy = oy * g.strideH - g.padTop + i * g.dilationH;
          const inside = iy >= 0 && iy < g.height;
          for (let j = 0; j < g.kernelW; j++, k++) {
            const ix = ox * g.strideW - g.padLeft + j * g.dilationW;
            // `out` starts at zero: padding needs no write.
            if (inside && ix >= 0 && ix < g.width) out[k] = input[channel + iy * g.width + ix];
          }
        }
      }
    }
  }
  return out;
}

/**
 * The targets (NCHW [batch, M, plane]) at the same positions, per group: row-major [groups, positions,
 * M / groups], with each channel's energy over them added into `energy`.
 */
export function gatherTargets(
  target: ArrayLike<number>,
  m: number,
  plane: number,
  groups: number,
  positions: ArrayLike<number>,
  energy: Float64Array,
): Float32Array {
  const rows = positions.length;
  const perGroup = m / groups;
  const out = new Float32Array(m * rows);
  for (let row = 0; row < rows; row++) {
    const b = Math.floor(positions[row] / plane);
    const p = positions[row] % plane;
    for (let r = 0; r < m; r++) {
      const y = target[(b * m + r) * plane + p];
      energy[r] += y * y;
      const group = Math.floor(r / perGroup);
      out[(group * rows + row) * perGroup + (r - group * perGroup)] = y;
    }
  }
  return out;
}
