import { StudioError } from './errors';

/** A 2-D convolution's geometry, with padding already resolved (auto_pad included). */
export interface ConvGeometry {
  batch: number;
  channels: number;
  height: number;
  width: number;
  groups: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

export interface ConvAttributes {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** ONNX order: [top, left, bottom, right]. */
  pads: [number, number, number, number];
  autoPad: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  groups: number;
}

/** Resolves auto_pad for one spatial axis as the ONNX spec defines it. */
function samePads(size: number, kernel: number, stride: number, dilation: number, lower: boolean): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - size);
  const small = Math.floor(total / 2);
  return lower ? [total - small, small] : [small, total - small];
}

export function resolveConvGeometry(
  a: ConvAttributes,
  input: { batch: number; channels: number; height: number; width: number },
): ConvGeometry {
  let [padTop, padLeft, padBottom, padRight] = a.pads;
  if (a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') {
    const lower = a.autoPad === 'SAME_LOWER';
    [padTop, padBottom] = samePads(input.height, a.kernel[0], a.strides[0], a.dilations[0], lower);
    [padLeft, padRight] = samePads(input.width, a.kernel[1], a.strides[1], a.dilations[1], lower);
  } else if (a.autoPad === 'VALID') {
    padTop = padLeft = padBottom = padRight = 0;
  }
  if (input.channels % a.groups !== 0) {
    throw new StudioError(
      'InvalidArgumentError',
      `Conv input has ${input.channels} channels, not divisible by group=${a.groups}.`,
    );
  }
  const g: ConvGeometry = {
    ...input,
    groups: a.groups,
    kernelH: a.kernel[0],
    kernelW: a.kernel[1],
    strideH: a.strides[0],
    strideW: a.strides[1],
    dilationH: a.dilations[0],
    dilationW: a.dilations[1],
    padTop,
    padLeft,
    padBottom,
    padRight,
  };
  const { outH, outW } = convOutputSize(g);
  if (outH <= 0 || outW <= 0) {
    throw new StudioError(
      'InvalidArgumentError',
      `Conv output would be ${outH} x ${outW} for a ${input.height} x ${input.width} input.`,
    );
  }
  return g;
}

export function convOutputSize(g: ConvGeometry): { outH: number; outW: number } {
  const outH = Math.floor((g.height + g.padTop + g.padBottom - (g.dilationH * (g.kernelH - 1) + 1)) / g.strideH) + 1;
  const outW = Math.floor((g.width + g.padLeft + g.padRight - (g.dilationW * (g.kernelW - 1) + 1)) / g.strideW) + 1;
  return { outH, outW };
}

/** Reduction length per group: (C / groups) * kh * kw, the N of the weight matrix. */
export function patchLength(g: ConvGeometry): number {
  return (g.channels / g.groups) * g.kernelH * g.kernelW;
}

/** A fully connected layer's input is a conv with a 1 x 1 image and a 1 x 1 kernel. */
export function denseGeometry(rows: number, features: number): ConvGeometry {
  return {
    batch: rows,
    channels: features,
    height: 1,
    width: 1,
    groups: 1,
    kernelH: 1,
    kernelW: 1,
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    padTop: 0,
    padLeft: 0,
    padBottom: 0,
    padRight: 0,
  };
}
