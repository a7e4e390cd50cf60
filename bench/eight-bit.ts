/**
 * What Bit-Split's epochs buy an 8-bit layer over its starting point (the per-channel grid fitted by Lloyd
 * iterations on the weights): each suite model at W8A8 with the page's defaults, once with the default
 * epochs and once with none (every layer keeps its starting point, the solve's fixed cost alone), on the
 * same calibration images. Per run the solve's seconds, the whole job's, the output SQNR and agreement; per
 * layer the relative output error of both. Writes docs/eight-bit.md.
 *
 *   npm run bench:eight-bit -- [--models demo,resnet20,ppocr-cls] [--out docs/eight-bit.md]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TensorMap } from '../src/core/model-metrics';
import { readModelFile } from '../src/core/model-summary';
import { runJob, type JobResult } from '../src/pipeline/job';
import { DEFAULT_JOB } from '../src/pipeline/job-config';
import { cpuBackend } from '../src/pipeline/solver-backend';
import { SUITE } from './suite';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

async function main() {
  const names = option('models', 'demo,resnet20,ppocr-cls').split(',');
  const out = option('out', 'docs/eight-bit.md');
  const runs: string[] = [];
  const layers: string[] = [];
  for (const name of names) {
    const spec = SUITE[name];
    if (!spec || !existsSync(spec.file)) {
      console.log(`${name}: skipped, its file is missing`);
      continue;
    }
    const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(spec.file)), name);
    const data = await spec.data(summary);
    const floatScores = new Map<string, TensorMap>();
    const results: Record<string, JobResult> = {};
    for (const epochs of [DEFAULT_JOB.epochs, 0]) {
      const config = { ...DEFAULT_JOB, wbits: 8, abits: 8 as const, epochs, calibImages: data.calib.count };
      const r = await runJob(graph, summary.layers, data.calib, data.scored, config, {
        backend: cpuBackend,
        scores: data.scores,
        floatScores,
      });
      results[epochs] = r;
      const m = r.metrics!;
      const line = `| ${name} | ${epochs} | ${r.seconds.solve.toFixed(1)} | ${r.seconds.total.toFixed(1)} | ${m.sqnrDb.toFixed(2)} | ${m.agreement !== undefined ? `${m.agreement.toFixed(2)} %` : ''} |`;
      console.log(line);
      runs.push(line);
    }
    const [full, start] = [results[DEFAULT_JOB.epochs], results[0]];
    const ratios = full.layers.flatMap((l, i) =>
      l.skipped ? [] : [start.layers[i].relOutputError / Math.max(l.relOutputError, 1e-12)],
    );
    ratios.sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)];
    const line = `| ${name} | ${ratios.length} | ${median.toFixed(3)} | ${ratios[ratios.length - 1].toFixed(3)} | ${ratios.filter((r) => r > 1.05).length} |`;
    console.log(line);
    layers.push(line);
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    [
      '# What Bit-Split buys 8-bit layers',
      '',
      "Written by `npm run bench:eight-bit` (bench/eight-bit.ts) on the CPU path: W8A8 with the page's defaults, with the default",
      'epochs and with none (each layer keeps its starting point, the per-channel grid fitted by Lloyd iterations on its weights).',
      'The same calibration and scored images as the real-model suite (docs/real-models.md).',
      '',
      '| model | epochs | solve (s) | job (s) | output SQNR (dB) | agreement |',
      '|---|---|---|---|---|---|',
      ...runs,
      '',
      'Per layer, the relative output error on the calibration images without epochs over the error with them:',
      '',
      '| model | layers | median ratio | largest ratio | layers more than 5 % worse |',
      '|---|---|---|---|---|',
      ...layers,
      '',
    ].join('\n'),
  );
}

await main();
