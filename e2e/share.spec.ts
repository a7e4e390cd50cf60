import { expect, test } from '@playwright/test';
import { encodeSharedConfig } from '../src/core/config-url';
import { DEFAULT_SETTINGS } from '../src/core/settings';

test('the URL carries the configuration; opening it restores it', async ({ page, context }) => {
  await page.goto('/');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Weight bits').selectOption('3');
  await expect(page.getByLabel('Full grid')).toBeChecked();
  await page.getByLabel('Full grid').uncheck();
  await page.getByLabel('Method', { exact: true }).selectOption('mse');
  // It refines Bit-Split's codes: other methods have none to refine.
  await expect(page.getByLabel('Full grid')).toBeDisabled();
  await page.getByLabel('Seed').fill('7');
  await expect(page.getByLabel('Per-channel activation scales', { exact: true })).toHaveValue('auto');
  await page.getByLabel('Per-channel activation scales', { exact: true }).selectOption('true');
  await expect(page.getByLabel('Residual compensation')).not.toBeChecked();
  await page.getByLabel('Residual compensation').check();
  await page.getByLabel('Error compensation').uncheck();
  // It refines error compensation: without it there is nothing to refine.
  await expect(page.getByLabel('Residual compensation')).toBeDisabled();
  await expect(page.getByLabel('Bias correction')).toBeChecked();
  await page.getByLabel('Bias correction').uncheck();
  await page.getByLabel('First/last layers').selectOption('6');
  await page.getByLabel('Epochs (max.)').fill('20');
  await page.getByLabel('Resize').selectOption('letterbox');
  await page.getByLabel('Mean').fill('0.1, 0.2, 0.3');
  await page.getByLabel('Method of /stages/stages.0/conv1/Conv').selectOption('rtn');
  await page.getByLabel('Keep /stages/stages.1/conv1/Conv in float').check();
  await page.getByLabel('Bits of /fc/Gemm').selectOption('5');
  await expect(page).toHaveURL(/#c=[A-Za-z0-9_-]+$/);
  const url = page.url();
  // A reload keeps everything: the address bar carries it.
  await page.reload();
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await expect(page.getByLabel('Weight bits')).toHaveValue('3');
  await expect(page.getByLabel('Bits of /fc/Gemm')).toHaveValue('5');
  expect(page.url()).toBe(url);

  const other = await context.newPage();
  await other.goto(url);
  await expect(other.getByTestId('images-summary')).toContainText('250 images');
  await expect(other.getByLabel('Weight bits')).toHaveValue('3');
  await expect(other.getByLabel('Method', { exact: true })).toHaveValue('mse');
  await expect(other.getByLabel('Seed')).toHaveValue('7');
  await expect(other.getByLabel('Error compensation')).not.toBeChecked();
  await expect(other.getByLabel('Bias correction')).not.toBeChecked();
  await expect(other.getByLabel('Residual compensation')).toBeChecked();
  await expect(other.getByLabel('Per-channel activation scales', { exact: true })).toHaveValue('true');
  await expect(other.getByLabel('Per-channel activation scales', { exact: true })).toBeDisabled();
  await expect(other.getByLabel('Full grid')).not.toBeChecked();
  await expect(other.getByLabel('Preprocessing')).toHaveValue('zero1');
  await expect(other.getByLabel('First/last layers')).toHaveValue('6');
  await expect(other.getByLabel('Epochs (max.)')).toHaveValue('20');
  await expect(other.getByLabel('Resize')).toHaveValue('letterbox');
  await expect(other.getByLabel('Mean')).toHaveValue('0.1, 0.2, 0.3');
  await expect(other.getByLabel('Method of /stages/stages.0/conv1/Conv')).toHaveValue('rtn');
  await expect(other.getByLabel('Keep /stages/stages.1/conv1/Conv in float')).toBeChecked();
  await expect(other.getByLabel('Bits of /stages/stages.1/conv1/Conv')).toBeDisabled();
  await expect(other.getByLabel('Bits of /fc/Gemm')).toHaveValue('5');
  // The first layer follows the first/last rule.
  await expect(other.getByLabel('Bits of /stem/stem.0/Conv')).toHaveValue('6');
  await expect(other.getByRole('alert')).toHaveCount(0);
});

test('a tampered link gets a clear message and the defaults', async ({ page }) => {
  await page.goto('/#c=eJyrVkrLz1eyUkpKLFKqBQAeTQRR');
  await expect(page.getByRole('alert')).toContainText("The link's configuration cannot be used");
  await expect(page.getByLabel('Weight bits')).toHaveValue('4');
  await expect(page.getByTestId('model-name')).toContainText('Fashion-MNIST');
});

test('a link made with another model says so and keeps its settings', async ({ page }) => {
  const text = encodeSharedConfig({
    version: 1,
    model: { name: 'resnet50.onnx', sha256: 'b'.repeat(64) },
    settings: {
      ...DEFAULT_SETTINGS,
      wbits: 2,
      abits: 'float',
      method: 'bitsplit',
      ecaq: true,
      calibImages: 16,
      preset: 'imagenet',
      seed: 1,
    },
  });
  await page.goto(`/#c=${text}`);
  await expect(page.getByRole('alert')).toContainText('A different model');
  await expect(page.getByRole('alert')).toContainText('This link was made with "resnet50.onnx"');
  await expect(page.getByLabel('Weight bits')).toHaveValue('2');
  await expect(page.getByLabel('Activation bits')).toHaveValue('float');
});
