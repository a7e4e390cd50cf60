import { expect, test } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { decodeModel } from '../src/core/onnx/model-io';
import { ModelRunner } from '../src/runtime/ort';
import { screenshotPath } from './helpers';

test('runs the demo at W4A8 with Bit-Split and error compensation: errors fill the table, accuracy appears', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('images-summary')).toContainText('250 images (250 labelled)');
  await expect(page.getByLabel('Preprocessing')).toHaveValue('zero1');
  await page.getByLabel('Weight bits').selectOption('4');
  await page.getByLabel('Activation bits').selectOption('8');
  await page.getByLabel('Calibration images').fill('32');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('progress-text')).toContainText(/layer \d+\/10/);
  await page.screenshot({ path: screenshotPath('run-progress'), fullPage: true });
  await expect(page.getByTestId('top1')).toHaveText(/\d+\.\d\d %/, { timeout: 240_000 });
  const top1 = parseFloat((await page.getByTestId('top1').textContent())!);
  const float = parseFloat((await page.getByTestId('top1-float').textContent())!);
  expect(float).toBeGreaterThan(85);
  await expect(page.getByTestId('scored-on')).toHaveText('Scored on 218 images not used for calibration.');
  expect(top1).toBeGreaterThan(float - 3);
  const rows = page.getByTestId('layer-table').locator('tbody tr');
  await expect(rows).toHaveCount(10);
  // Every quantized layer shows its bits and an output error in scientific notation.
  const cells = await rows.nth(1).locator('td').allTextContents();
  expect(cells).toContain('bitsplit');
  await expect(page.getByLabel('Bits of /stages/stages.0/conv1/Conv')).toHaveValue('4');
  expect(cells.filter((c) => /^\d\.\d\de-\d$/.test(c)).length).toBe(2);
  const [rtn, bitsplit] = cells.filter((c) => /^\d\.\d\de-\d$/.test(c)).map(Number);
  expect(bitsplit).toBeLessThan(rtn);
  await expect(rows.first()).toContainText('float');
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('runs-table')).toContainText('W4A8 bitsplit + EC');
  // Charts: the per-layer errors, and for a selected layer its codes and its solver's progress.
  await expect(page.getByRole('figure', { name: 'Relative output error per layer' }).locator('.recharts-line')).toHaveCount(2);
  await rows.nth(7).click();
  await expect(page.getByRole('figure', { name: 'Weight code histogram' })).toContainText('/stages/stages.2/conv2/Conv (4 bits)');
  await expect(page.getByRole('figure', { name: 'Weight code histogram' }).locator('.recharts-bar-rectangle')).toHaveCount(15);
  await expect(page.getByRole('figure', { name: 'Solver objective per epoch' })).toContainText('epochs');
  await page.screenshot({ path: screenshotPath('run-result'), fullPage: true });

  // One layer to 2 bits, run again: that row changes, the layers its change cannot reach are reused.
  const errorOf = async (row: number) => Number((await rows.nth(row).locator('td').nth(8).textContent()) ?? 'NaN');
  const before = await errorOf(4);
  await page.getByLabel('Bits of /stages/stages.1/conv2/Conv').selectOption('2');
  await expect(page).toHaveURL(/#c=/);
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(2, { timeout: 240_000 });
  await expect(page.getByLabel('Bits of /stages/stages.1/conv2/Conv')).toHaveValue('2');
  expect(await errorOf(4)).toBeGreaterThan(before);
  const time = async (row: number) => (await rows.nth(row).locator('td').nth(11).textContent())?.trim();
  for (const row of [0, 1, 2, 3, 5]) expect(await time(row)).toBe('reused');
  for (const row of [4, 6, 7, 8, 9]) expect(await time(row)).toMatch(/^\d+\.\d\d$/);
  await page.screenshot({ path: screenshotPath('rerun-one-layer'), fullPage: true });

  // Download: the report says what the page showed, and the model runs in onnxruntime.
  const [reportDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report (.json)' }).click()]);
  expect(reportDownload.suggestedFilename()).toBe('model.w4a8.bitsplit-ecaq.report.json');
  const report = JSON.parse(readFileSync(await reportDownload.path(), 'utf8'));
  const top1Now = parseFloat((await page.getByTestId('top1').textContent())!);
  expect(report.metrics.top1.toFixed(2)).toBe(top1Now.toFixed(2));
  expect(report.layers).toHaveLength(10);
  const [modelDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download model (.onnx)' }).click()]);
  const bytes = new Uint8Array(readFileSync(await modelDownload.path()));
  expect(decodeModel(bytes).metadataProps.find((p) => p.key === 'bitsplit.config')?.value).toContain('"wbits":4');
  const runner = await ModelRunner.create(bytes);
  const files = readdirSync('public/demo/images').sort();
  const batch = new Float32Array(files.length * 784);
  files.forEach((f, i) => {
    const png = PNG.sync.read(readFileSync(`public/demo/images/${f}`));
    for (let p = 0; p < 784; p++) batch[i * 784 + p] = png.data[p * 4] / 255;
  });
  const { logits } = await runner.run({ image: { dims: [files.length, 1, 28, 28], data: batch } });
  const correct = files.filter((f, i) => {
    const row = Array.from(logits.data.subarray(i * 10, i * 10 + 10));
    return row.indexOf(Math.max(...row)) === Number(f.split('_')[0]);
  }).length;
  expect((100 * correct) / files.length).toBeGreaterThan(float - 3);
});

test('cancel stops the run between steps and keeps the model, images and settings', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Weight bits').selectOption('3');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('progress-text')).toContainText(/layer \d+\/10/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('alert')).toContainText('Run cancelled');
  await expect(page.getByRole('alert')).toContainText('The run was cancelled; the model and settings are unchanged.');
  await expect(page.getByRole('button', { name: 'Run' })).toBeEnabled();
  await expect(page.getByLabel('Weight bits')).toHaveValue('3');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await expect(page.getByTestId('model-name')).toContainText('Fashion-MNIST');
});
