import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { nhwcDetectorModel, twoInputModel } from '../src/testing/fixtures';
import { decodeModel, encodeModel } from '../src/core/onnx/model-io';
import { ModelRunner } from '../src/runtime/ort';
import { dropFiles, screenshotPath } from './helpers';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('images-summary')).toContainText('250 images (250 labelled)');
});

test("a TF-exported detector (NHWC, batch fixed at 1, two outputs) runs with the demo's labelled images and is measured per output", async ({
  page,
}) => {
  test.setTimeout(240_000);
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'detector.onnx', bytes: encodeModel(nhwcDetectorModel()) }]);
  await expect(page.getByTestId('model-name')).toHaveText('detector.onnx');
  await expect(page.getByTestId('input-layout')).toHaveText(
    'Fed as NHWC from the input shape [1, 16, 16, 3]; 3 channels (colour); batch fixed at 1.',
  );
  await expect(page.getByTestId('preprocess-preview').getByRole('img')).toHaveCount(4);
  await page.getByLabel('Weight bits').selectOption('8');
  await page.getByLabel('Activation bits').selectOption('8');
  await page.getByLabel('Calibration images').fill('16');
  await page.getByRole('button', { name: 'Run' }).click();
  const outputs = page.getByTestId('outputs-table').locator('tbody tr');
  await expect(outputs).toHaveCount(2, { timeout: 180_000 });
  await expect(outputs.nth(0)).toContainText('scores');
  await expect(outputs.nth(0)).toContainText('[1 × 128 × 1]');
  await expect(outputs.nth(1)).toContainText('boxes');
  await expect(outputs.nth(1)).toContainText('[1 × 128 × 4]');
  for (const i of [0, 1]) {
    const sqnr = parseFloat((await outputs.nth(i).getByTestId('output-sqnr').textContent())!);
    expect(sqnr).toBeGreaterThan(20);
  }
  await expect(page.getByTestId('model-sqnr')).toHaveText(/^\d+\.\d dB$/);
  // A detector has no class scores: no top-1 or agreement, and the folder's labels are set aside with a note, not refused.
  await expect(page.getByTestId('top1')).toHaveCount(0);
  await expect(page.getByTestId('agreement')).toHaveCount(0);
  await expect(page.getByTestId('labels-note')).toHaveText(
    '234 labelled images: labels ignored, as no output of the model reads as class scores ([N, C]).',
  );
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByTestId('run-sqnr')).toHaveText(/^\d+\.\d dBscores \d+\.\d dB · boxes \d+\.\d dB$/);
  await page.screenshot({ path: screenshotPath('detector-result'), fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download int8 model (.onnx)' }).click(),
  ]);
  await expect(page.getByTestId('export-check')).toContainText('(matches)');
  await expect(page.getByTestId('export-score')).toContainText(/output SQNR \d+\.\d dB on the 234 scored images/);
  const bytes = new Uint8Array(readFileSync(await download.path()));
  expect(decodeModel(bytes).graph!.node.some((n) => n.opType === 'DequantizeLinear')).toBe(true);
  const runner = await ModelRunner.create(bytes);
  const out = await runner.run({ image: { dims: [1, 16, 16, 3], data: new Float32Array(768).fill(0.5) } });
  expect(out.scores.dims).toEqual([1, 128, 1]);
  expect(out.boxes.dims).toEqual([1, 128, 4]);
  await runner.release();
});

test('a model with two inputs is refused at Run with what the studio feeds; the model, images and settings stay', async ({
  page,
}) => {
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'two-inputs.onnx', bytes: encodeModel(twoInputModel()) }]);
  await expect(page.getByTestId('model-name')).toHaveText('two-inputs.onnx');
  const why =
    'The model has 2 inputs ("image" [batch, 3, 8, 8], "mask" [batch, 1, 8, 8]); the studio feeds one float32 image input, [N, C, H, W] or [N, H, W, C] with 1 (grey), 3 (colour) or 4 (RGBA) channels.';
  await expect(page.getByTestId('input-layout')).toHaveText(why);
  await page.getByLabel('Weight bits').selectOption('3');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByRole('alert')).toContainText('Model not supported');
  await expect(page.getByRole('alert')).toContainText(why);
  await expect(page.getByRole('alert')).toContainText('Still loaded: two-inputs.onnx.');
  await expect(page.getByTestId('images-summary')).toContainText('250 images (250 labelled)');
  await expect(page.getByLabel('Weight bits')).toHaveValue('3');
});
