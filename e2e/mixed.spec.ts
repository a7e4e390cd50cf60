import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { screenshotPath } from './helpers';

test("measures each layer's sensitivity, chooses bits under a budget, runs them and shares them", async ({ page, context }) => {
  test.setTimeout(420_000);
  await page.goto('/');
  await expect(page.getByTestId('images-summary')).toContainText('250 images (250 labelled)');
  await page.getByLabel('Weight bits').selectOption('2');
  await page.getByLabel('Calibration images').fill('120');
  await page.getByLabel('Positions per image').fill('16');
  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  await expect(page.getByTestId('progress-text')).toContainText(/sensitivity · layer \d+\/10/);
  const heat = page.getByTestId('sensitivity-table');
  await expect(heat.locator('tbody tr')).toHaveCount(10, { timeout: 300_000 });
  await expect(heat.locator('caption')).toContainText('with only that layer quantized, on 130 images (float');
  await expect(heat.locator('thead th')).toHaveText([
    'Layer',
    'Params',
    '2 bits',
    '3 bits',
    '4 bits',
    '5 bits',
    '6 bits',
    '7 bits',
    '8 bits',
  ]);
  // Every layer at 8 bits keeps (nearly) the float top-1; the classifier at 2 bits costs more output KL than at 8.
  const float = parseFloat((await heat.locator('caption').textContent())!.match(/float (\d+\.\d\d) %/)![1]);
  for (let row = 0; row < 10; row++) {
    const cells = await heat.locator('tbody tr').nth(row).locator('td').allTextContents();
    expect(cells.slice(1).every((c) => /^\d+\.\d$/.test(c))).toBe(true);
    expect(Number(cells[7])).toBeGreaterThan(float - 2);
  }
  const kl = async (row: number, col: number) =>
    Number((await heat.locator('tbody tr').nth(row).locator('td').nth(col).getAttribute('title'))!.match(/KL ([\d.e+-]+)/)![1]);
  expect(await kl(9, 1)).toBeGreaterThan(await kl(9, 7));
  await expect(page.getByRole('figure', { name: 'Output KL divergence per layer' }).locator('.recharts-line')).toHaveCount(3);

  // A budget below anything possible is refused with the reason; the settings stay.
  await page.getByLabel('Budget (bits per weight)').fill('2');
  await page.getByRole('button', { name: 'Choose bits', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText(/below the smallest choice, 2\.\d{3} bits/);
  await expect(page.getByLabel('Bits of /stages/stages.1/conv2/Conv')).toHaveValue('2');

  await page.getByLabel('Budget (bits per weight)').fill('2.5');
  // 77,072 weights x 2.5 bits = 24,085 bytes.
  await expect(page.getByText('A budget of 2.5 bits per weight is 23.5 KiB of weights.')).toBeVisible();
  await page.getByRole('button', { name: 'Choose and run' }).click();
  const plan = page.getByTestId('mixed-plan');
  await expect(plan).toContainText(/Chosen for a budget of 2\.5 bits: 2\.\d{3} bits per weight/);
  const average = parseFloat((await plan.textContent())!.match(/: (2\.\d{3}) bits per weight/)![1]);
  expect(average).toBeLessThanOrEqual(2.5);
  expect(average).toBeGreaterThan(2.3);
  const names = ['/stem/stem.0/Conv', '/fc/Gemm'];
  for (const name of names) await expect(page.getByLabel(`Bits of ${name}`)).toHaveValue('8');
  const chosen = await Promise.all(
    (await page.getByTestId('layer-table').locator('tbody select[aria-label^="Bits of"]').all()).map((s) => s.inputValue()),
  );
  expect(chosen.filter((b) => Number(b) > 2).length).toBeGreaterThan(2);

  const runs = page.getByTestId('runs-table').locator('tbody tr');
  await expect(runs).toHaveCount(1, { timeout: 300_000 });
  // Columns: #, setting, top-1, float top-1, agreement, output SQNR, bits/weight.
  await expect(runs.first().locator('td').nth(6)).toHaveText(average.toFixed(2));
  await expect(
    page.getByRole('figure', { name: 'Size against accuracy of every run' }).locator('.recharts-scatter-symbol'),
  ).toHaveCount(1);
  await page.screenshot({ path: screenshotPath('mixed-precision'), fullPage: true });

  // The report carries the sensitivity table and the chosen bits per layer.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download report (.json)' }).click(),
  ]);
  const report = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(report.sensitivity.layers).toHaveLength(10);
  expect(report.sensitivity.bits).toEqual([2, 3, 4, 5, 6, 7, 8]);
  expect(report.layers.map((l: { wbits: number }) => String(l.wbits))).toEqual(chosen);

  // The share link reproduces the per-layer bits.
  const other = await context.newPage();
  await other.goto(page.url());
  await expect(other.getByTestId('images-summary')).toContainText('250 images');
  const restored = await Promise.all(
    (await other.getByTestId('layer-table').locator('tbody select[aria-label^="Bits of"]').all()).map((s) => s.inputValue()),
  );
  expect(restored).toEqual(chosen);
});
