import { expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { hardswishConvModel } from '../src/testing/fixtures';
import { encodeModel } from '../src/core/onnx/model-io';
import { randomArray } from '../src/core/random';
import { dropFiles } from './helpers';

test('per-channel activation scales on Auto: a model with lopsided Hardswish channels gets them at 4-bit activations, and the page says where', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'hardswish.onnx', bytes: encodeModel(hardswishConvModel()) }]);
  await expect(page.getByTestId('model-name')).toHaveText('hardswish.onnx');
  const dir = mkdtempSync(join(tmpdir(), 'bitsplit-noise-'));
  for (let i = 0; i < 40; i++) {
    const pixels = Buffer.from(Array.from(randomArray(12 * 12 * 3, 500 + i, 1), (v) => Math.round((v + 1) * 127.5)));
    await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } })
      .png()
      .toFile(join(dir, `noise-${i}.png`));
  }
  await page.getByLabel('Image folder').setInputFiles(dir);
  await expect(page.getByTestId('images-summary')).toContainText('40 images');
  await expect(page.getByLabel('Per-channel activation scales', { exact: true })).toHaveValue('auto');
  await page.getByLabel('Activation bits').selectOption('4');
  await page.getByLabel('Calibration images').fill('32');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.locator('#results-title')).toContainText('per-channel activation scales', { timeout: 150_000 });
  // The middle conv reads the Hardswish output: a scale and a zero point per channel; the third reads a ReLU output: scales only.
  const row = (name: string) => page.getByTestId('layer-table').locator('tbody tr', { hasText: name });
  await expect(row('middle')).toContainText(/per channel \(4b, zero points \d+–\d+\)/);
  await expect(row('third')).toContainText(/per channel \(4b\)/);

  // Off: one scale per tensor, and the label says nothing of per-channel scales.
  await page.getByLabel('Per-channel activation scales', { exact: true }).selectOption('false');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(row('middle')).toContainText(/\d \(4b, zero point \d+\)/, { timeout: 150_000 });
  await expect(page.locator('#results-title')).not.toContainText('per-channel');
});
