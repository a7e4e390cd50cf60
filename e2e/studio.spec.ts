import { expect, test } from '@playwright/test';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { mixedLayersModel } from '../src/testing/fixtures';
import { encodeModel } from '../src/core/onnx/model-io';
import { makeValueInfo } from '../src/core/onnx/builder';
import { dropFiles, screenshotPath } from './helpers';

const demoLayerCount = 10;
const rows = (page: import('@playwright/test').Page) => page.getByTestId('layer-table').locator('tbody tr');

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toContainText('Fashion-MNIST');
});

test('opens with the demo model and its layer inventory, on a WebGPU adapter that passes the kernel self-test', async ({
  page,
}) => {
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
    name: 'picked.onnx',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(encodeModel(mixedLayersModel())),
  });
  await expect(page.getByTestId('model-name')).toHaveText('picked.onnx');
  await page.getByRole('button', { name: 'Parameters' }).click();
  await expect(rows(page).first()).toContainText('proj');
  await page.getByRole('button', { name: /Parameters/ }).click();
  await expect(rows(page).first()).toContainText('conv1');
});

test('the preprocessing preview shows the images as the model sees them, and follows the preset', async ({ page }) => {
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  const preview = page.getByTestId('preprocess-preview');
  await expect(preview.getByRole('img')).toHaveCount(4);
  await expect(preview).toContainText('28 × 28, height × width');
  await expect(page.getByTestId('preview-ranges')).toHaveText(/^0\.00 … 1\.00$/);
  await page.getByLabel('Preprocessing').selectOption('imagenet');
  await expect(page.getByLabel('Mean')).toHaveValue('0.485, 0.456, 0.406');
  await expect(page.getByTestId('preview-ranges')).toHaveText(/^-2\.\d\d … 2\.\d\d$/);
  await page.getByLabel('Std').fill('0, 1, 1');
  await expect(page.getByText('three numbers above 0')).toBeVisible();
  await page.screenshot({ path: screenshotPath('preprocess-preview'), fullPage: true });
});

