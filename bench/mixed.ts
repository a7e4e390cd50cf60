/**
 * Mixed precision against uniform bit-widths: per-layer sensitivity, the knapsack's choice under each
 * budget, and a verifying run of each choice beside the uniform runs, all measured in this run.
 *
 *   npm run bench:mixed -- [--models resnet20,demo] [--budgets 2.5,W3A8] [--uniform W2A8,W3A8]
 *                          [--calib 256] [--positions 128] [--eval 9000] [--sensitivity-images 256]
 *
 * A budget is an average number of bits per weight, or a uniform configuration's own average (first and
 * last layers at 8 bits), e.g. W3A8. ResNets: calibration on every fourth record of the first 1,000 of
 * ../shared/data/cifar10, sensitivity scored on other records of those 1,000, top-1 on records 1000..9999.
 */
import { readFileSync } from 'node:fs';
import { readModelFile } from '../src/core/model-summary';
import type { TensorMap } from '../src/core/model-metrics';
import { averageBits, planMixedPrecision } from '../src/core/quant/mixed-precision';
import { plannedBits } from '../src/core/quant/plan';
import { imagesFrom, type ImageSet } from '../src/pipeline/images';
import { runJob } from '../src/pipeline/job';
import { DEFAULT_JOB, type JobConfig } from '../src/pipeline/job-config';
import { measureSensitivity } from '../src/pipeline/sensitivity';
import { cpuBackend } from '../src/pipeline/solver-backend';
import { cifar, cifarCalibration, DEMO, demoImages, SHARED } from './data';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const cellOf = (cell: string) => {
  const [, w, a] = /^W(\d)A(\d)$/.exec(cell) ?? [];
  if (!w) throw new Error(`a uniform cell looks like W3A8, got "${cell}"`);
  return { wbits: Number(w), abits: Number(a) };
};

async function main() {
  const models = option('models', 'resnet20,demo').split(',');
  const budgets = option('budgets', '2.5,W3A8').split(',');
  const uniform = option('uniform', 'W2A8,W3A8').split(',');
  const calibCount = Number(option('calib', '256'));
  const positions = Number(option('positions', '128'));
  const evalCount = Number(option('eval', '9000'));
  const sensitivityImages = Number(option('sensitivity-images', '256'));
  for (const name of models) {
    const isDemo = name === 'demo';
    const file = isDemo ? new URL('model.onnx', DEMO) : new URL(`${name}_cifar10.onnx`, SHARED);
    const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(file)), name);
    const layers = summary.layers;
    let calib: ImageSet;
    let heldOut: ImageSet;
    let scored: ImageSet;
    if (isDemo) {
      ({ drawn: calib, images: scored } = await demoImages(DEFAULT_JOB.seed));
      heldOut = imagesFrom(calib, Math.min(calibCount, 64));
    } else {
      calib = cifarCalibration(calibCount);
      heldOut = { ...imagesFrom(cifarCalibration(1000), calibCount), count: Math.min(sensitivityImages, 1000 - calibCount) };
      scored = cifar(1000, Math.min(evalCount, 9000));
    }
    const base: JobConfig = {
      ...DEFAULT_JOB,
      abits: 8,
      calibImages: isDemo ? Math.min(calibCount, 64) : calibCount,
      positions: positions,
    };
    console.log(
      `## ${name}: ${layers.length} layers, calibration ${base.calibImages} images, sensitivity on ${heldOut.count} others, scored on ${scored.count}`,
    );
    const sensitivity = await measureSensitivity(graph, layers, calib, heldOut, base, { backend: cpuBackend });
    console.log(
      `sensitivity: ${sensitivity.seconds.toFixed(0)} s; mean output KL (nats) with one layer quantized, activations float`,
    );
    console.log(['layer', 'params', ...sensitivity.bits.map((b) => `${b} bits`)].join('\t'));
    for (const l of sensitivity.layers) console.log([l.name, l.params, ...l.cells.map((c) => c.kl.toExponential(1))].join('\t'));
    const rows: string[][] = [];
    let float = '';
    const floatScores = new Map<string, TensorMap>();
    const run = async (label: string, config: JobConfig) => {
      const t = performance.now();
      const r = await runJob(graph, layers, calib, scored, config, { backend: cpuBackend, floatScores });
      const bits = averageBits(r.layers, (n) => r.layers.find((l) => l.name === n)!.wbits);
      float = r.metrics!.top1Float!.toFixed(2);
      rows.push([
        label,
        bits.toFixed(3),
        r.metrics!.top1!.toFixed(2),
        r.metrics!.kl!.toExponential(2),
        r.metrics!.agreement!.toFixed(2),
        r.layers.map((l) => l.wbits).join(' '),
      ]);
      process.stderr.write(
        `${name} ${label}: ${r.metrics!.top1!.toFixed(2)} % at ${bits.toFixed(3)} bits in ${((performance.now() - t) / 1000).toFixed(0)} s\n`,
      );
    };
    for (const cell of uniform) await run(`uniform ${cell}`, { ...base, ...cellOf(cell) });
    for (const budget of budgets) {
      const bits = /^W/.test(budget)
        ? averageBits(layers, (n) =>
            plannedBits(layers, { ...base, ...cellOf(budget) }).get(layers.find((l) => l.name === n)!.index)!,
          )
        : Number(budget);
      const plan = planMixedPrecision(layers, sensitivity, base, bits);
      await run(`mixed <= ${budget} (${bits.toFixed(3)})`, { ...base, layers: plan.layers });
    }
    console.log(`\nFP32 top-1 ${float} %`);
    console.log(['configuration', 'bits/weight', 'top-1 %', 'KL', 'agreement %', 'bits per layer'].join('\t'));
    for (const r of rows) console.log(r.join('\t'));
    console.log('');
  }
}

await main();
