import { expect, test } from '@playwright/test';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { decodeModel } from '../src/core/onnx/model-io';
import { preprocessImage, presetConfig } from '../src/core/preprocess';
import { ModelRunner } from '../src/runtime/ort';
import { dropFiles, screenshotPath } from './helpers';

test('runs the demo at W4A8 with Bit-Split and error compensation: errors fill the table, accuracy appears', async ({ page }) => {
  test.setTimeout(300_000);
  // Privacy: nothing the page or its worker fetches may leave the page's origin.
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  const violations: string[] = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  const response = await page.goto('/');
  // The production build sends a Content-Security-Policy (header from the server, and a meta tag in the page).
  expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute(
    'content',
    /script-src 'self' 'wasm-unsafe-eval'/,
  );
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
  await expect(page.getByLabel('Method of /stages/stages.0/conv1/Conv')).toHaveValue('bitsplit');
  await expect(page.getByLabel('Bits of /stages/stages.0/conv1/Conv')).toHaveValue('4');
  expect(cells.filter((c) => /^\d\.\d\de-\d$/.test(c)).length).toBe(2);
  const [rtn, bitsplit] = cells.filter((c) => /^\d\.\d\de-\d$/.test(c)).map(Number);
  expect(bitsplit).toBeLessThan(rtn);
  await expect(rows.first()).toContainText('float');
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('runs-table')).toContainText('W4A8 bitsplit + EC');
  // After the run the float model and both files are timed in this browser's onnxruntime-web: positive
  // medians, and as many integer kernels as the int8 graph allows (the three convs that feed a quantized
  // ReLU, and the classifier); the int4 file dequantizes its 4-bit convs.
  await expect(page.getByTestId('latency-table')).toBeVisible({ timeout: 60_000 });
  for (const variant of ['float', 'int8', 'int4']) {
    const text = (await page.getByTestId(`latency-${variant}-wasm`).textContent())!;
    expect(parseFloat(text)).toBeGreaterThan(0);
    expect(text).toMatch(/ms \(.* ms–.* ms\)/);
  }
  await expect(page.getByTestId('latency-int8').getByTestId('integer-kernels')).toHaveText(
    /^4 of 10 layers \(dequantized where /,
  );
  await expect(page.getByTestId('latency-int4').getByTestId('integer-kernels')).toHaveText(/^1 of 10 layers/);
  await expect(page.getByTestId('run-latency')).toHaveText(/^\d+(\.\d+)? ms$/);
  await page.getByLabel("Chart's x axis").selectOption('latency');
  await expect(page.getByRole('figure', { name: 'Size against accuracy of every run' })).toContainText('int8 latency, wasm (ms)');
  await page.getByLabel("Chart's x axis").selectOption('bits');
  // Charts: the per-layer errors, and for a selected layer its codes and its solver's progress.
  await expect(page.getByRole('figure', { name: 'Relative output error per layer' }).locator('.recharts-line')).toHaveCount(2);
  // The strip: one cell per layer, coloured by its error; a click selects the layer.
  const strip = page.getByTestId('layer-strip').getByRole('button');
  await expect(strip).toHaveCount(10);
  await expect(strip.nth(7)).toHaveAttribute(
    'aria-label',
    /^\/stages\/stages\.2\/conv2\/Conv: 4 bits, relative output error \d\.\d\de-\d$/,
  );
  await rows.nth(7).click();
  await expect(page.getByRole('figure', { name: 'Weight code histogram' })).toContainText('/stages/stages.2/conv2/Conv (4 bits)');
  // 4 bits: codes -7..7, and -8 or 8 where the full grid's rows reach the 16th level.
  await expect(
    page.getByRole('figure', { name: 'Weight code histogram' }).locator('.recharts-bar-rectangle').nth(14),
  ).toBeVisible();
  expect(
    await page.getByRole('figure', { name: 'Weight code histogram' }).locator('.recharts-bar-rectangle').count(),
  ).toBeLessThanOrEqual(17);
  await expect(page.getByRole('figure', { name: 'Solver objective per epoch' })).toContainText('epochs');
  await page.screenshot({ path: screenshotPath('run-result'), fullPage: true });

  // One layer to 2 bits, run again: that row changes, the layers its change cannot reach are reused.
  const errorOf = async (row: number) => Number((await rows.nth(row).locator('td').nth(9).textContent()) ?? 'NaN');
  const before = await errorOf(4);
  await page.getByLabel('Bits of /stages/stages.1/conv2/Conv').selectOption('2');
  await expect(page).toHaveURL(/#c=/);
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(2, { timeout: 240_000 });
  await expect(page.getByLabel('Bits of /stages/stages.1/conv2/Conv')).toHaveValue('2');
  expect(await errorOf(4)).toBeGreaterThan(before);
  const time = async (row: number) => (await rows.nth(row).locator('td').nth(12).textContent())?.trim();
  for (const row of [0, 1, 2, 3, 5]) expect(await time(row)).toBe('reused');
  for (const row of [4, 6, 7, 8, 9]) expect(await time(row)).toMatch(/^\d+\.\d\d$/);
  await page.screenshot({ path: screenshotPath('rerun-one-layer'), fullPage: true });

  // Download: the report says what the page showed, and the model runs in onnxruntime.
  const [reportDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download report (.json)' }).click(),
  ]);
  // One layer at 2 bits: the name carries the average bits per weight, (784 x 8 + 67,072 x 4 + 9,216 x 2) / 77,072.
  expect(reportDownload.suggestedFilename()).toBe('model.w3.80a8.bitsplit-ecaq.report.json');
  const report = JSON.parse(readFileSync(await reportDownload.path(), 'utf8'));
  const top1Now = parseFloat((await page.getByTestId('top1').textContent())!);
  expect(report.metrics.top1.toFixed(2)).toBe(top1Now.toFixed(2));
  expect(report.layers).toHaveLength(10);
  expect(report.evaluation.images).toHaveLength(218);
  // Both QDQ files: checked in the page's onnxruntime, then loaded here, they score exactly what the page shows.
  const pre = presetConfig('zero1', { width: 28, height: 28, channels: 1 });
  const scored = report.evaluation.images as string[];
  const batch = new Float32Array(scored.length * 784);
  scored.forEach((path, i) => batch.set(preprocessImage(PNG.sync.read(readFileSync(`public/demo/${path}`)), pre), i * 784));
  let int4File = new Uint8Array();
  for (const format of ['int8', 'int4']) {
    const button = page.getByRole('button', {
      name: format === 'int8' ? 'Download int8 model (.onnx)' : 'Download int4 model (.onnx, opset 21)',
    });
    const [modelDownload] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(modelDownload.suggestedFilename()).toBe(`model.w3.80a8.bitsplit-ecaq.${format}.onnx`);
    await expect(page.getByTestId('export-check')).toContainText(`${format} file:`);
    await expect(page.getByTestId('export-check')).toContainText('(matches)');
    const bytes = new Uint8Array(readFileSync(await modelDownload.path()));
    if (format === 'int4') int4File = bytes;
    const model = decodeModel(bytes);
    expect(Number(model.opsetImport[0].version)).toBe(format === 'int8' ? 13 : 21);
    expect(model.metadataProps.find((p) => p.key === 'bitsplit.config')?.value).toMatch(/^#c=/);
    const runner = await ModelRunner.create(bytes);
    const { logits } = await runner.run({ image: { dims: [scored.length, 1, 28, 28], data: batch } });
    const correct = scored.filter((path, i) => {
      const row = Array.from(logits.data.subarray(i * 10, i * 10 + 10));
      return row.indexOf(Math.max(...row)) === Number(path.split('/').pop()!.split('_')[0]);
    }).length;
    const fileTop1 = ((100 * correct) / scored.length).toFixed(2);
    expect(fileTop1).toBe(top1Now.toFixed(2));
    await expect(page.getByTestId('export-score')).toContainText(`top-1 ${fileTop1} %`);
  }
  await page.screenshot({ path: screenshotPath('downloads'), fullPage: true });
  const origin = new URL(page.url()).origin;
  expect(requested.length).toBeGreaterThan(250);
  expect(requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
  expect(violations).toEqual([]);

  // The int4 file, opened in the studio: its layers are listed as quantized at their bits, not quantized again.
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'model.int4.onnx', bytes: int4File }]);
  await expect(page.getByTestId('model-name')).toHaveText('model.int4.onnx');
  const stored = page.getByTestId('quantized-in-file').locator('tbody tr');
  await expect(stored).toHaveCount(10);
  await expect(stored.filter({ hasText: '/stages/stages.1/conv2/Conv' })).toHaveText(/Conv\[32 × 32 × 3 × 3\]2INT4$/);
  await expect(stored.nth(0)).toContainText(/8\s*INT8/);
  await expect(page.getByTestId('nothing-to-quantize')).toHaveText(
    /^All 10 quantizable layers are already quantized in this file \(8-bit INT8, 4-bit INT4, 2-bit INT4\)/,
  );
  await expect(page.getByRole('button', { name: 'Run' })).toBeDisabled();
  await page.screenshot({ path: screenshotPath('reopened-int4'), fullPage: true });
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

test('a rerun reuses layers only on the same images, preprocessed the same way', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Calibration images').fill('16');
  await page.getByLabel('Positions per image').fill('32');
  const runs = page.getByTestId('runs-table').locator('tbody tr');
  const rows = page.getByTestId('layer-table').locator('tbody tr');
  const times = async () =>
    Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map(async (r) => (await rows.nth(r).locator('td').nth(12).textContent())?.trim()));
  const run = async (n: number) => {
    await page.getByRole('button', { name: 'Run' }).click();
    await expect(runs).toHaveCount(n, { timeout: 120_000 });
  };
  await run(1);
  // Nothing changed: every layer is reused.
  await run(2);
  expect(await times()).toEqual(Array(9).fill('reused'));
  // Another mean: the same settings otherwise, but other inputs for every layer.
  await page.getByLabel('Mean').fill('0.1, 0.1, 0.1');
  await run(3);
  for (const t of await times()) expect(t).toMatch(/^\d+\.\d\d$/);
  // Other images (here a folder with 40 of the demo's): solved again too.
  const dir = mkdtempSync(join(tmpdir(), 'bitsplit-rerun-'));
  for (const name of readdirSync('public/demo/images').slice(0, 40))
    copyFileSync(join('public/demo/images', name), join(dir, name));
  await page.getByLabel('Image folder').setInputFiles(dir);
  await expect(page.getByTestId('images-summary')).toContainText('40 images');
  await run(4);
  for (const t of await times()) expect(t).toMatch(/^\d+\.\d\d$/);
});
