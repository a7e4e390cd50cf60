import { describe, expect, it } from 'vitest';
import { nhwcDetectorModel, rgbaMapModel, twoInputModel } from '../testing/fixtures';
import { describeImageInput, fixedBatchOf, imageInput } from './model-input';
import { GraphView } from './onnx/graph';
import { summarizeGraph } from './model-summary';

const input = (dims: (number | string | null)[], elemType = 'FLOAT') => ({
  inputs: [{ name: 'x', elemType, dims }],
  inputLayoutHint: null,
});

describe('the image input the studio feeds', () => {
  it('reads the layout from where 1, 3 or 4 channels sit, and a fixed batch', () => {
    expect(imageInput(input(['N', 3, 224, 224]))).toMatchObject({
      layout: 'NCHW',
      layoutFrom: 'shape',
      channels: 3,
      height: 224,
      width: 224,
      batch: null,
    });
    expect(imageInput(input([1, 128, 128, 3]))).toMatchObject({ layout: 'NHWC', channels: 3, height: 128, width: 128, batch: 1 });
    expect(imageInput(input([1, 320, 320, 4]))).toMatchObject({ layout: 'NHWC', channels: 4, batch: 1 });
    expect(imageInput(input(['b', 1, 'h', 'w']))).toMatchObject({ layout: 'NCHW', channels: 1, height: null, width: null });
    expect(imageInput(input(['b', 'h', 'w', 3]))).toMatchObject({ layout: 'NHWC', channels: 3 });
  });

  it('where the shape leaves it open, a Transpose right after the input decides; the user may choose', () => {
    const open = { inputs: [{ name: 'x', elemType: 'FLOAT', dims: [1, 3, 4, 3] }], inputLayoutHint: null };
    expect(imageInput(open)).toMatchObject({ layout: 'NCHW', layoutFrom: 'shape' });
    expect(imageInput({ ...open, inputLayoutHint: 'NHWC' })).toMatchObject({
      layout: 'NHWC',
      layoutFrom: 'transpose',
      height: 3,
      width: 4,
    });
    expect(imageInput(open, 'NHWC')).toMatchObject({ layout: 'NHWC', layoutFrom: 'chosen', channels: 3 });
    expect(() => imageInput(input([1, 224, 224, 3]), 'NCHW')).toThrowError(
      'The model\'s input "x" has shape [1, 224, 224, 3]: read as NCHW (as chosen) it has 224 channels; the studio feeds one float32 image input, [N, C, H, W] or [N, H, W, C] with 1 (grey), 3 (colour) or 4 (RGBA) channels.',
    );
  });

  it('refuses, naming the input, its shape and what the studio feeds: several inputs, non-float, not 4-D, other channel counts', () => {
    const feeds =
      'the studio feeds one float32 image input, [N, C, H, W] or [N, H, W, C] with 1 (grey), 3 (colour) or 4 (RGBA) channels.';
    const two = summarizeGraph(new GraphView(twoInputModel()), 'two.onnx', 0, '');
    expect(() => imageInput(two)).toThrowError(
      `The model has 2 inputs ("image" [batch, 3, 8, 8], "mask" [batch, 1, 8, 8]); ${feeds}`,
    );
    expect(() => imageInput(input([1, 3, 8, 8], 'UINT8'))).toThrowError(
      /^The model's input "x" \[1, 3, 8, 8\] is UINT8 \(convert the model to float32 first/,
    );
    expect(() => imageInput(input(['N', 80]))).toThrowError(`The model's input "x" has shape [N, 80], 2 dimensions; ${feeds}`);
    expect(() => imageInput(input([1, 320, 320, 5]))).toThrowError(
      `The model's input "x" has shape [1, 320, 320, 5]: read as NCHW it has 320 channels; ${feeds}`,
    );
    try {
      imageInput(two);
    } catch (e) {
      expect((e as Error).name).toBe('UnsupportedModelError');
    }
    expect(describeImageInput(two, 'auto')).toMatchObject({ refused: true });
  });

  it('finds the Transpose of TF exports, and says what it will feed', () => {
    const detector = summarizeGraph(new GraphView(nhwcDetectorModel()), 'd.onnx', 0, '');
    expect(detector.inputLayoutHint).toBe('NHWC');
    expect(describeImageInput(detector, 'auto')).toEqual({
      text: 'NHWC from the input shape [1, 16, 16, 3]; 3 channels (colour); batch fixed at 1.',
      refused: false,
    });
    const rgba = summarizeGraph(new GraphView(rgbaMapModel()), 'm.onnx', 0, '');
    expect(describeImageInput(rgba, 'auto').text).toBe(
      "NHWC from the input shape [1, 12, 12, 4]; 4 channels (RGBA: the image's alpha, opaque where it has none); batch fixed at 1.",
    );
    expect(fixedBatchOf(rgba.inputs)).toEqual({ input: 'rgba', size: 1 });
    expect(fixedBatchOf(input(['N', 3, 8, 8]).inputs)).toBeNull();
  });
});