test('every control has a name, the keyboard reaches the table, and text has at least 4.5:1 contrast', async ({ page }) => {
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('button, input, select')]
      .filter((el) => {
        const e = el as HTMLInputElement;
        if (e.type === 'hidden' || e.hidden) return false;
        const labelled = e.labels && e.labels.length > 0;
        return !labelled && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim();
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  expect(unnamed).toEqual([]);
  const low = await page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && (n.textContent ?? '').trim());
      if (!own || (el as HTMLElement).offsetParent === null) continue;
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) bad.push(`${(el.textContent ?? '').trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
    }
    return bad;
  });
  expect(low).toEqual([]);
  // Table rows are in the tab order; Enter on one selects it.
  await rows(page).nth(2).focus();
  await page.keyboard.press('Enter');
  await expect(rows(page).nth(2)).toHaveAttribute('aria-selected', 'true');
});

test('an image folder labels images by their sub-folder names through classes.txt, ignores other files, and names folders that match no class', async ({
  page,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'bitsplit-folder-'));
  mkdirSync(join(dir, 'Trouser'));
  mkdirSync(join(dir, 'Bag'));
  copyFileSync('public/demo/classes.txt', join(dir, 'classes.txt'));
  copyFileSync('public/demo/images/1_00002.png', join(dir, 'Trouser', 'a.png'));
  copyFileSync('public/demo/images/1_00003.png', join(dir, 'Trouser', 'b.png'));
  copyFileSync('public/demo/images/8_00018.png', join(dir, 'Bag', 'c.png'));
  mkdirSync(join(dir, 'Trousers'));
  copyFileSync('public/demo/images/1_00002.png', join(dir, 'Trousers', 'd.png'));
  writeFileSync(join(dir, 'notes.md'), 'not an image');
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Image folder').setInputFiles(dir);
  await expect(page.getByTestId('images-summary')).toContainText('4 images (3 labelled)');
  await expect(page.getByTestId('unmatched-labels')).toHaveText(
    ' Folder name(s) "Trousers" match no class in classes.txt: those images count as unlabelled. Rename the folder(s) to a class name.',
  );
});

test('a model whose input size is open asks for one, and the preview follows it', async ({ page }) => {
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  const model = mixedLayersModel();
  model.graph!.input[0] = makeValueInfo('image', ['batch', 3, 'height', 'width']);
  await dropFiles(page, '[data-testid=dropzone]', [{ name: 'dynamic.onnx', bytes: encodeModel(model) }]);
  await expect(page.getByTestId('model-name')).toHaveText('dynamic.onnx');
  await expect(page.getByTestId('dynamic-input')).toHaveText(
    "This model's input size is open: the first image's size is used until you set one.",
  );
  await expect(page.getByTestId('preprocess-preview')).toContainText('28 × 28, height × width');
  await page.getByLabel('Input height').fill('20');
  await page.getByLabel('Input width').fill('24');
  await expect(page.getByTestId('dynamic-input')).toHaveText("This model's input size is open: images are resized to 20 × 24.");
  await expect(page.getByTestId('preprocess-preview')).toContainText('20 × 24, height × width');
});

test('greyscale, CMYK and odd-sized images load, a damaged one is named and skipped, EXIF rotation is applied', async ({
  page,
}) => {
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  const dir = mkdtempSync(join(tmpdir(), 'bitsplit-formats-'));
  const raw = (w: number, h: number, channels: 1 | 3, f: (x: number, y: number) => number) =>
    sharp(
      Buffer.from(
        Array.from({ length: w * h * channels }, (_, i) => f(Math.floor(i / channels) % w, Math.floor(i / channels / w))),
      ),
      { raw: { width: w, height: h, channels } },
    );
  await raw(31, 17, 1, (x) => x * 8)
    .png()
    .toFile(join(dir, 'grey.png'));
  await raw(45, 29, 3, (x, y) => (x + y) * 3)
    .toColourspace('cmyk')
    .jpeg()
    .toFile(join(dir, 'cmyk.jpg'));
  await raw(7, 93, 3, (x) => x * 30)
    .webp()
    .toFile(join(dir, 'narrow.webp'));
  writeFileSync(join(dir, 'damaged.png'), readFileSync('public/demo/images/1_00002.png').subarray(0, 60));
  await page.getByLabel('Image folder').setInputFiles(dir);
  await expect(page.getByTestId('images-summary')).toContainText('3 images (0 labelled)');
  await expect(page.getByTestId('ignored-files')).toContainText(/damaged\.png \(not decodable\)/);

  // 40 x 20, left half black, stored with EXIF orientation 6 (rotate 90° clockwise): upright, the black half is on top.
  const rotated = mkdtempSync(join(tmpdir(), 'bitsplit-exif-'));
  await raw(40, 20, 3, (x) => (x < 20 ? 0 : 255))
    .jpeg({ quality: 100 })
    .withMetadata({ orientation: 6 })
    .toFile(join(rotated, 'rotated.jpg'));
  await page.getByLabel('Image folder').setInputFiles(rotated);
  await expect(page.getByTestId('images-summary')).toContainText('1 images');
  const canvas = page.getByTestId('preprocess-preview').getByRole('img');
  await expect(canvas).toHaveCount(1);
  const [top, bottom] = await canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const mean = (y0: number, y1: number) => {
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < c.width; x++) sum += d[(y * c.width + x) * 4];
      return sum / ((y1 - y0) * c.width);
    };
    return [mean(0, 10), mean(c.height - 10, c.height)];
  });
  expect(top).toBeLessThan(30);
  expect(bottom).toBeGreaterThan(225);
});

test('a crashed worker is restarted: the settings stay, the model and images are loaded again, and a run works', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  await page.getByLabel('Weight bits').selectOption('3');
  await page.getByLabel('Seed').fill('5');
  await page.getByLabel('Calibration images').fill('8');
  const studio = page.workers().find((w) => w.url().includes('studio'));
  expect(studio).toBeDefined();
  // An uncaught error in the worker, as a crash inside onnxruntime or the GPU runtime would raise.
  await studio!.evaluate(() =>
    setTimeout(() => {
      throw new Error('simulated crash');
    }),
  );
  await expect(page.getByRole('alert')).toContainText('The studio restarted its worker');
  await expect(page.getByRole('alert')).toContainText(
    "The studio's worker crashed (Uncaught Error: simulated crash). It was restarted; the settings are kept.",
  );
  await expect(page.getByTestId('images-summary')).toContainText('250 images (250 labelled)');
  await expect(page.getByLabel('Weight bits')).toHaveValue('3');
  await expect(page.getByLabel('Seed')).toHaveValue('5');
  await expect(page.getByLabel('Preprocessing')).toHaveValue('zero1');
  await page.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('top1')).toHaveText(/\d+\.\d\d %/, { timeout: 180_000 });
});

test('an empty folder, or one whose images are all damaged, is refused with the reason and the images stay', async ({ page }) => {
  await expect(page.getByTestId('images-summary')).toContainText('250 images');
  const empty = mkdtempSync(join(tmpdir(), 'bitsplit-empty-'));
  writeFileSync(join(empty, 'readme.txt'), 'no images here');
  await page.getByLabel('Image folder').setInputFiles(empty);
  await expect(page.getByRole('alert')).toContainText(
    'No JPEG, PNG or WebP image among the 1 file(s) given; the images you had stay loaded.',
  );
  await expect(page.getByTestId('images-summary')).toContainText('250 images (250 labelled)');
  const damaged = mkdtempSync(join(tmpdir(), 'bitsplit-damaged-'));
  writeFileSync(join(damaged, 'a.png'), 'not a png');
  writeFileSync(join(damaged, 'b.jpg'), new Uint8Array([0xff, 0xd8, 0xff]));
  await page.getByLabel('Image folder').setInputFiles(damaged);
  await expect(page.getByRole('alert')).toContainText(
    'None of the 2 image file(s) could be decoded (damaged, or not really JPEG, PNG or WebP); the images you had stay loaded.',
  );
  await expect(page.getByTestId('images-summary')).toContainText('250 images (250 labelled)');
});
