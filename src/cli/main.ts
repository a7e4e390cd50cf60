import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import sharp from 'sharp';
import { isStudioError, StudioError } from '../core/errors';
import { parseClasses } from '../core/labels';
import { nothingToQuantize, readModelFile } from '../core/model-summary';
import { presetConfig } from '../core/preprocess';
import { imageInput, type ImageInput } from '../core/model-input';
import type { ModelMetrics } from '../core/model-metrics';
import { createNodeGpuContext } from '../gpu/node-gpu';
import type { GpuContext } from '../gpu/device';
import { runJob, type JobProgress } from '../pipeline/job';
import { jobConfigOf } from '../pipeline/job-config';
import { splitImages } from '../pipeline/images';
import { measureSensitivity } from '../pipeline/sensitivity';
import { planMixedPrecision, type MixedPrecisionPlan, type SensitivityTable } from '../core/quant/mixed-precision';
import { exportQuantizedModel, buildReport, simulatedQuantizedModel } from '../pipeline/report';
import { scoreExport, verifyExport } from '../pipeline/verify-export';
import { configLink } from '../core/config-url';
import { cpuBackend, solverFor, type SolverBackend } from '../pipeline/solver-backend';
import { listImages, loadImageFolder } from './node-images';
import { peakMemory } from './memory';
import { cliLatency } from './latency';
import { helpText, parseCli, settingsOf, type CliOptions } from './args';

const BAD_INPUT = new Set([
  'InvalidArgumentError',
  'OnnxFormatError',
  'ExternalDataError',
  'UnsupportedModelError',
  'UnsupportedTensorError',
  'DeviceLimitError',
  'OnnxRuntimeError',
]);

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new StudioError('InvalidArgumentError', `Cannot read ${what} "${path}".`);
  }
}

/** Model input layout and size; a dynamic size comes from --input-size or the first image. */
async function inputShape(l: ImageInput, o: CliOptions): Promise<{ channels: 1 | 3 | 4; height: number; width: number }> {
  let height = o.inputSize?.[0] ?? l.height ?? undefined;
  let width = o.inputSize?.[1] ?? l.width ?? undefined;
  if (height === undefined || width === undefined) {
    const first = listImages(o.images).files[0];
    const meta = first ? await sharp(`${o.images}/${first}`).metadata() : null;
    if (!meta?.height || !meta.width)
      throw new StudioError(
        'InvalidArgumentError',
        "The model's input size is dynamic and no image gives one: pass --input-size HxW.",
      );
    height ??= meta.height;
    width ??= meta.width;
  }
  return { channels: l.channels, height, width };
}

function progressPrinter(): (p: JobProgress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = '';
  return (p) => {
    const fraction = p.fraction;
    const eta = p.etaSeconds === null ? '' : ` · ETA ${Math.ceil(p.etaSeconds)} s`;
    const what =
      p.stage === 'evaluate'
        ? `evaluate ${p.imagesDone}/${p.imagesTotal} images`
        : `${p.stage} layer ${p.layer}/${p.layers} ${p.layerName ?? ''}`;
    if (tty) {
      const width = 24;
      const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '-');
      process.stderr.write(`\r[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${what}${eta}`.padEnd(100).slice(0, 120));
      if (p.stage === 'done') process.stderr.write('\n');
    } else {
      const line = `${p.stage} ${p.layer}/${p.layers}`;
      if (line !== lastLine) process.stderr.write(`${what}${eta}\n`);
      lastLine = line;
    }
  };
}

/**
 * The solver's backend. 'auto' takes a hardware GPU; where there is none, or only a software adapter (slower
 * than the CPU path), it solves on the CPU and says so in one line.
 */
