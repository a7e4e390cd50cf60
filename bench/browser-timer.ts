/**
 * Times ONNX files in headless Chromium's onnxruntime-web (wasm EP, one thread), as the page's worker does:
 * a local server hands the page onnxruntime-web's own files and the models; Playwright drives it.
 */
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { LatencyFigure } from '../src/runtime/latency';

const TYPES: Record<string, string> = { mjs: 'text/javascript', js: 'text/javascript', wasm: 'application/wasm' };
const PAGE = `<!doctype html><script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = '/ort/';
window.ort = ort;
window.ready = true;
</script>`;

export async function browserTimer() {
  const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  const models = new Map<string, Uint8Array>();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    let body: Uint8Array | string | undefined;
    let type = 'text/html';
    if (url === '/') body = PAGE;
    else if (url.startsWith('/model/')) [body, type] = [models.get(url.slice(7)), 'application/octet-stream'];
    else if (url.startsWith('/ort/') && /^[\w.-]+$/.test(url.slice(5))) {
      body = readFileSync(join(ortDir, url.slice(5)));
      type = TYPES[url.split('.').pop()!] ?? 'application/octet-stream';
    }
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return {
    async time(bytes: Uint8Array, input: { name: string; dims: number[] }, runs = 20, warmup = 3): Promise<LatencyFigure> {
      const id = `${models.size}`;
      models.set(id, bytes);
      const times = await page.evaluate(
        async ({ url, name, dims, total }) => {
          const ort = (window as unknown as { ort: typeof import('onnxruntime-web') }).ort;
          const session = await ort.InferenceSession.create(url, { executionProviders: ['wasm'] });
          const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 12.9898) * 0.5);
          const feeds = { [name]: new ort.Tensor('float32', data, dims) };
          const out: number[] = [];
          for (let i = 0; i < total; i++) {
            const t = performance.now();
            await session.run(feeds);
            out.push(performance.now() - t);
          }
          await session.release();
          return out;
        },
        { url: `${origin}/model/${id}`, name: input.name, dims: input.dims, total: warmup + runs },
      );
      models.delete(id);
      const sorted = times.slice(warmup).sort((a, b) => a - b);
      const at = (p: number) => sorted[Math.round(p * (sorted.length - 1))];
      return { ep: 'wasm', runs, warmup, medianMs: at(0.5), p10Ms: at(0.1), p90Ms: at(0.9) };
    },
    async close() {
      await browser.close();
      server.close();
    },
  };
}
