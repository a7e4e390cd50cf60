import { StudioError } from '../core/errors';
import type { RgbaImage } from '../core/preprocess';

/** Decodes a JPEG, PNG or WebP in the worker; EXIF orientation is applied by createImageBitmap. */
export async function decodeImage(blob: Blob, name: string): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'default' });
  } catch {
    throw new StudioError('InvalidArgumentError', `"${name}" is not an image the browser can decode (JPEG, PNG or WebP).`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context)
    throw new StudioError('InvalidArgumentError', 'This browser cannot read pixels in a worker (no OffscreenCanvas 2D).');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
  return { width, height, data };
}
