import { describe, expect, it } from 'vitest';
import { preprocessImage, presetConfig, type RgbaImage } from './preprocess';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...pixel(x, y), 255], (y * width + x) * 4);
  return { width, height, data };
}

describe('preprocessing', () => {
  it('same size, zero1: pixel / 255 in NCHW, RGB or BGR', () => {
    const src = image(2, 1, (x) => (x === 0 ? [255, 0, 51] : [0, 255, 102]));
    const c = presetConfig('zero1', { width: 2, height: 1, channels: 3 });
    expect(Array.from(preprocessImage(src, c))).toEqual([1, 0, 0, 1, 0.2, 0.4].map((v) => Math.fround(v)));
    expect(Array.from(preprocessImage(src, { ...c, colorOrder: 'BGR' }))).toEqual(
      [0.2, 0.4, 0, 1, 1, 0].map((v) => Math.fround(v)),
    );
    expect(Array.from(preprocessImage(src, { ...c, layout: 'NHWC' }))).toEqual([1, 0, 0.2, 0, 1, 0.4].map((v) => Math.fround(v)));
  });

  it('imagenet and minus1to1 normalise per channel; greyscale uses luma', () => {
    const src = image(1, 1, () => [255, 255, 255]);
    const imagenet = preprocessImage(src, presetConfig('imagenet', { width: 1, height: 1, channels: 3 }));
    expect(imagenet[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(Array.from(preprocessImage(src, presetConfig('minus1to1', { width: 1, height: 1, channels: 1 })))).toEqual([1]);
    expect(() => presetConfig('caffe', { width: 1, height: 1, channels: 3 })).toThrowError(
      /Unknown preprocessing preset "caffe"; use one of imagenet, minus1to1, zero1/,
    );
  });

  it('resize modes: centre crop keeps the middle, stretch keeps both halves', () => {
    // 4 x 2 image: left half black, right half white.
    const src = image(4, 2, (x) => (x < 2 ? [0, 0, 0] : [255, 255, 255]));
    const base = presetConfig('zero1', { width: 2, height: 2, channels: 1 });
    const crop = preprocessImage(src, { ...base, resize: 'shorter-side-crop' });
    expect(Array.from(crop)).toEqual([0, 1, 0, 1]);
    const stretch = preprocessImage(src, { ...base, resize: 'stretch' });
    expect(stretch[0]).toBeLessThan(0.5);
    expect(stretch[1]).toBeGreaterThan(0.5);
  });

  it('letterbox of a tall image leaves zero bars left and right', () => {
    const src = image(2, 4, () => [255, 255, 255]);
    const out = preprocessImage(src, { ...presetConfig('zero1', { width: 4, height: 4, channels: 1 }), resize: 'letterbox' });
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 1, 1, 0]);
  });
});

describe('RGBA inputs', () => {
  it("feed the image's alpha times the scale as the fourth channel, without mean or std; an opaque image gives 1", () => {
    const data = Uint8Array.of(255, 0, 0, 255, 0, 255, 0, 51);
    const c = presetConfig('imagenet', { width: 2, height: 1, channels: 4 });
    const nchw = preprocessImage({ width: 2, height: 1, data }, c);
    expect(nchw).toHaveLength(8);
    expect(nchw[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(Array.from(nchw.subarray(6))).toEqual([1, 0.2].map(Math.fround));
    const nhwc = preprocessImage(
      { width: 2, height: 1, data },
      { ...presetConfig('zero1', { width: 2, height: 1, channels: 4 }), layout: 'NHWC' },
    );
    expect(Array.from(nhwc)).toEqual([1, 0, 0, 1, 0, 1, 0, 0.2].map(Math.fround));
    // Letterbox bars are transparent.
    const boxed = preprocessImage(
      { width: 1, height: 1, data: Uint8Array.of(255, 255, 255, 255) },
      { ...presetConfig('zero1', { width: 3, height: 1, channels: 4 }), resize: 'letterbox' },
    );
    expect(Array.from(boxed.subarray(9))).toEqual([0, 1, 0]);
  });
});
