/**
 * What the downloads buy on the real-model suite: each model's float file, and the int8 and int4 files of a
 * W4A8 run, with their size, their latency on onnxruntime-web's wasm EP in Node and in headless Chromium (one
 * input at the model's size, median and 10th-90th percentile of 20 runs after 3 warm-up runs; the float file is
 * the baseline measured in the same run), and how many quantized layers onnxruntime runs as integer kernels (as the graph
 * says, and as onnxruntime's own log counts them). Latency does not depend on the weights' values, so the
 * run is round to nearest on 2 calibration images. Writes docs/latency.md.
 *
 *   npm run bench:latency -- [--models demo,resnet20,...] [--out docs/latency.md]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readModelFile } from '../src/core/model-summary';
import { firstImages } from '../src/pipeline/images';
import { runJob } from '../src/pipeline/job';
import { DEFAULT_JOB } from '../src/pipeline/job-config';
import { measureLatency } from '../src/pipeline/latency';
import { cpuBackend } from '../src/pipeline/solver-backend';
import { fusedByOnnxruntime, layerFusions } from '../src/runtime/ort-fusions';
import { exportQuantizedModel } from '../src/pipeline/report';
import { encodeModel } from '../src/core/onnx/model-io';
import { browserTimer } from './browser-timer';
import type { LatencyFigure } from '../src/runtime/latency';
import { SUITE } from './suite';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

const ms = (x: number) => x.toPrecision(3);
const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ') || 'none';

async function main() {
  const names = option('models', Object.keys(SUITE).join(',')).split(',');
  const out = option('out', 'docs/latency.md');
  const rows: string[] = [];
  const chromium = await browserTimer();
  for (const name of names) {
    const spec = SUITE[name];
    if (!spec || !existsSync(spec.file)) {
      console.log(`${name}: skipped, ${spec?.file ?? 'not in the suite'} is missing`);
      continue;
    }
    const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(spec.file)), name);
    const data = await spec.data(summary);
    const calib = firstImages(data.calib, 2);
    const config = { ...DEFAULT_JOB, wbits: 4, abits: 8 as const, method: 'rtn' as const, calibImages: 2, positions: 16 };
    const result = await runJob(graph, summary.layers, calib, null, config, { backend: cpuBackend });
    const files = { sourceSha256: summary.sha256, configLink: '#c=bench' };
    const report = await measureLatency(graph, summary.layers, result, { imageDims: calib.dims, eps: ['wasm'], files });
    const float = report.variants[0].timings[0].medianMs;
    const fileOf = (variant: string) =>
      variant === 'float'
        ? encodeModel(graph.model)
        : exportQuantizedModel(graph, summary.layers, result, { format: variant as 'int8' | 'int4', ...files });
    const inBrowser = new Map<string, LatencyFigure>();
    for (const v of report.variants) inBrowser.set(v.variant, await chromium.time(fileOf(v.variant), report.input));
    for (const v of report.variants) {
      const t = v.timings[0];
      let kernels = '';
      if (v.kernels) {
        const fused = await fusedByOnnxruntime(fileOf(v.variant));
        const integer = v.kernels.layers.filter((k) => k.integer).length;
        kernels = `${integer} of ${v.kernels.layers.length} (${counts(v.kernels.counts)}; onnxruntime: ${counts(layerFusions(fused))})`;
      }
      const browser = inBrowser.get(v.variant)!;
      const line = `| ${name} | ${v.variant} | ${kb(v.bytes)} | ${ms(t.medianMs)} (${ms(t.p10Ms)}–${ms(t.p90Ms)}) | ${(float / t.medianMs).toFixed(2)} | ${ms(browser.medianMs)} (${ms(browser.p10Ms)}–${ms(browser.p90Ms)}) | ${(inBrowser.get('float')!.medianMs / browser.medianMs).toFixed(2)} | ${kernels} |`;
      console.log(line);
      rows.push(line);
    }
    rows.push(`| ${name} | input | ${JSON.stringify(report.input.dims)} | | | | | |`);
  }
  await chromium.close();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    [
      '# Size and latency of the downloads',
      '',
      "Written by `npm run bench:latency` (bench/latency.ts): each suite model's float file and the int8 and int4 files of a W4A8",
      "run (first and last layers at 8 bits), timed on onnxruntime-web's wasm EP, one thread, one input at the model's size (its",
      'row "input"), in Node and in headless Chromium (bench/browser-timer.ts): median (10th–90th percentile) of 20 runs after 3',
      'warm-up runs, in ms; speed-up against the float file timed in the same run and place.',
      "Integer kernels: the quantized layers onnxruntime's CPU EP runs as QLinearConv, QGemm or",
      "MatMulIntegerToFloat, as the graph says and as onnxruntime's own session log counts them; the others are dequantized",
      'before a float layer.',
      '',
      '| model | file | size | wasm in Node (ms) | speed-up | wasm in Chromium (ms) | speed-up | integer kernels |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

await main();
