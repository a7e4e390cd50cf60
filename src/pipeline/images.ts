import { seededRandom } from '../core/random';

/** Preprocessed images the job reads in batches; how they were decoded is the caller's business. */
export interface ImageSet {
  count: number;
  /** Dims of one image as the model takes it, e.g. [1, 28, 28] or [3, 32, 32]. */
  dims: number[];
  image(i: number): Float32Array;
  label(i: number): number | null;
}

export function batchOf(
  set: ImageSet,
  start: number,
  size: number,
): { data: Float32Array; batch: number; labels: (number | null)[] } {
  const batch = Math.min(size, set.count - start);
  const per = set.dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(batch * per);
  const labels: (number | null)[] = [];
  for (let b = 0; b < batch; b++) {
    data.set(set.image(start + b), b * per);
    labels.push(set.label(start + b));
  }
  return { data, batch, labels };
}

/** The first `count` images of a set. */
export function firstImages(set: ImageSet, count: number): ImageSet {
  return { ...set, count: Math.min(count, set.count), image: (i) => set.image(i), label: (i) => set.label(i) };
}

/** The images of a set from `start` on. */
export function imagesFrom(set: ImageSet, start: number): ImageSet {
  return {
    ...set,
    count: Math.max(0, set.count - start),
    image: (i) => set.image(start + i),
    label: (i) => set.label(start + i),
  };
}

/**
 * 0..count-1 in a seeded random order. Image folders often come sorted by class: a calibration subset
 * taken from the front would hold only the first classes.
 */
export function shuffledOrder(count: number, seed: number): number[] {
  const random = seededRandom(seed + 0x5eed);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** The images of a set in the order given (indices into it). */
export function imagesInOrder(set: ImageSet, order: number[]): ImageSet {
  return { ...set, count: order.length, image: (i) => set.image(order[i]), label: (i) => set.label(order[i]) };
}

/**
 * How the page and the CLI split images: calibration on a seeded random `calibImages` of them (folders
 * often come sorted by class), the images after those in the same order held out to score on (null
 * when every image calibrates). Ids index `all`.
 */
export function splitImages(all: ImageSet, calibImages: number, seed: number) {
  const order = shuffledOrder(all.count, seed);
  const calibIds = order.slice(0, Math.min(calibImages, all.count));
  const heldOutIds = order.slice(calibIds.length);
  return {
    calib: imagesInOrder(all, calibIds),
    calibIds,
    heldOut: heldOutIds.length > 0 ? imagesInOrder(all, heldOutIds) : null,
    heldOutIds,
    order,
  };
}
