import { readFileSync } from 'node:fs';
import { loadImageFolder } from '../cli/node-images';
import { parseClasses } from '../core/labels';
import { readModelFile } from '../core/model-summary';
import { presetConfig } from '../core/preprocess';
import { imagesInOrder, shuffledOrder, type ImageSet } from '../pipeline/images';

const demo = new URL('../../public/demo/', import.meta.url);

/** The built-in demo model and its 250 labelled images, as the tests read them. */
export async function loadDemo(): Promise<{ loaded: Awaited<ReturnType<typeof readModelFile>>; images: ImageSet }> {
  const loaded = await readModelFile(new Uint8Array(readFileSync(new URL('model.onnx', demo))), 'model.onnx');
  const classes = parseClasses(readFileSync(new URL('classes.txt', demo), 'utf8'));
  const folder = await loadImageFolder(
    new URL('images', demo).pathname,
    presetConfig('zero1', { width: 28, height: 28, channels: 1 }),
    classes,
  );
  // In a seeded random order, as the page and the CLI draw calibration images: the folder is sorted by
  // class, and a test calibrating on its first images would see only the first classes.
  return { loaded, images: imagesInOrder(folder, shuffledOrder(folder.count, 0)) };
}
