import { readFileSync } from 'node:fs';
import { loadImageFolder } from '../cli/node-images';
import { parseClasses } from '../core/labels';
import { readModelFile } from '../core/model-summary';
import { presetConfig } from '../core/preprocess';
import type { ImageSet } from './images';

const demo = new URL('../../public/demo/', import.meta.url);

/** The built-in demo model and its 250 labelled images, as the tests read them. */
export async function loadDemo(): Promise<{ loaded: Awaited<ReturnType<typeof readModelFile>>; images: ImageSet }> {
  const loaded = await readModelFile(new Uint8Array(readFileSync(new URL('model.onnx', demo))), 'model.onnx');
  const classes = parseClasses(readFileSync(new URL('classes.txt', demo), 'utf8'));
  const images = await loadImageFolder(new URL('images', demo).pathname, presetConfig('zero1', { width: 28, height: 28, channels: 1 }), classes, 10);
  return { loaded, images };
}
