import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { mixedLayersModel } from '../src/core/fixtures';
import { encodeModel } from '../src/core/onnx/model-io';
import { dropFiles, screenshotPath } from './helpers';

const demoLayerCount = 10;
const rows = (page: import('@playwright/test').Page) => page.getByTestId('layer-table').locator('tbody tr');

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toContainText('Fashion-MNIST');
});

test('opens with the demo model and its layer inventory, on a WebGPU adapter that passes the kernel self-test', async ({ page }) => {
  await expect(rows(page)).toHaveCount(demoLayerCount);
  await expect(page.getByTestId('layer-count')).toHaveText(String(demoLayerCount));
  await expect(rows(page).first()).toContainText('Conv');
  await expect(rows(page).first()).toContainText('16 × 1 × 3 × 3');
  await expect(rows(page).last()).toContainText('Gemm');
  await expect(page.getByTestId('model-sha')).toHaveText(/^[0-9a-f]{64}$/);
  await expect(page.getByTestId('gpu-badge')).toContainText('self-test passed', { timeout: 120_000 });
  await expect(page.getByTestId('gpu-badge')).toContainText('swiftshader');
  await page.screenshot({ path: screenshotPath('demo-loaded'), fullPage: true });
});

test('dropping another model replaces the demo', async ({ page }) => {
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'mixed-layers.onnx', bytes: encodeModel(mixedLayersModel()) }]);
  await expect(page.getByTestId('model-name')).toHaveText('mixed-layers.onnx');
  await expect(rows(page)).toHaveCount(4);
  await expect(rows(page).nth(1)).toContainText('depthwise');
  await expect(rows(page).nth(1)).toContainText('Constant node');
  await expect(rows(page).nth(3)).toContainText('MatMul');
  await page.screenshot({ path: screenshotPath('fixture-dropped'), fullPage: true });
});

test('a corrupt model file gets a clear message and the previous model stays loaded', async ({ page }) => {
  const demo = readFileSync('public/demo/model.onnx');
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'broken.onnx', bytes: demo.subarray(0, 5000) }]);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('not a valid ONNX model');
  await expect(alert).toContainText('truncated');
  await expect(alert).toContainText('Still loaded: Demo: Fashion-MNIST ResNet');
  await expect(page.getByTestId('model-name')).toContainText('Fashion-MNIST');
  await expect(rows(page)).toHaveCount(demoLayerCount);
  await page.screenshot({ path: screenshotPath('corrupt-file'), fullPage: true });
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toHaveCount(0);
});

test('a file that is not .onnx is refused with the reason', async ({ page }) => {
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'notes.txt', bytes: new TextEncoder().encode('hello') }]);
  await expect(page.getByRole('alert')).toContainText('None of the dropped files is an .onnx model or an image (got notes.txt)');
  await expect(rows(page)).toHaveCount(demoLayerCount);
});

test('the file picker opens a model, and the table sorts by a column', async ({ page }) => {
  await page.getByLabel('ONNX model file').setInputFiles({
    name: 'picked.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeModel(mixedLayersModel())),
  });
  await expect(page.getByTestId('model-name')).toHaveText('picked.onnx');
  await page.getByRole('button', { name: 'Parameters' }).click();
  await expect(rows(page).first()).toContainText('proj');
  await page.getByRole('button', { name: /Parameters/ }).click();
  await expect(rows(page).first()).toContainText('conv1');
});
