import { seededRandom } from './random';

/**
 * The output positions of one image that calibration visits: all of them, or `count` distinct ones
 * drawn with a seed that depends on the image's index, so that the same seed gives the same sample
 * on every device and in every batch split. Sorted ascending.
 */
export function samplePositions(plane: number, count: number | undefined, seed: number, imageIndex: number): Uint32Array {
  if (count === undefined || count >= plane) return Uint32Array.from({ length: plane }, (_, i) => i);
  const random = seededRandom((seed * 0x9e3779b1 + imageIndex * 0x85ebca6b) >>> 0);
  // Partial Fisher-Yates over the plane's indices.
  const order = Uint32Array.from({ length: plane }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (plane - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, count).sort();
}

/** Batch-global position indices (image b's positions offset by b * plane) for images first..first+batch-1. */
export function batchPositions(
  plane: number,
  batch: number,
  count: number | undefined,
  seed: number,
  firstImage: number,
): Uint32Array {
  const parts = Array.from({ length: batch }, (_, b) =>
    samplePositions(plane, count, seed, firstImage + b).map((p) => p + b * plane),
  );
  const all = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}