export async function chooseBackend(
  choice: CliOptions['backend'],
  say: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  open: () => Promise<GpuContext> = createNodeGpuContext,
): Promise<SolverBackend> {
  if (choice === 'cpu') return cpuBackend;
  let gpu: GpuContext;
  try {
    gpu = await open();
  } catch (e) {
    if (choice === 'gpu') throw e;
    say(`bitsplit: no GPU for WebGPU here (${e instanceof Error ? e.message : e}); solving on the CPU.`);
    return cpuBackend;
  }
  const backend = solverFor(choice, gpu);
  if (backend.name === 'cpu')
    say(
      `bitsplit: the WebGPU adapter is a software one (${gpu.adapterSummary.description || 'no description'}); solving on the CPU, which is faster.`,
    );
  return backend;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const parsed = parseCli(argv);
    if ('help' in parsed) {
      process.stdout.write(parsed.help);
      return 0;
    }
    const o: CliOptions = parsed;
    const modelBytes = new Uint8Array(readFile(o.model, 'the model'));
    const { graph, summary } = await readModelFile(modelBytes, basename(o.model));
    const nothing = nothingToQuantize(summary);
    if (nothing) throw new StudioError('UnsupportedModelError', nothing);
    const input = imageInput(summary, o.layout);
    const pre = presetConfig(o.preset, await inputShape(input, o), {
      layout: input.layout,
      resize: o.resize,
      colorOrder: o.colorOrder,
      mean: o.mean,
      std: o.std,
    });
    const classes = o.classes ? parseClasses(readFile(o.classes, 'the classes file').toString('utf8')) : null;
    const folder = await loadImageFolder(o.images, pre, classes);
    // As the page does: --calib N takes a seeded random N of the folder (folders often come sorted by
    // class), and the images after them in that order are the held-out ones.
    const { calib, calibIds, heldOut } = splitImages(folder, o.calibImages, o.seed);
    // Scored on --eval-images, else on the images beyond --calib: what the model was not calibrated on.
    const evalSet = o.evalImages ? await loadImageFolder(o.evalImages, pre, classes) : heldOut;
    const backend = await chooseBackend(o.backend);
    const memory = peakMemory();
    const printer = progressPrinter();
    const onProgress = (p: JobProgress) => (memory.sample(), printer(p));
    const config = jobConfigOf(settingsOf(o), o.batch);
    let mixed: { plan: MixedPrecisionPlan; sensitivity: SensitivityTable } | null = null;
    if (o.budgetBits !== undefined) {
      // Scored on the images beyond the calibration ones where there are any (never on --eval-images:
      // choosing on the test set would flatter the result).
      const sensitivity = await measureSensitivity(graph, summary.layers, calib, heldOut ?? calib, config, {
        backend,
        onProgress,
      });
      const plan = planMixedPrecision(summary.layers, sensitivity, config, o.budgetBits);
      config.layers = plan.layers;
      mixed = { plan, sensitivity };
    }
    const result = await runJob(graph, summary.layers, calib, evalSet, config, { backend, onProgress });
    const link = configLink({ name: summary.fileName, sha256: summary.sha256 }, { ...settingsOf(o), layers: config.layers });
    const bytes = exportQuantizedModel(graph, summary.layers, result, {
      format: o.format,
      sourceSha256: summary.sha256,
      configLink: link,
    });
    // Checked before it is written: a file that fails the check is never left behind.
    const check = await verifyExport(bytes, simulatedQuantizedModel(graph, summary.layers, result), calib, graph);
    writeFileSync(o.out, bytes);
    // The written file's own figures in onnxruntime's default setup (integer kernels where it has them).
    const metrics = evalSet ? await scoreExport(bytes, modelBytes, evalSet, graph, check) : null;
    const timed = o.latency
      ? await cliLatency(graph, summary.layers, result, {
          imageDims: calib.dims,
          format: o.format,
          written: bytes,
          files: { sourceSha256: summary.sha256, configLink: link },
        })
      : null;
    const output = {
      file: basename(o.out),
      format: o.format,
      bytes: bytes.byteLength,
      sourceBytes: summary.sizeBytes,
      check,
      metrics,
      ...(timed ? { latency: timed.latency } : {}),
    };
    const mixedPrecision = mixed && {
      budgetBits: mixed.plan.budgetBits,
      averageBits: mixed.plan.averageBits,
      predictedKl: mixed.plan.cost,
      fixed: mixed.plan.fixed,
      bits: mixed.plan.bits,
      sensitivity: mixed.sensitivity,
    };
    const calibration = { images: calibIds.map((i) => folder.files[i]) };
    const evaluation = evalSet
      ? { images: evalSet.count, source: o.evalImages ? 'eval-images' : 'held-out' }
      : { images: 0, note: NOTHING_SCORED };
    const report = {
      ...buildReport(summary, result),
      calibration,
      evaluation,
      ...(mixedPrecision ? { mixedPrecision } : {}),
      output,
      memory: memory.stop(),
    };
    if (o.report !== null) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
    const m = result.metrics;
    process.stdout.write(
      `${o.out} (${o.format}, ${(bytes.byteLength / 1024).toFixed(0)} KB, matches the simulation to ${check.maxRelativeDifference.toExponential(1)}): ${summary.layers.length} layers, ${mixed ? `mixed ${mixed.plan.averageBits.toFixed(2)} bits/weight` : `W${o.wbits}`}A${o.abits} ${o.method}${o.ecaq ? '+ECAQ' : ''} on ${backend.name}; ${m ? metricsLine(m) : NOTHING_SCORED}; ${result.seconds.total.toFixed(1)} s\n`,
    );
    if (m) process.stdout.write(outputLines(m));
    if (timed) process.stdout.write(timed.line);
    if (check.optimizedRefusal)
      process.stdout.write(
        `  warning: onnxruntime's default optimizations refuse ${basename(o.out)} (${check.optimizedRefusal}); it runs with them off.\n`,
      );
    return 0;
  } catch (e) {
    if (isStudioError(e)) {
      process.stderr.write(`bitsplit: ${e.message}\n`);
      if (argv.length === 0) process.stderr.write(helpText());
      return BAD_INPUT.has(e.name) ? 2 : 1;
    }
    const debug = process.env.BITSPLIT_DEBUG === '1';
    process.stderr.write(
      `bitsplit: unexpected failure: ${debug && e instanceof Error ? e.stack : `${e instanceof Error ? e.message : e} (BITSPLIT_DEBUG=1 prints where it happened)`}\n`,
    );
    return 1;
  }
}

