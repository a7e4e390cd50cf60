import { expect, test } from '@playwright/test';

test('without WebGPU the studio says so plainly and still quantizes on the CPU', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  expect(await page.evaluate(async () => Boolean(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()))).toBe(false);
  await expect(page.getByTestId('gpu-badge')).toContainText('No WebGPU');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Calibration images').fill('16');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('top1')).toHaveText(/\d+\.\d\d %/, { timeout: 180_000 });
  await expect(page.getByText('CPU (float64 reference)')).toBeVisible();
});
