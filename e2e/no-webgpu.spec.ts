import { expect, test } from '@playwright/test';

test('without WebGPU the studio says so plainly and still quantizes on the CPU', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  expect(await page.evaluate(async () => Boolean(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()))).toBe(
    false,
  );
  await expect(page.getByTestId('gpu-badge')).toContainText('No WebGPU');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Calibration images').fill('16');
  // Asking for the GPU where there is none: a clear refusal, and nothing lost.
  await page.getByLabel('Compute').selectOption('gpu');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByRole('alert')).toContainText('Compute: GPU needs a WebGPU device, and there is none');
  await expect(page.getByRole('alert')).toContainText('Choose Compute: Auto or CPU.');
  await expect(page.getByLabel('Calibration images')).toHaveValue('16');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Compute').selectOption('auto');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('top1')).toHaveText(/\d+\.\d\d %/, { timeout: 180_000 });
  await expect(page.getByTestId('solver')).toHaveText('CPU (float64 reference)');
  await expect(page.getByTestId('forward-passes')).toHaveText('onnxruntime wasm (CPU)');
});
