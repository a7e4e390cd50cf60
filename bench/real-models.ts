/**
 * The real-model suite: image models as users export them (../shared/docs/data.md), each at W8A8 and W4A8
 * with the studio's default method and with round to nearest, and with 8-bit round-to-nearest weights
 * alone (float activations) as the reference of what 8-bit weights keep. Per run: seconds, the whole
 * model's output SQNR and each output's, and top-1 agreement with the float model where the model reads
 * as a classifier. Writes the table to docs/real-models.md (after each model, so a long run keeps what it has).
 *
 *   npm run bench:real -- [--models demo,resnet20,ppocr-rec,ppocr-cls,blazeface-front,blazeface-back,mlsd-tiny]
 *                         [--runs w8,default-w8a8,rtn-w8a8,default-w4a8,rtn-w4a8] [--out docs/real-models.md]
 *
 * Rows of models a run leaves out stay in the file as they are: one model can be measured again alone.
 *
 * Models and photos come from `bash ../shared/tools/fetch-real-models.sh` (the cache folder, or
 * $BITSPLIT_CACHE); ResNet-20 from ../shared/data/cifar10. Settings are the page's defaults (128 output
 * positions per calibration image) on the CPU path.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_SETTINGS } from '../src/core/settings';
import type { ModelMetrics, TensorMap } from '../src/core/model-metrics';
import { readModelFile } from '../src/core/model-summary';
import type { Method } from '../src/core/quant/plan';
import { runJob } from '../src/pipeline/job';
import { DEFAULT_JOB } from '../src/pipeline/job-config';
import { cpuBackend } from '../src/pipeline/solver-backend';
import { SUITE } from './suite';

const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

/** Each run is the page with its defaults but for these settings (the method "round to nearest" as a user picks it there). */
const RUNS: Record<string, { label: string; wbits: number; abits: number | 'float'; method: Method }> = {
  w8: { label: 'W8, float activations, round to nearest', wbits: 8, abits: 'float', method: 'rtn' },
  'default-w8a8': { label: 'W8A8 default', wbits: 8, abits: 8, method: 'bitsplit' },
  'rtn-w8a8': { label: 'W8A8 round to nearest', wbits: 8, abits: 8, method: 'rtn' },
  'default-w4a8': { label: 'W4A8 default', wbits: 4, abits: 8, method: 'bitsplit' },
  'rtn-w4a8': { label: 'W4A8 round to nearest', wbits: 4, abits: 8, method: 'rtn' },
};

const db = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'exact');

function row(model: string, label: string, seconds: number, m: ModelMetrics): string {
  const outputs = m.outputs.length > 1 ? m.outputs.map((o) => `${o.name} ${db(o.sqnrDb)}`).join(', ') : '';
  const agreement = m.agreement !== undefined ? `${m.agreement.toFixed(2)} %` : '';
  return `| ${model} | ${label} | ${seconds.toFixed(0)} | ${db(m.sqnrDb)} | ${outputs} | ${agreement} |`;
}

async function main() {
  const names = option('models', Object.keys(SUITE).join(',')).split(',');
  const runs = option('runs', Object.keys(RUNS).join(',')).split(',');
  const out = option('out', 'docs/real-models.md');
  const lines: string[] = [];
  const notes: string[] = [];
  // Rows of the runs this process does not measure, and notes of the models it does not, stay as the file has them
  // (re-read at each write, so suites run side by side in several processes fill one table).
  const labels = runs.map((r) => RUNS[r]?.label);
  const kept = (text: string, prefix: (model: string) => string) =>
    text
      .split('\n')
      .filter((l) =>
        Object.keys(SUITE).some(
          (m) =>
            l.startsWith(prefix(m)) &&
            (!names.includes(m) || (l.startsWith('|') && !labels.some((r) => l.startsWith(`| ${m} | ${r} |`)))),
        ),
      );
  const order = (l: string) => Object.keys(SUITE).findIndex((m) => l.startsWith(`| ${m} |`) || l.startsWith(`- ${m}:`));
  const write = () => {
    const before = existsSync(out) ? readFileSync(out, 'utf8') : '';
    const rows = [...kept(before, (m) => `| ${m} |`), ...lines].sort((a, b) => order(a) - order(b));
    const about = [...kept(before, (m) => `- ${m}:`), ...notes].sort((a, b) => order(a) - order(b));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      [
        '# Real-model suite',
        '',
        'Written by `npm run bench:real` (bench/real-models.ts) on the CPU path. Every run is the page with its default settings (128',
        'output positions per calibration image, seed 0, error compensation, bias correction, the full grid, asymmetric activations,',
        'per-channel activation scales on auto, first and last layers at 8 bits) but for its bits and method: "default" is Bit-Split,',
        '"round to nearest" the per-channel max-abs grid. Output SQNR (dB) against the float model on the scored images: the whole',
        'model (all outputs together), then each output where there are several; agreement is top-1 agreement where the model reads as',
        'a classifier. Seconds include calibration, solving and evaluation.',
        '',
        '| model | run | seconds | output SQNR (dB) | per output (dB) | agreement |',
        '|---|---|---|---|---|---|',
        ...rows,
        '',
        ...about,
        '',
      ].join('\n'),
    );
  };
  for (const name of names) {
    const spec = SUITE[name];
    if (!spec) throw new Error(`unknown model "${name}"; the suite has ${Object.keys(SUITE).join(', ')}`);
    if (!existsSync(spec.file)) {
      console.log(`${name}: skipped, ${spec.file} is missing (bash ../shared/tools/fetch-real-models.sh)`);
      notes.push(`- ${name}: not measured, its file was missing.`);
      continue;
    }
    const { graph, summary } = await readModelFile(new Uint8Array(readFileSync(spec.file)), name);
    const data = await spec.data(summary);
    notes.push(`- ${name}: ${summary.layers.length} layers; ${data.data}.`);
    console.log(`## ${name}: ${summary.layers.length} layers; ${data.data}`);
    // Every run scores the same images: the float model runs on them once.
    const floatScores = new Map<string, TensorMap>();
    for (const run of runs) {
      const r = RUNS[run];
      if (!r) throw new Error(`unknown run "${run}"; the suite has ${Object.keys(RUNS).join(', ')}`);
      const t = performance.now();
      const s = DEFAULT_SETTINGS;
      const result = await runJob(
        graph,
        summary.layers,
        data.calib,
        data.scored,
        {
          ...DEFAULT_JOB,
          wbits: r.wbits,
          abits: r.abits,
          method: r.method,
          ecaq: s.ecaq,
          biasCorrection: s.biasCorrection,
          fullGrid: s.fullGrid,
          asymmetric: s.asymmetric,
          channelScales: s.channelScales,
          residualCompensation: s.residualCompensation,
          firstLastBits: s.firstLastBits,
          epochs: s.epochs,
          calibImages: data.calib.count,
          positions: s.positions,
          seed: s.seed,
        },
        { backend: cpuBackend, scores: data.scores, floatScores },
      );
      const line = row(name, r.label, (performance.now() - t) / 1000, result.metrics!);
      console.log(line);
      lines.push(line);
      write();
    }
  }
  write();
}

await main();