const NOTHING_SCORED = 'nothing scored: every image calibrated (give --eval-images DIR, or more images than --calib)';

const db = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} dB` : 'exact');

/** The whole model in one phrase: the classifier figures where it has them, its output SQNR always. */
export function metricsLine(m: ModelMetrics): string {
  const parts = [`${m.images} images scored`];
  if (m.top1 !== undefined) parts.push(`top-1 ${m.top1.toFixed(2)} % (float ${m.top1Float!.toFixed(2)} %)`);
  if (m.agreement !== undefined) parts.push(`agreement ${m.agreement.toFixed(2)} %`);
  parts.push(`output SQNR ${db(m.sqnrDb)}`);
  return parts.join(', ');
}

/** One line per output (name, shape, SQNR, cosine, largest difference), and the labels' note. */
export function outputLines(m: ModelMetrics): string {
  const lines = m.outputs.map(
    (o) =>
      `  ${o.name} [${o.shape.map((d) => d ?? '?').join(', ')}]: SQNR ${db(o.sqnrDb)}, cosine ${o.cosine.toFixed(5)}, max |diff| ${o.maxAbsDiff.toPrecision(3)}` +
      (o.agreement !== undefined ? `, agreement ${o.agreement.toFixed(2)} %, KL ${o.kl!.toExponential(2)}` : ''),
  );
  if (m.labelsNote) lines.push(`  ${m.labelsNote}`);
  return `${lines.join('\n')}\n`;
}
