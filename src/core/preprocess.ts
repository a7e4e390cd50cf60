import { StudioError } from './errors';

/** Decoded pixels, 8-bit RGBA, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export type ResizeMode = 'shorter-side-crop' | 'stretch' | 'letterbox';

export interface PreprocessConfig {
  width: number;
  height: number;
  /** 1 for greyscale models (luma of RGB), 3 for colour, 4 for RGBA (alpha times `scale`, not normalised). */
  channels: 1 | 3 | 4;
  resize: ResizeMode;
  layout: 'NCHW' | 'NHWC';
  colorOrder: 'RGB' | 'BGR';
  /** Pixel values are first multiplied by this (1/255 maps 0..255 to 0..1). */
  scale: number;
  mean: number[];
  std: number[];
}

export const PRESETS = {
  imagenet: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  minus1to1: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  zero1: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
} as const;

export type PresetName = keyof typeof PRESETS;

export function presetConfig(
  name: string,
  size: { width: number; height: number; channels: 1 | 3 | 4 },
  overrides: Partial<PreprocessConfig> = {},
): PreprocessConfig {
  if (!(name in PRESETS)) {
    throw new StudioError(
      'InvalidArgumentError',
      `Unknown preprocessing preset "${name}"; use one of ${Object.keys(PRESETS).join(', ')}.`,
    );
  }
  const p = PRESETS[name as PresetName];
  return {
    ...size,
    resize: 'shorter-side-crop',
    layout: 'NCHW',
    colorOrder: 'RGB',
    scale: p.scale,
    mean: [...p.mean],
    std: [...p.std],
    ...overrides,
  };
}

/** Where output pixel (x, y) samples the source, as an affine map, plus the letterbox's valid box. */
function placement(src: RgbaImage, c: PreprocessConfig) {
  if (c.resize === 'stretch') {
    return { sx: src.width / c.width, sy: src.height / c.height, ox: 0, oy: 0, box: [0, 0, c.width, c.height] };
  }
  const ratio =
    c.resize === 'shorter-side-crop'
      ? Math.max(c.width / src.width, c.height / src.height)
      : Math.min(c.width / src.width, c.height / src.height);
  const w = src.width * ratio;
  const h = src.height * ratio;
  const left = (c.width - w) / 2;
  const top = (c.height - h) / 2;
  return { sx: 1 / ratio, sy: 1 / ratio, ox: -left / ratio, oy: -top / ratio, box: [left, top, left + w, top + h] };
}

/**
 * Resizes (bilinear, pixel centres aligned), converts colour and normalises one image into a float
 * tensor of the model's layout. Pure arithmetic, so the browser and the CLI give identical tensors.
 * Letterbox bars are 0 after normalisation (the dataset mean), and transparent in an RGBA input.
 */
export function preprocessImage(src: RgbaImage, c: PreprocessConfig): Float32Array {
  if (src.width < 1 || src.height < 1)
    throw new StudioError('InvalidArgumentError', `An image of ${src.width} x ${src.height} pixels cannot be used.`);
  const { sx, sy, ox, oy, box } = placement(src, c);
  const out = new Float32Array(c.channels * c.width * c.height);
  const plane = c.width * c.height;
  const px = new Float64Array(4);
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      const inside = x + 0.5 > box[0] && x + 0.5 < box[2] && y + 0.5 > box[1] && y + 0.5 < box[3];
      if (inside) sample(src, (x + 0.5) * sx + ox - 0.5, (y + 0.5) * sy + oy - 0.5, px);
      for (let ch = 0; ch < c.channels; ch++) {
        let v = 0;
        if (inside && ch === 3) {
          // Alpha is coverage, not colour: no mean or std. An image without alpha decodes opaque (1 at scale 1/255).
          v = px[3] * c.scale;
        } else if (inside) {
          const rgb = c.channels === 1 ? 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2] : px[c.colorOrder === 'BGR' ? 2 - ch : ch];
          v = (rgb * c.scale - c.mean[ch]) / c.std[ch];
        }
        out[c.layout === 'NCHW' ? ch * plane + y * c.width + x : (y * c.width + x) * c.channels + ch] = v;
      }
    }
  }
  return out;
}

function sample(src: RgbaImage, fx: number, fy: number, into: Float64Array): void {
  const x0 = Math.min(src.width - 1, Math.max(0, Math.floor(fx)));
  const y0 = Math.min(src.height - 1, Math.max(0, Math.floor(fy)));
  const x1 = Math.min(src.width - 1, x0 + 1);
  const y1 = Math.min(src.height - 1, y0 + 1);
  const tx = Math.min(1, Math.max(0, fx - x0));
  const ty = Math.min(1, Math.max(0, fy - y0));
  for (let ch = 0; ch < 4; ch++) {
    const at = (xx: number, yy: number) => src.data[(yy * src.width + xx) * 4 + ch];
    const top = at(x0, y0) * (1 - tx) + at(x1, y0) * tx;
    const bottom = at(x0, y1) * (1 - tx) + at(x1, y1) * tx;
    into[ch] = top * (1 - ty) + bottom * ty;
  }
}
