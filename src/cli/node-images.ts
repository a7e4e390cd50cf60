import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { StudioError } from '../core/errors';
import { labelFromPath } from '../core/labels';
import { preprocessImage, type PreprocessConfig } from '../core/preprocess';
import type { ImageSet } from '../pipeline/images';

const IMAGE = /\.(png|jpe?g|webp)$/i;

/** Image files under a folder (sub-folders included, sorted), the rest listed as ignored. */
export function listImages(dir: string): { files: string[]; ignored: string[] } {
  const files: string[] = [];
  const ignored: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else (IMAGE.test(name) ? files : ignored).push(relative(dir, path));
    }
  };
  try {
    walk(dir);
  } catch (e) {
    throw new StudioError(
      'InvalidArgumentError',
      `Cannot read the image folder "${dir}": ${e instanceof Error ? e.message : e}.`,
    );
  }
  return { files, ignored };
}

/**
 * Decodes (JPEG, PNG, WebP; EXIF rotation applied; greyscale and CMYK converted to RGB) and
 * preprocesses every image of a folder up front: images are small next to what the job runs on them.
 */
export async function loadImageFolder(
  dir: string,
  config: PreprocessConfig,
  classes: string[] | null,
): Promise<ImageSet & { files: string[]; ignored: string[] }> {
  const { files, ignored } = listImages(dir);
  if (files.length === 0) {
    throw new StudioError(
      'InvalidArgumentError',
      `The folder "${dir}" holds no JPEG, PNG or WebP image${ignored.length ? ` (only ${ignored.slice(0, 3).join(', ')}${ignored.length > 3 ? ', …' : ''})` : ''}.`,
    );
  }
  const tensors: Float32Array[] = [];
  for (const file of files) {
    try {
      const { data, info } = await sharp(join(dir, file))
        .rotate()
        .toColourspace('srgb')
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      tensors.push(preprocessImage({ width: info.width, height: info.height, data }, config));
    } catch (e) {
      throw new StudioError(
        'InvalidArgumentError',
        `Cannot decode "${file}" in "${dir}": ${e instanceof Error ? e.message : e}.`,
      );
    }
  }
  const labels = files.map((f) => labelFromPath(f, classes));
  const dims =
    config.layout === 'NCHW' ? [config.channels, config.height, config.width] : [config.height, config.width, config.channels];
  return { count: files.length, dims, image: (i) => tensors[i], label: (i) => labels[i], files, ignored };
}
